"""topics, anonymous questions with details, accepted answers, deflections, expertise, invitations

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.columns

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

When = storage.columns.UTCDateTime
Str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "helper_preference",
        sa.Column("team_id", Str(length=32), nullable=False),
        sa.Column("user_id", Str(length=32), nullable=False),
        sa.Column("invitations_paused", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", When(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )
    op.create_table(
        "topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", Str(length=32), nullable=False),
        sa.Column("key", Str(length=64), nullable=False),
        sa.Column("name", Str(length=64), nullable=False),
        sa.Column("created_by", Str(length=32), nullable=True),
        sa.Column("created_at", When(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "key", name="uq_topic_key"),
    )
    op.create_index("ix_topic_team_id", "topic", ["team_id"])
    op.create_table(
        "expertise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", Str(length=32), nullable=False),
        sa.Column("user_id", Str(length=32), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("declared_at", When(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", "topic_id", name="uq_expertise"),
    )
    op.create_index("ix_expertise_topic_id", "expertise", ["topic_id"])
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", Str(length=32), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", Str(length=32), nullable=False),
        sa.Column("invited_at", When(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("question_id", "user_id", name="uq_invitation"),
    )
    op.create_index("ix_invitation_recent", "invitation", ["team_id", "user_id", "invited_at"])
    op.create_table(
        "question_topic",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("team_id", Str(length=32), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id", "topic_id"),
    )
    op.create_index("ix_question_topic_topic_id", "question_topic", ["topic_id"])

    # Plain ADD COLUMN, never a batch (table-rebuilding) operation on SQLite: rebuilding
    # `question` would cascade to every answer.
    op.add_column("answer", sa.Column("accepted_at", When(timezone=True), nullable=True))
    op.add_column("answer", sa.Column("accepted_by", Str(length=32), nullable=True))
    op.create_index(
        "uq_answer_accepted",
        "answer",
        ["question_id"],
        unique=True,
        sqlite_where=sa.text("accepted_at IS NOT NULL"),
        postgresql_where=sa.text("accepted_at IS NOT NULL"),
    )
    op.add_column("question", sa.Column("details", sa.Text(), nullable=True))
    op.add_column("question", sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("question", sa.Column("deflected_by_id", sa.Integer(), nullable=True))
    op.add_column("question", sa.Column("deflected_at", When(timezone=True), nullable=True))
    op.add_column("question", sa.Column("shown_state", sa.String(16), server_default="open", nullable=False))
    op.add_column("question", sa.Column("post_version", sa.Integer(), server_default="0", nullable=False))
    # Posts of questions that already have answers show "answered" from the next change on.
    op.execute(
        "UPDATE question SET shown_state = 'answered' WHERE EXISTS "
        "(SELECT 1 FROM answer WHERE answer.question_id = question.id AND answer.deleted_at IS NULL)"
    )


def downgrade() -> None:
    for column in ("post_version", "shown_state", "deflected_at", "deflected_by_id", "anonymous", "details"):
        op.drop_column("question", column)
    op.drop_index("uq_answer_accepted", table_name="answer")
    op.drop_column("answer", "accepted_by")
    op.drop_column("answer", "accepted_at")
    op.drop_table("question_topic")
    op.drop_table("invitation")
    op.drop_table("expertise")
    op.drop_table("topic")
    op.drop_table("helper_preference")
