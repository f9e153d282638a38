"""Who holds an outbox row's claim (a dead worker's rows are freed at once, not after the lease)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
