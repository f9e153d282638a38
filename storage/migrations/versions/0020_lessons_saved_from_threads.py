"""Lessons saved from conversations ("Save as a lesson"): who saved a question from a thread, and when

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-12 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

import storage.columns

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

CREATED = ('team_id', 'created_at', 'status', 'posted_at', 'asker_id')


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild of `question` on SQLite: it would cascade to answers).
    op.add_column('question', sa.Column('saved_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.add_column('question', sa.Column('saved_at', storage.columns.UTCDateTime(timezone=True), nullable=True))
    # Lessons saved by date: few rows, a small partial index.
    op.create_index(
        'ix_question_saved_at',
        'question',
        ['team_id', 'saved_at'],
        unique=False,
        sqlite_where=sa.text('saved_by IS NOT NULL'),
        postgresql_where=sa.text('saved_by IS NOT NULL'),
    )
    # The scoreboard's covering index, with saved_by: lessons are counted apart from questions asked.
    op.drop_index('ix_question_created', table_name='question')
    op.create_index('ix_question_created', 'question', [*CREATED, 'saved_by'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_question_saved_at', table_name='question')
    op.drop_index('ix_question_created', table_name='question')
    op.create_index('ix_question_created', 'question', list(CREATED), unique=False)
    op.drop_column('question', 'saved_at')  # native DROP COLUMN: no table rebuild on SQLite
    op.drop_column('question', 'saved_by')
