"""Lessons saved from conversations ("Save as a lesson"): who saved a question from a thread, and when

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-12 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.columns

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

CREATED = ('team_id', 'created_at', 'status', 'posted_at', 'asker_id')


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('saved_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('saved_at', storage.columns.UTCDateTime(timezone=True), nullable=True))
    # The scoreboard's covering index, with saved_by: lessons are counted apart from questions asked.
    op.drop_index('ix_question_created', table_name='question')
    op.create_index('ix_question_created', 'question', [*CREATED, 'saved_by'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_question_created', table_name='question')
    op.create_index('ix_question_created', 'question', list(CREATED), unique=False)
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('saved_at')
        batch_op.drop_column('saved_by')
