"""Ask the Expert: designated channels, sessions and their experts, deferrals, session questions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 04:16:50.325481
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


import storage.columns

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('designated_channel',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('added_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'channel_id')
    )
    op.create_table('expert_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
    sa.Column('organiser_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('starts_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('opened_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('chased_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('announcement_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('summary_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('summary_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'request_id', name='uq_expert_session_request')
    )
    with op.batch_alter_table('expert_session', schema=None) as batch_op:
        batch_op.create_index('ix_expert_session_state', ['state', 'starts_at'], unique=False)
        batch_op.create_index('ix_expert_session_window', ['team_id', 'channel_id', 'starts_at'], unique=False)

    op.create_table('session_expert',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['expert_session.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'user_id')
    )
    op.create_table('deferral',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('expert_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('remind_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('overdue_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_noted_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id')
    )
    with op.batch_alter_table('deferral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deferral_remind_at'), ['remind_at'], unique=False)

    # Plain ADD COLUMN (no batch rebuild of `question` on SQLite: it would cascade to answers).
    op.add_column('question', sa.Column('session_id', sa.Integer(), nullable=True))
    op.create_index('ix_question_session_id', 'question', ['session_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_question_session_id', table_name='question')
    op.drop_column('question', 'session_id')

    with op.batch_alter_table('deferral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deferral_remind_at'))

    op.drop_table('deferral')
    op.drop_table('session_expert')
    with op.batch_alter_table('expert_session', schema=None) as batch_op:
        batch_op.drop_index('ix_expert_session_window')
        batch_op.drop_index('ix_expert_session_state')

    op.drop_table('expert_session')
    op.drop_table('designated_channel')
