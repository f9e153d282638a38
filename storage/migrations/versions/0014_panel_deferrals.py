"""A panel's question is owed by one expert at a time: who it was taken over from, the thread
note's ts (updated in place), and each expert's list message (updated as deferrals change)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deferral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken_from', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('note_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table('session_expert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('list_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('last_call_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('session_expert', schema=None) as batch_op:
        batch_op.drop_column('last_call_ts')
        batch_op.drop_column('list_ts')
        batch_op.drop_column('list_channel')
    with op.batch_alter_table('deferral', schema=None) as batch_op:
        batch_op.drop_column('note_ts')
        batch_op.drop_column('taken_from')
