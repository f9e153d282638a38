"""Full-text search over questions and their answers, done by the database.

SQLite: FTS5 (`question_fts`, rowid = question id, porter stemming), ranked by bm25 with column
weights. PostgreSQL: `question_search` tsvector documents with a GIN index, ranked by ts_rank
with the title weighted A, the question B and the answers C. Both are created in migration 0002.

A question's document is rebuilt by `reindex_question` whenever the question or one of its
answers changes (core/asking.py calls it in the same transaction), so the index is always in
step with what is stored. Terms come in already reduced to letters and digits
(`core.search.query_terms`), so no user text can reach either engine's query syntax.

`search` ranks exactly as one search for every term would, without scoring each document that
holds only a common word: on a large store that scoring was most of a search's time. The bounds
that make this safe are explained where each engine's search is.
"""

from __future__ import annotations

import functools
import html
import itertools
import math
import re
import threading
import unicodedata
from dataclasses import dataclass

from sqlalchemy import text

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


def _dialect(bind) -> str:
    return bind.get_bind().dialect.name if hasattr(bind, "get_bind") else bind.dialect.name


def _write(bind, rows: list[dict]) -> None:
    """Store documents: `rows` of {id, team, title, body, answers}."""
    if not rows:
        return
    if _dialect(bind) == "sqlite":
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
    sqlite = _dialect(bind) == "sqlite"
    lock = "" if sqlite else " FOR NO KEY UPDATE"
    row = bind.execute(
        text(f"SELECT text, details FROM question WHERE id = :id AND team_id = :team{lock}"),
        {"id": question_id, "team": team_id},
    ).first()
    if row is None:
        if sqlite:
            # The FTS5 table has no workspace column: delete only this workspace's question's row.
            bind.execute(
                text(
                    "DELETE FROM question_fts WHERE rowid = :id AND NOT EXISTS "
                    "(SELECT 1 FROM question WHERE id = :id AND team_id != :team)"
                ),
                {"id": question_id, "team": team_id},
            )
        else:
            bind.execute(
                text("DELETE FROM question_search WHERE question_id = :id AND team_id = :team"),
                {"id": question_id, "team": team_id},
            )
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


def documents(bind, *, team_id: str, question_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """(title, body, answers) of some of the workspace's questions, as `document` indexes them:
    what core.search re-ranks a search's best matches by."""
    if not question_ids:
        return {}
    ids = {f"q{i}": question_id for i, question_id in enumerate(sorted(set(question_ids)))}
    within = ", ".join(f":{name}" for name in ids)
    params = {**ids, "team": team_id}
    answers: dict[int, list[str]] = {}
    for question_id, answer_text in bind.execute(
        text(
            f"SELECT question_id, text FROM answer WHERE question_id IN ({within}) AND team_id = :team "
            "AND deleted_at IS NULL ORDER BY question_id, answered_at"
        ),
        params,
    ):
        answers.setdefault(question_id, []).append(answer_text)
    topics: dict[int, list[str]] = {}
    for question_id, name in bind.execute(
        text(
            "SELECT qt.question_id, t.name FROM question_topic qt JOIN topic t ON t.id = qt.topic_id "
            f"WHERE qt.question_id IN ({within}) AND qt.team_id = :team ORDER BY t.name"
        ),
        params,
    ):
        topics.setdefault(question_id, []).append(name)
    return {
        question_id: document(question_text, answers.get(question_id, []), details, topics.get(question_id, []))
        for question_id, question_text, details in bind.execute(
            text(f"SELECT id, text, details FROM question WHERE id IN ({within}) AND team_id = :team"), params
        )
    }


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
    if _dialect(bind) == "sqlite":
        stems = {term: porter(term) for term in terms}
        # About how many documents there are (a B-tree lookup, where counting would scan).
        total = bind.execute(text("SELECT coalesce(max(id), 0) FROM question")).scalar()
        database = str(bind.get_bind().url if hasattr(bind, "get_bind") else bind.engine.url)
        cached = _vocabulary_cache(database, total)
        wanted = sorted(set(stems.values()) - cached.keys())
        if wanted:
            params = {f"s{i}": stem for i, stem in enumerate(wanted)}
            placeholders = ", ".join(f":{name}" for name in params)
            found = dict(
                bind.execute(
                    text(f"SELECT term, doc FROM question_fts_vocab WHERE term IN ({placeholders})"), params
                ).all()
            )
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


@dataclass(frozen=True)
class Hit:
    question_id: int
    score: float  # higher is better; comparable within one search only


def search(bind, *, team_id: str, terms: list[str], limit: int, offset: int = 0) -> list[Hit]:
    """Posted questions of one workspace matching any of `terms`, best first.

    `terms` must be plain words (`is_word`); `core.search.query_terms` makes them.
    """
    if not terms:
        return []
    if any(not is_word(term) for term in terms):
        raise ValueError("search terms must be words: letters, marks and digits only")
    if limit <= 0:
        return []
    if _dialect(bind) == "sqlite":
        hits = _search_fts5(bind, team_id, terms, offset + limit)
    else:
        hits = _search_tsvector(bind, team_id, terms, offset + limit)
    return hits[offset:]


# Ranking first and filtering after: each engine orders its own index's matches (rank, then the
# newest question first, a total order) and only a prefix of that order is looked up in
# `question` for the status (and on SQLite, whose FTS5 table has no workspace column, the
# workspace); posted questions are most of what is indexed, so the prefix nearly always holds
# enough, and when it does not the whole order is read. (Joining `question` to every match first
# cost more than the ranking itself on a large store.)
_PREFIX_PER_HIT, _PREFIX_EXTRA = 4, 32


def _first_posted(bind, sql: str, params: dict, wanted: int) -> list[Hit]:
    """The first `wanted` of `sql`'s rows that are the workspace's posted questions. `sql` gives
    (question id, score, posted in the workspace) rows, best first, the first :prefix of its
    index's order (all of it when :prefix is NULL)."""
    prefix = _PREFIX_PER_HIT * wanted + _PREFIX_EXTRA
    while True:
        rows = bind.execute(text(sql), {**params, "prefix": prefix}).all()
        hits = [Hit(question_id, float(score)) for question_id, score, posted in rows if posted]
        if len(hits) >= wanted or prefix is None or len(rows) < prefix:
            return hits[:wanted]
        prefix = None  # the prefix ran out: read the whole order


# SQLite: bm25 scores every document that matches any term, and a word most questions hold
# matches most of the index: one common word made a search rank tens of thousands of rows. But
# bm25 gives a common word little weight, and less than a bound however often a document holds
# it (`_bm25_ceiling`). So the rarest terms are searched first, each match scored by every term
# (`_fts5_ranked`); when the last of the best found scores at least what all the other words
# together could give a document, no document holding only those words can rank among them, and
# the answer is exactly what one search for every term gives (MaxScore, Turtle & Flood 1995).
# Otherwise more of the terms are searched, as many as that bound asks for, up to all of them.
# (The counts the bound uses are read by an earlier statement: a write landing in between can
# only let a document scoring a hair above the last one found go unseen.)
_BM25_K1 = 1.2  # FTS5's bm25 constant k1 (fts5_aux.c)
_ROUNDING = 1e-9  # scores are doubles summed in another order: the bound keeps a margin
_FIRST_GUESS = 3.0  # measured on bench/search_latency.py: 2 and 4 were slower


def _search_fts5(bind, team_id: str, terms: list[str], wanted: int) -> list[Hit]:
    counts, documents = _fts5_counts(bind, terms)
    # A word no document holds adds nothing to any score: leave it out. Rarest first.
    terms = sorted((term for term in terms if counts[term]), key=lambda term: counts[term])
    if not terms:
        return []
    ceilings = [_bm25_ceiling(counts[term], documents) for term in terms]
    # terms[:searched] are searched; the others only add to the scores of what those find. A first
    # guess: the best few usually hold several of the words, scoring a few times the rarest one's
    # ceiling (a guess too high costs a second round, one too low a longer first one).
    searched = 1
    while (
        searched < len(terms)
        and (
            sum(counts[term] for term in terms[:searched]) < wanted  # too few hold the rarest words
            or sum(ceilings[searched:]) > _FIRST_GUESS * ceilings[0]
        )
    ):
        searched += 1
    while True:
        hits = _fts5_ranked(bind, team_id, terms[:searched], terms[searched:], wanted)
        if searched == len(terms):
            return hits
        if len(hits) < wanted:
            searched += 1  # too few of the workspace's questions hold these words: one more
            continue
        worst = hits[-1].score
        if worst >= sum(ceilings[searched:]) * (1 + _ROUNDING):
            return hits
        # The best found so far score at least `worst`, so words whose ceilings add up to no more
        # than that can be left unsearched: the next round ends the search.
        while searched < len(terms) and sum(ceilings[searched:]) * (1 + _ROUNDING) > worst:
            searched += 1


def _bm25_ceiling(count: int, documents: int) -> float:
    """More than a term held by `count` documents can add to any document's bm25 score.

    FTS5 adds idf * f * (k1 + 1) / (f + k1 * (1 - b + b * length / average length)) for a term
    of weighted frequency f in a document, which stays under idf * (k1 + 1); its idf is
    log((N - count + 0.5) / (count + 0.5)), at least 1e-6, with N the rows in the index. It
    grows with N, so a number of documents no smaller than N gives a ceiling no lower.
    """
    return (_BM25_K1 + 1) * max(math.log((documents - count + 0.5) / (count + 0.5)), 1e-6)


def _fts5_phrases(terms: list[str]) -> str:
    return "(" + " OR ".join(f'"{term}"' for term in terms) + ")"


def _fts5_counts(bind, terms: list[str]) -> tuple[dict[str, int], int]:
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


def _fts5_ranked(bind, team_id: str, searched: list[str], others: list[str], wanted: int) -> list[Hit]:
    """The `wanted` best of the workspace's posted questions that hold one of `searched`, each
    scored by bm25 over `searched` and `others` together: as one search for all of them would.

    FTS5 scores a row by the phrases of the query it holds, so rows holding one of `others` are
    found by `searched AND others` and the rest by `searched NOT others`: every phrase appears
    once in each query, and a phrase a row does not hold adds nothing.
    """
    weights = ", ".join(str(w) for w in FTS5_WEIGHTS)
    matches = {"holding": _fts5_phrases(searched)}
    if others:
        any_other = _fts5_phrases(others)
        matches = {
            "holding": f"{matches['holding']} AND {any_other}",
            "lacking": f"{matches['holding']} NOT {any_other}",
        }
    ranked = " UNION ALL ".join(
        f"SELECT rowid AS id, bm25(question_fts, {weights}) AS rank FROM question_fts WHERE question_fts MATCH :{name}"
        for name in matches
    )
    sql = (
        f"SELECT c.id, -c.rank, q.team_id = :team AND q.status = 'posted' "
        f"FROM ({ranked} ORDER BY rank, id DESC LIMIT coalesce(:prefix, -1)) AS c LEFT JOIN question q ON q.id = c.id "
        "ORDER BY c.rank, c.id DESC"
    )
    return _first_posted(bind, sql, {**matches, "team": team_id}, wanted)


# PostgreSQL: ts_rank has no idf (a common word weighs what a rare one does), but what one
# lexeme adds is bounded. For an OR query and the default weights (A 1.0, B 0.4, C 0.2, D 0.1),
# ts_rank is the sum over the query's n distinct lexemes of
# (w_m + sum_j w_j / j^2 - w_m / m^2) / (pi^2 / 6), over the lexeme's occurrences j = 1, 2, ...
# of weight w_j, the first of the heaviest being the m-th; divided by n. Occurrences before the
# m-th weigh at most 0.4, so a lexeme adds less than (1 + 0.4 + pi^2/6 - 1.25) / (pi^2/6) =
# 1.0912 / n, whatever the document's layout. A document holding at most h of the lexemes thus
# scores below h * 1.1 / n. So a search first ranks only candidates (`_candidates`), which the
# GIN index finds from its posting lists, and outside which a document holds at most h
# lexemes: when the last of the best found scores at least h * 1.1 / n, nothing else can rank
# among them and the answer is exactly the full search's. Otherwise h drops as far as the best
# found allow, down to ranking every match. (These searches read the GIN index more than once:
# migration 0006 turned its pending list off, which every read would otherwise scan.)
_TS_RANK_LEXEME_CEILING = 1.1  # with room for ts_rank's single precision
_COMMONEST = 2  # candidates may lack h + 2 of the commonest lexemes (measured: 0 and 1 slower, 3 no faster)


def _search_tsvector(bind, team_id: str, terms: list[str], wanted: int) -> list[Hit]:
    params = {"match": " | ".join(terms), "team": team_id}
    # The query's lexemes, commonest first by the planner's statistics (a guess: it only steers
    # which ones the candidates need not hold).
    lexemes = [
        lexeme
        for lexeme, _share in sorted(
            bind.execute(
                text(
                    "SELECT l.lexeme, coalesce(f.share, 0) FROM (SELECT DISTINCT lexeme "
                    " FROM unnest(CAST(:terms AS text[])) AS term, "
                    " LATERAL unnest(tsvector_to_array(to_tsvector('english', term))) AS lexeme) AS l "
                    "LEFT JOIN (SELECT unnest(most_common_elems::text::text[]) AS lexeme, "
                    " unnest(most_common_elem_freqs) AS share FROM pg_stats WHERE schemaname = current_schema() "
                    " AND tablename = 'question_search' AND attname = 'document') AS f ON f.lexeme = l.lexeme"
                ),
                {"terms": terms},
            ).all(),
            key=lambda row: (-row[1], row[0]),
        )
    ]
    n = len(lexemes)
    if not n:
        return []  # stop words only: to_tsquery matches nothing
    ceiling = _TS_RANK_LEXEME_CEILING / n
    # A first guess at h: the best few of a short query usually hold all its lexemes but one,
    # a long one's a third of them.
    held = max(n - 2, 1) if n <= 4 else n // 3
    while 0 < held < n:
        hits = _ts_ranked(bind, {**params, "candidates": _candidates(held, lexemes)}, wanted)
        worst = hits[-1].score if len(hits) == wanted else 0.0
        if worst >= held * ceiling:
            return hits
        held = min(held - 1, math.floor(worst / ceiling))
    return _ts_ranked(bind, params, wanted)


def _candidates(held: int, lexemes: list[str]) -> str:
    """A tsquery for the documents holding one of `lexemes` (commonest first) but for the
    `held` + _COMMONEST commonest, or more than `held` of those: a document it does not match
    holds at most `held` of them. (The lexemes are already normalised: a tsquery cast from text
    is read as is, not parsed by a configuration.)"""
    quoted = ["'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes]
    common, rare = quoted[: held + _COMMONEST], quoted[held + _COMMONEST :]
    return " | ".join(rare + ["(" + " & ".join(group) + ")" for group in itertools.combinations(common, held + 1)])


def _ts_ranked(bind, params: dict, wanted: int) -> list[Hit]:
    """The `wanted` best posted questions of the workspace matching :match, by ts_rank; only among
    those matching the tsquery :candidates when given."""
    candidates = " AND s.document @@ CAST(:candidates AS tsquery)" if "candidates" in params else ""
    sql = (
        "SELECT c.question_id, c.rank, q.status = 'posted' FROM ("
        " SELECT s.question_id, ts_rank(s.document, query) AS rank"
        " FROM question_search s, to_tsquery('english', :match) AS query"
        f" WHERE s.team_id = :team AND s.document @@ query{candidates}"
        " ORDER BY rank DESC, s.question_id DESC LIMIT :prefix"
        ") AS c LEFT JOIN question q ON q.id = c.question_id "
        "ORDER BY c.rank DESC, c.question_id DESC"
    )
    return _first_posted(bind, sql, params, wanted)
