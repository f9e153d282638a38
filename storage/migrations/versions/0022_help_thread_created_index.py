"""Help channels: an index on when Knowhow first acted on a message, for the retention sweep

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 05:00:00
"""

from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_help_thread_created', 'help_thread', ['team_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_help_thread_created', table_name='help_thread')
