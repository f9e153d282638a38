"""How long each workspace keeps ended mentoring records, questions never posted and delivered
outbox rows (`/mentor retention`); no value: the defaults core.retention states

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 10:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

COLUMNS = ('keep_mentoring_days', 'keep_unposted_days', 'keep_sent_days')


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
