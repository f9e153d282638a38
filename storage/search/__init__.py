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

from sqlalchemy import text

from storage import channels, workspaces
from storage.search import fts5, tsvector
from storage.search.documents import (
    FTS5_WEIGHTS,
    TITLE_CHARS,
    Document,
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
    "Document",
    "Hit",
    "Reader",
    "document",
    "document_frequencies",
    "documents",
    "forget",
    "is_word",
    "plain",
    "porter",
    "questions_after",
    "reader",
    "reindex_all",
    "reindex_question",
    "search",
    "shown_to",
]


def reader(session, *, team_id: str, channel_id: str | None = None) -> Reader:
    """A search for someone in `team_id` (in conversation `channel_id`, if any): it reads the
    knowledge base of the workspace's whole organisation (storage.workspaces.pool)."""
    return Reader(tuple(workspaces.pool(session, team_id=team_id)), channel_id or None)


def search(
    bind,
    *,
    reader: Reader,
    terms: list[str],
    limit: int,
    offset: int = 0,
    known: tuple[dict[str, int], int] | None = None,
) -> list[Hit]:
    """Posted questions the reader may see (of their organisation's workspaces; from a
    conversation that is not a public channel, only when they search from it) matching any of
    `terms`, best first.

    `terms` must be plain words (`is_word`); `core.search.query_terms` makes them. `known`: what
    `document_frequencies` gave for them, if already read (SQLite then need not count them again).
    """
    if not terms:
        return []
    if any(not is_word(term) for term in terms):
        raise ValueError("search terms must be words: letters, marks and digits only")
    if limit <= 0:
        return []
    if dialect(bind) == "sqlite":
        hits = fts5.search(bind, reader, terms, offset + limit, known)
    else:
        hits = tsvector.search(bind, reader, terms, offset + limit)
    return hits[offset:]


def shown_to(bind, *, reader: Reader, question_ids: list[int]) -> dict[int, str]:
    """Those of `question_ids` that are posted questions the reader may see (by the rule `search`
    keeps), each with its text and details as one text."""
    if not question_ids:
        return {}
    false = "0" if dialect(bind) == "sqlite" else "false"
    ids = {f"q{i}": question_id for i, question_id in enumerate(sorted(set(question_ids)))}
    rows = bind.execute(
        text(
            f"SELECT q.id, q.text, q.details FROM question q WHERE q.id IN ({', '.join(f':{name}' for name in ids)}) "
            f"AND {reader.in_pool('q.team_id')} AND q.status = 'posted' "
            f"AND {channels.shown_sql('q', 'reader_channel', false)}"
        ),
        {**ids, **reader.params()},
    )
    return {question_id: f"{question_text}\n{details or ''}" for question_id, question_text, details in rows}


def questions_after(bind, *, since: int, limit: int) -> list[tuple[int, str, str, str | None]]:
    """(id, team_id, text, details) of up to `limit` questions of any workspace whose id is above
    `since`, in id order: for a reader of every question kept in memory (core.semantic)."""
    rows = bind.execute(
        # Every workspace's, on purpose: the reader keeps them all, each with its workspace.
        text(
            "SELECT id, team_id, text, details FROM question WHERE id > :since ORDER BY id LIMIT :limit"
        ).execution_options(all_workspaces=True),
        {"since": since, "limit": limit},
    )
    return [tuple(row) for row in rows]
