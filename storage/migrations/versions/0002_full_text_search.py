"""full-text search over questions and their answers; question permalinks

SQLite: an FTS5 table whose rowid is the question's id (porter stemming, unicode61 tokens), and
an fts5vocab table over it (document frequency per term).
PostgreSQL: a table of tsvector documents with a GIN index.
Both are filled by storage.search.reindex_question. This migration indexes nothing: 0001 and
0002 ship together, so no database holds questions from before it. (A later migration that
needs a rebuild should carry its own SQL, not call code that may have moved on.)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("question") as batch_op:
        batch_op.add_column(sa.Column("permalink", sa.String(length=500), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE question_fts USING fts5("
            "title, body, answers, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        # How many documents hold each (stemmed) term: picks the informative words of a long query.
        op.execute("CREATE VIRTUAL TABLE question_fts_vocab USING fts5vocab(question_fts, 'row')")
    else:
        op.execute(
            "CREATE TABLE question_search ("
            " question_id INTEGER PRIMARY KEY REFERENCES question (id) ON DELETE CASCADE,"
            " team_id VARCHAR(32) NOT NULL,"
            " document TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_question_search_document ON question_search USING GIN (document)")
        op.execute("CREATE INDEX ix_question_search_team ON question_search (team_id)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE question_fts_vocab")
        op.execute("DROP TABLE question_fts")
    else:
        op.execute("DROP TABLE question_search")
    # Not a batch (table-rebuilding) operation on SQLite: dropping and recreating `question`
    # would cascade to every answer. SQLite has had DROP COLUMN since 3.35.
    op.drop_column("question", "permalink")
