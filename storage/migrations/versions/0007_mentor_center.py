"""Mentor Center: profiles, mentoring topics, volunteers, requests, candidates, mentorships, calls

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 12:43:36.644310
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


import storage.columns

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mentor_profile',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('years_in_role', sa.Integer(), nullable=True),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('tz_offset', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'user_id')
    )
    op.create_table('volunteer',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('joined_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('team_id', 'user_id')
    )
    op.create_table('mentor_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.Column('hours_per_month', sa.Integer(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('created_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'request_id', name='uq_mentor_call_request')
    )
    with op.batch_alter_table('mentor_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_call_topic_id'), ['topic_id'], unique=False)

    op.create_table('mentor_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('protege_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('goal', sa.Text(), nullable=False),
    sa.Column('location_pref', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('role_pref', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('target_role', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('created_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'request_id', name='uq_mentor_request_request')
    )
    with op.batch_alter_table('mentor_request', schema=None) as batch_op:
        batch_op.create_index('ix_mentor_request_state', ['team_id', 'state', 'topic_id'], unique=False)

    op.create_table('mentoring_topic',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('curated', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('added_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'topic_id')
    )
    op.create_table('protege_to_mentor',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', 'topic_id')
    )
    op.create_table('volunteer_topic',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('added_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', 'topic_id')
    )
    with op.batch_alter_table('volunteer_topic', schema=None) as batch_op:
        batch_op.create_index('ix_volunteer_topic_topic', ['team_id', 'topic_id'], unique=False)

    op.create_table('mentor_candidate',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('offered_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['mentor_request.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'mentor_id')
    )
    op.create_table('mentorship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('protege_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.Column('proposed_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer_by', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('halfway_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('halfway_sent_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_sent_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('group_channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('mentor_met', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('protege_met', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('mentor_rating', sa.Integer(), nullable=True),
    sa.Column('protege_rating', sa.Integer(), nullable=True),
    sa.Column('mentor_word', sa.Text(), nullable=True),
    sa.Column('protege_word', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['mentor_request.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.create_index('ix_mentorship_mentor', ['team_id', 'mentor_id', 'state'], unique=False)
        batch_op.create_index('ix_mentorship_pair', ['team_id', 'protege_id', 'topic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentorship_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_mentorship_state', ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('mentorship', schema=None) as batch_op:
        batch_op.drop_index('ix_mentorship_state')
        batch_op.drop_index(batch_op.f('ix_mentorship_request_id'))
        batch_op.drop_index('ix_mentorship_pair')
        batch_op.drop_index('ix_mentorship_mentor')

    op.drop_table('mentorship')
    op.drop_table('mentor_candidate')
    with op.batch_alter_table('volunteer_topic', schema=None) as batch_op:
        batch_op.drop_index('ix_volunteer_topic_topic')

    op.drop_table('volunteer_topic')
    op.drop_table('protege_to_mentor')
    op.drop_table('mentoring_topic')
    with op.batch_alter_table('mentor_request', schema=None) as batch_op:
        batch_op.drop_index('ix_mentor_request_state')

    op.drop_table('mentor_request')
    with op.batch_alter_table('mentor_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_call_topic_id'))

    op.drop_table('mentor_call')
    op.drop_table('volunteer')
    op.drop_table('mentor_profile')
