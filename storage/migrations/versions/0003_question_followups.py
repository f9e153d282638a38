"""questions remember when they were raised again for lack of answers

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import storage.columns

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("question", sa.Column("followed_up_at", storage.columns.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("question", "followed_up_at")  # native DROP COLUMN: no table rebuild on SQLite
