"""Where the protégé was told their mentor was asked (updated once the mentor answers), and where a
Mentor Center profile's location came from (so people can see why, and correct it)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protege_note_channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('protege_note_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table('mentor_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mentor_profile', schema=None) as batch_op:
        batch_op.drop_column('location_source')
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.drop_column('protege_note_ts')
        batch_op.drop_column('protege_note_channel')
