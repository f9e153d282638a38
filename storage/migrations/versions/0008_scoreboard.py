"""Scoreboard: settings, weekly snapshots, thanks opt-in, indexes for the week's figures

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 12:58:24.368716
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


import storage.columns

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scoreboard_settings',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('updated_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id')
    )
    op.create_table('scoreboard_week',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('week_end', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('week_start', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('computed_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('posted_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.PrimaryKeyConstraint('team_id', 'week_end')
    )
    # Plain ADD COLUMN and CREATE INDEX: never a rebuild of `question` on SQLite.
    op.add_column('helper_preference', sa.Column('thank_publicly', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_question_created', 'question', ['team_id', 'created_at', 'status', 'posted_at', 'asker_id'], unique=False)
    op.create_index('ix_answer_first', 'answer', ['question_id', 'answered_at', 'deleted_at', 'author_id', 'accepted_at'], unique=False)
    op.create_index('ix_answer_accepted_at', 'answer', ['team_id', 'accepted_at'], unique=False,
                    sqlite_where=sa.text('accepted_at IS NOT NULL'), postgresql_where=sa.text('accepted_at IS NOT NULL'))
    op.create_index('ix_deferral_overdue', 'deferral', ['team_id', 'overdue_at'], unique=False)
    op.create_index('ix_question_unanswered', 'question', ['team_id', 'shown_state', 'posted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deferral_overdue', table_name='deferral')
    op.drop_index('ix_answer_accepted_at', table_name='answer')
    op.drop_index('ix_answer_first', table_name='answer')
    op.drop_index('ix_question_unanswered', table_name='question')
    op.drop_index('ix_question_created', table_name='question')
    with op.batch_alter_table('helper_preference', schema=None) as batch_op:
        batch_op.drop_column('thank_publicly')

    op.drop_table('scoreboard_week')
    op.drop_table('scoreboard_settings')
