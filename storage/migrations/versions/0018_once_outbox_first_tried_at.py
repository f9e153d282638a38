"""When each outbox row was first claimed: a retry looks in Slack from then for what an attempt
whose answer was lost did (bot/once.py)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:00:00
"""

from alembic import op
import sqlalchemy as sa

import storage.columns

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_tried_at', storage.columns.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('first_tried_at')
