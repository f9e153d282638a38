"""Each workspace's own Q&A channel (`/ask channel`), over KNOWHOW_QA_CHANNEL

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 20:40:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qa_channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('qa_channel_set_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('qa_channel_set_by')
        batch_op.drop_column('qa_channel_id')
