"""Help channels: the channels Knowhow listens to for plain questions, the messages it acted on
there, and a person's "don't suggest to me" (core.helpchannels)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 10:00:00
"""

from alembic import op
import sqlalchemy as sa

import storage.columns

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'help_channel',
        sa.Column('team_id', sa.String(length=32), nullable=False),
        sa.Column('channel_id', sa.String(length=32), nullable=False),
        sa.Column('added_by', sa.String(length=32), nullable=False),
        sa.Column('added_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=True),
        sa.Column('paused_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column('paused_by', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('team_id', 'channel_id'),
    )
    op.create_table(
        'help_thread',
        sa.Column('team_id', sa.String(length=32), nullable=False),
        sa.Column('channel_id', sa.String(length=32), nullable=False),
        sa.Column('thread_ts', sa.String(length=32), nullable=False),
        sa.Column('asker_id', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('suggested', sa.String(length=200), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column('not_quite_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column('save_offered_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'channel_id', 'thread_ts'),
    )
    op.create_index('ix_help_thread_answered', 'help_thread', ['team_id', 'answered_at'], unique=False)
    with op.batch_alter_table('helper_preference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('help_suggestions_off', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('helper_preference', schema=None) as batch_op:
        batch_op.drop_column('help_suggestions_off')
    op.drop_index('ix_help_thread_answered', table_name='help_thread')
    op.drop_table('help_thread')
    op.drop_table('help_channel')
