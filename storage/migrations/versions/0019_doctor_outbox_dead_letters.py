"""When an outbox row failed for good, and whom the call that failed was addressed to (the
dead letters an admin sees and retries: `knowhow outbox`, `/expert outbox`)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.columns

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', storage.columns.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_to', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('failed_to')
        batch_op.drop_column('failed_at')
