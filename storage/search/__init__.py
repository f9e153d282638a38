"""Full-text search over questions and their answers, done by the database.

SQLite: FTS5 (`question_fts`, rowid = question id, porter stemming), ranked by bm25 with column
weights. PostgreSQL: `question_search` tsvector documents with a GIN index, ranked by ts_rank
with the title weighted A, the question B and the answers C. Both are created in migration 0002.

A search reads the knowledge base of the searcher's whole organisation (a `Reader`: its
workspaces, and the conversation searched from, for questions of private conversations:
storage.channels). A question's document is rebuilt by `reindex_question` whenever the question or one of its
answers changes (core/asking.py calls it in the same transaction), so the index is always in
step with what is stored. Terms come in already reduced to letters and digits
(`core.search.query_terms`), so no user text can reach either engine's query syntax.

`search` ranks exactly as one search for every term would, without scoring each document that
holds only a common word: on a large store that scoring was most of a search's time. The bounds
that make this safe are explained where each engine's search is.
"""

from __future__ import annotations

from storage import workspaces
from storage.search import fts5, tsvector
from storage.search.documents import (
    FTS5_WEIGHTS,
    TITLE_CHARS,
    dialect,
    document,
    document_frequencies,
    documents,
    forget,
    is_word,
    plain,
    porter,
    reindex_all,
    reindex_question,
)
from storage.search.hits import Hit, Reader

__all__ = [
    "FTS5_WEIGHTS",
    "TITLE_CHARS",
    "Hit",
    "Reader",
    "document",
    "document_frequencies",
    "documents",
    "forget",
    "is_word",
    "plain",
    "porter",
    "reader",
    "reindex_all",
    "reindex_question",
    "search",
]


def reader(session, *, team_id: str, channel_id: str | None = None) -> Reader:
    """A search for someone in `team_id` (in conversation `channel_id`, if any): it reads the
    knowledge base of the workspace's whole organisation (storage.workspaces.pool)."""
    return Reader(tuple(workspaces.pool(session, team_id=team_id)), channel_id or None)


def search(bind, *, reader: Reader, terms: list[str], limit: int, offset: int = 0) -> list[Hit]:
    """Posted questions the reader may see (of their organisation's workspaces; from a
    conversation that is not a public channel, only when they search from it) matching any of
    `terms`, best first.

    `terms` must be plain words (`is_word`); `core.search.query_terms` makes them.
    """
    if not terms:
        return []
    if any(not is_word(term) for term in terms):
        raise ValueError("search terms must be words: letters, marks and digits only")
    if limit <= 0:
        return []
    if dialect(bind) == "sqlite":
        hits = fts5.search(bind, reader, terms, offset + limit)
    else:
        hits = tsvector.search(bind, reader, terms, offset + limit)
    return hits[offset:]
