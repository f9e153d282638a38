"""Each question's search document, kept in step with what is stored, and how common a word is."""

from __future__ import annotations

import functools
import html
import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, text

TITLE_CHARS = 200
# bm25 weights for FTS5's columns: title, body, answers.
FTS5_WEIGHTS = (10.0, 4.0, 2.0)


def is_word(term: str) -> bool:
    """Letters, combining marks and digits only: nothing either engine's query syntax reads."""
    return bool(term) and all(unicodedata.category(ch)[0] in "LMN" for ch in term)


_LINK = re.compile(r"<(?:[^<>|]*\|)?([^<>]*)>")


def plain(mrkdwn: str) -> str:
    """Stored text is Slack mrkdwn: `<url|label>` reads as its label, `<@U123>` as nothing, and
    `&amp;`/`&lt;`/`&gt;` as what the person typed."""
    without_links = _LINK.sub(lambda m: "" if m.group(1).startswith(("@", "!")) else m.group(1), mrkdwn)
    return html.unescape(without_links)


def document(
    question_text: str, answers: list[str], details: str | None = None, topics: list[str] = ()
) -> tuple[str, str, str]:
    """(title, body, answers) of a question, as indexed: the title is the question's first line,
    the body the whole question with its details and topic names."""
    body = plain(question_text)
    first_line = body.strip().split("\n", 1)[0]
    title = first_line[:TITLE_CHARS]
    extra = [plain(details)] if details else []
    if topics:
        extra.append(" ".join(topics))
    return title, "\n".join([body, *extra]), "\n".join(plain(a) for a in answers)


def dialect(bind) -> str:
    return bind.get_bind().dialect.name if hasattr(bind, "get_bind") else bind.dialect.name


def _write(bind, rows: list[dict]) -> None:
    """Store documents: `rows` of {id, team, title, body, answers}."""
    if not rows:
        return
    if dialect(bind) == "sqlite":
        bind.execute(text("DELETE FROM question_fts WHERE rowid = :id"), rows)
        bind.execute(
            text("INSERT INTO question_fts (rowid, title, body, answers) VALUES (:id, :title, :body, :answers)"), rows
        )
        return
    bind.execute(
        text(
            "INSERT INTO question_search (question_id, team_id, document) VALUES (:id, :team, "
            " setweight(to_tsvector('english', :title), 'A') || setweight(to_tsvector('english', :body), 'B')"
            " || setweight(to_tsvector('english', :answers), 'C')) "
            "ON CONFLICT (question_id) DO UPDATE SET document = EXCLUDED.document"
        ),
        rows,
    )


def _row(
    question_id: int,
    team_id: str,
    question_text: str,
    answers: list[str],
    details: str | None = None,
    topics: list[str] = (),
) -> dict:
    title, body, answer_text = document(question_text, answers, details, topics)
    return {"id": question_id, "team": team_id, "title": title, "body": body, "answers": answer_text}


def reindex_question(bind, *, team_id: str, question_id: int) -> None:
    """Rebuild one question's document from what is stored (`bind`: a Session or a Connection).

    Two transactions changing one question (two replies at once) must not leave the older
    document last: on PostgreSQL the question row is locked before its answers are read, so the
    second waits and then reads what the first committed. (`NO KEY UPDATE`, because each answer
    insert holds a KEY SHARE lock on its question: `FOR UPDATE` would deadlock two repliers.)
    SQLite needs nothing: its write lock is taken before these reads.
    """
    sqlite = dialect(bind) == "sqlite"
    lock = "" if sqlite else " FOR NO KEY UPDATE"
    row = bind.execute(
        text(f"SELECT text, details FROM question WHERE id = :id AND team_id = :team{lock}"),
        {"id": question_id, "team": team_id},
    ).first()
    if row is None:
        forget(bind, questions=[(team_id, question_id)])
        return
    answers = [
        a
        for (a,) in bind.execute(
            text(
                "SELECT text FROM answer WHERE question_id = :id AND team_id = :team AND deleted_at IS NULL "
                "ORDER BY answered_at"
            ),
            {"id": question_id, "team": team_id},
        )
    ]
    topics = [
        name
        for (name,) in bind.execute(
            text(
                "SELECT t.name FROM topic t JOIN question_topic qt ON qt.topic_id = t.id "
                "WHERE qt.question_id = :id AND qt.team_id = :team ORDER BY t.name"
            ),
            {"id": question_id, "team": team_id},
        )
    ]
    _write(bind, [_row(question_id, team_id, row[0], answers, row[1], topics)])


def forget(bind, *, questions: Sequence[tuple[str, int]]) -> None:
    """Delete the documents of questions that are gone: (workspace, question id) pairs."""
    if not questions:
        return
    params = [{"id": question_id, "team": team_id} for team_id, question_id in questions]
    if dialect(bind) == "sqlite":
        # The FTS5 table has no workspace column: delete only this workspace's question's row.
        statement = (
            "DELETE FROM question_fts WHERE rowid = :id AND NOT EXISTS "
            "(SELECT 1 FROM question WHERE id = :id AND team_id != :team)"
        )
    else:
        statement = "DELETE FROM question_search WHERE question_id = :id AND team_id = :team"
    bind.execute(text(statement), params)


class Document(NamedTuple):
    """A question as `document` indexes it, and as it is stored."""

    title: str
    body: str
    answers: str
    stored: str  # its text and details as one text, as storage.search.shown_to gives them


def documents(bind, *, team_ids: Sequence[str], question_ids: list[int]) -> dict[int, Document]:
    """Some of these workspaces' questions, as `document` indexes them: what core.search re-ranks a
    search's best matches by."""
    if not question_ids or not team_ids:
        return {}
    params = {"ids": sorted(set(question_ids)), "teams": list(team_ids)}
    answers: dict[int, list[str]] = {}
    for question_id, answer_text in bind.execute(_ANSWERS_OF, params):
        answers.setdefault(question_id, []).append(answer_text)
    topics: dict[int, list[str]] = {}
    for question_id, name in bind.execute(_TOPICS_OF, params):
        topics.setdefault(question_id, []).append(name)
    return {
        question_id: Document(
            *document(question_text, answers.get(question_id, []), details, topics.get(question_id, [])),
            stored=f"{question_text}\n{details or ''}",
        )
        for question_id, question_text, details in bind.execute(_QUESTIONS_OF, params)
    }


# (Built once: a statement made for each call cost more than the database took to answer it.)
_ANSWERS_OF = text(
    "SELECT question_id, text FROM answer WHERE question_id IN :ids AND team_id IN :teams "
    "AND deleted_at IS NULL ORDER BY question_id, answered_at"
).bindparams(bindparam("ids", expanding=True), bindparam("teams", expanding=True))
_TOPICS_OF = text(
    "SELECT qt.question_id, t.name FROM question_topic qt JOIN topic t ON t.id = qt.topic_id "
    "WHERE qt.question_id IN :ids AND qt.team_id IN :teams ORDER BY t.name"
).bindparams(bindparam("ids", expanding=True), bindparam("teams", expanding=True))
_QUESTIONS_OF = text("SELECT id, text, details FROM question WHERE id IN :ids AND team_id IN :teams").bindparams(
    bindparam("ids", expanding=True), bindparam("teams", expanding=True)
)


def reindex_all(bind, *, batch: int = 2000) -> int:
    """Rebuild every question's document, in batches (after a migration, an import, or to repair)."""
    answers: dict[int, list[str]] = {}
    for question_id, answer_text in bind.execute(
        text("SELECT question_id, text FROM answer WHERE deleted_at IS NULL ORDER BY question_id, answered_at")
    ):
        answers.setdefault(question_id, []).append(answer_text)
    topics: dict[int, list[str]] = {}
    for question_id, name in bind.execute(
        text("SELECT qt.question_id, t.name FROM question_topic qt JOIN topic t ON t.id = qt.topic_id ORDER BY t.name")
    ):
        topics.setdefault(question_id, []).append(name)
    count, rows = 0, []
    for question_id, team_id, question_text, details in bind.execute(
        text("SELECT id, team_id, text, details FROM question ORDER BY id")
    ).all():
        rows.append(
            _row(
                question_id, team_id, question_text, answers.get(question_id, []), details, topics.get(question_id, [])
            )
        )
        if len(rows) >= batch:
            _write(bind, rows)
            count, rows = count + len(rows), []
    _write(bind, rows)
    return count + len(rows)


_stemmer = None
_stemmer_lock = threading.Lock()  # a Snowball stemmer keeps its word in itself: one at a time


@functools.lru_cache(maxsize=65536)
def porter(word: str) -> str:
    """The stem FTS5's porter tokenizer indexes `word` under (Snowball's original Porter)."""
    global _stemmer
    with _stemmer_lock:
        if _stemmer is None:
            import snowballstemmer

            _stemmer = snowballstemmer.stemmer("porter")
        return _stemmer.stemWord(word)


# SQLite's vocabulary table counts a word's documents by reading its whole posting list: a
# millisecond or more for a word many of 100,000 questions hold, and the similar-question
# re-ranking asks for every word of its candidates. Counts are kept per database for as long as
# the number of documents stays within _VOCABULARY_DRIFT of what it was when they were read:
# they only weigh words, and a few new questions hardly move them. (PostgreSQL reads its
# planner's statistics: nothing to keep.)
_VOCABULARY_DRIFT = 0.01
_VOCABULARY_CACHED = 200_000  # words kept at most, over all databases
_vocabularies: dict[str, tuple[int, dict[str, int]]] = {}
_vocabularies_lock = threading.Lock()


def _vocabulary_cache(database: str, documents: int) -> dict[str, int]:
    """The document counts kept for `database` (stem -> count), emptied when the number of its
    documents moved by more than _VOCABULARY_DRIFT since they were read."""
    with _vocabularies_lock:
        since, counts = _vocabularies.get(database, (None, None))
        if counts is None or abs(documents - since) > _VOCABULARY_DRIFT * since:
            if counts is None and len(_vocabularies) >= 16:
                _vocabularies.clear()  # test runs make many small databases
            counts = {}
            _vocabularies[database] = (documents, counts)
        return counts


def fts5_counts(bind, terms: list[str]) -> tuple[dict[str, int], int]:
    """How many indexed documents match each term, as bm25 counts them (FTS5's own tokenizer
    reads each phrase), and a number of documents no smaller than the index holds (the span of
    its rowids: a count would read every row). One statement; a common word costs about a
    millisecond per 30,000 documents, a rare one next to nothing."""
    params = {f"t{i}": f'"{term}"' for i, term in enumerate(terms)}
    counts = ", ".join(f"(SELECT count(*) FROM question_fts WHERE question_fts MATCH :{name})" for name in params)
    row = bind.execute(
        text(
            f"SELECT {counts}, (SELECT rowid FROM question_fts ORDER BY rowid DESC LIMIT 1), "
            "(SELECT rowid FROM question_fts ORDER BY rowid LIMIT 1)"
        ),
        params,
    ).one()
    last, first = row[-2:]
    return dict(zip(terms, row[:-2])), (last - first + 1 if last is not None else 0)


def document_frequencies(bind, terms: list[str]) -> tuple[dict[str, int], int] | None:
    """About how many indexed documents hold each term, and how many there are in all; None
    when the database has no statistics yet. Counts are over all workspaces: they only steer
    which words of a long query are worth searching for.

    SQLite: from the FTS5 vocabulary (terms stemmed as FTS5's porter tokenizer does), exact but
    for the drift the counts kept allow.
    PostgreSQL: the planner's statistics of the tsvector column (ANALYZE's most common lexemes
    and their frequencies); a lexeme not among them is rarer than all of those, and counted as 1.
    """
    if not terms:
        return None
    if dialect(bind) == "sqlite":
        stems = {term: porter(term) for term in terms}
        # About how many documents there are (a B-tree lookup, where counting would scan).
        total = bind.execute(text("SELECT coalesce(max(id), 0) FROM question")).scalar()
        database = str(bind.get_bind().url if hasattr(bind, "get_bind") else bind.engine.url)
        cached = _vocabulary_cache(database, total)
        wanted = set(stems.values()) - cached.keys()
        if wanted:
            params = {f"s{i}": stem for i, stem in enumerate(sorted(wanted))}
            placeholders = ", ".join(f":{name}" for name in params)
            found = dict(
                bind.execute(
                    text(f"SELECT term, doc FROM question_fts_vocab WHERE term IN ({placeholders})"), params
                ).all()
            )
            # Snowball's Porter and FTS5's differ on a few words ("technology": FTS5 indexes technolog,
            # Snowball gives technologi; "possibly"; words under three letters) and accented ones are
            # indexed without their marks: a stem the vocabulary lacks is counted as FTS5 reads the word.
            missing = {
                stem: term for term, stem in stems.items() if stem in wanted and stem not in found and is_word(term)
            }
            if missing:
                counted, _ = fts5_counts(bind, list(missing.values()))
                found.update((stem, counted[term]) for stem, term in missing.items())
            if len(cached) + len(wanted) > _VOCABULARY_CACHED:
                cached.clear()
            cached.update((stem, found.get(stem, 0)) for stem in wanted)
        return {term: cached.get(stem, 0) for term, stem in stems.items()}, total
    stats = bind.execute(
        text(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
            " AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = s.schemaname) "
            "WHERE s.schemaname = current_schema() AND s.tablename = 'question_search' AND s.attname = 'document'"
        )
    ).first()
    if stats is None or stats[0] is None or not stats[2] or stats[2] <= 0:
        return None
    elems, freqs, total = stats
    share = dict(zip(elems, freqs))
    lexemes = bind.execute(
        text(
            "SELECT term, lexeme FROM unnest(CAST(:terms AS text[])) AS term, "
            "LATERAL unnest(tsvector_to_array(to_tsvector('english', term))) AS lexeme"
        ),
        {"terms": terms},
    ).all()
    counts = {term: max(1, round(share.get(lexeme, 0) * total)) for term, lexeme in lexemes}
    return counts, int(total)
