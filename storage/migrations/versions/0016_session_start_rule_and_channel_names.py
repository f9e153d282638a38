"""Who may open an expert session on the spot, per workspace (`/expert who-can-start`); the name of
each channel that hosts sessions (the scheduling form offers them by name)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_start_rule', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    with op.batch_alter_table('designated_channel', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('designated_channel', schema=None) as batch_op:
        batch_op.drop_column('name')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('session_start_rule')
