"""SQLite: FTS5 with bm25, the rarest terms searched first."""

from __future__ import annotations

import math

from storage import channels
from storage.search.documents import FTS5_WEIGHTS, fts5_counts
from storage.search.hits import Hit, Reader, first_posted

# SQLite: bm25 scores every document that matches any term, and a word most questions hold
# matches most of the index: one common word made a search rank tens of thousands of rows. But
# bm25 gives a common word little weight, and less than a bound however often a document holds
# it (`_bm25_ceiling`). So the rarest terms are searched first, each match scored by every term
# (`_fts5_ranked`); when the last of the best found scores at least what all the other words
# together could give a document, no document holding only those words can rank among them, and
# the answer is exactly what one search for every term gives (MaxScore, Turtle & Flood 1995).
# Otherwise more of the terms are searched, as many as that bound asks for, up to all of them: a
# later round ranks only the documents holding none of the words searched before (the best of
# those that hold one are known), so a second round costs about what its new words' matches do.
# (The counts the bound uses are read by an earlier statement: a write landing in between can
# only let a document scoring a hair above the last one found go unseen.)
_BM25_K1 = 1.2  # FTS5's bm25 constant k1 (fts5_aux.c)
_ROUNDING = 1e-9  # scores are doubles summed in another order: the bound keeps a margin
_FIRST_GUESS = 3.0  # measured on bench/search_latency.py: 2 and 4 were slower


def search(
    bind, reader: Reader, terms: list[str], wanted: int, known: tuple[dict[str, int], int] | None = None
) -> list[Hit]:
    """`known`: the terms' document counts and the number of documents, already read from the
    vocabulary (storage.search.document_frequencies: the same counts, kept a while). A term they
    count in no document is counted again here: it may be held by a question stored since its
    count was kept (a new word's questions would otherwise not be found until the counts are read
    afresh)."""
    counts = {term: known[0].get(term, 0) for term in terms} if known is not None else {}
    unknown = [term for term in terms if not counts.get(term)]
    documents = known[1] if known is not None else 0
    if unknown:
        counted, total = fts5_counts(bind, unknown)
        counts.update(counted)
        documents = max(documents, total)
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
    hits: list[Hit] = []
    done = 0  # terms[:done] were searched by earlier rounds: their best matches are in `hits`
    while True:
        # A round ranks only the questions holding none of the words searched before: the best of
        # those that hold one are in `hits` already, scored by every word. And those holding only
        # the round's own words are left out when those words cannot lift one above the last found.
        alone = len(hits) < wanted or hits[-1].score < sum(ceilings[done:searched]) * (1 + _ROUNDING)
        found = _fts5_ranked(
            bind, reader, terms[done:searched], terms[searched:], wanted, searched_before=terms[:done], alone=alone
        )
        hits = sorted(hits + found, key=lambda hit: (-hit.score, -hit.question_id))[:wanted]
        done = searched
        if searched == len(terms):
            return hits
        if len(hits) < wanted:
            searched += 1  # too few of the reader's questions hold these words: one more
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


def _fts5_ranked(
    bind,
    reader: Reader,
    searched: list[str],
    others: list[str],
    wanted: int,
    searched_before: list[str] | None = None,
    alone: bool = True,
) -> list[Hit]:
    """The `wanted` best of the posted questions the reader may see that hold one of `searched` (and
    none of `searched_before`; and, unless `alone`, one of `others` too), each scored by bm25 over
    `searched` and `others` together: as one search for all of them would.

    FTS5 scores a row by the phrases of the query it holds, so rows holding one of `others` are
    found by `searched AND others` and the rest by `searched NOT others`: every phrase appears
    once in each query, and a phrase a row does not hold adds nothing.
    """
    weights = ", ".join(str(w) for w in FTS5_WEIGHTS)
    holding = _fts5_phrases(searched)
    if searched_before:
        holding = f"({holding} NOT {_fts5_phrases(searched_before)})"
    matches = {"holding": holding}
    if others:
        any_other = _fts5_phrases(others)
        matches = {"holding": f"{holding} AND {any_other}", "lacking": f"{holding} NOT {any_other}"}
        if not alone:
            del matches["lacking"]
    ranked = " UNION ALL ".join(
        f"SELECT rowid AS id, bm25(question_fts, {weights}) AS rank FROM question_fts WHERE question_fts MATCH :{name}"
        for name in matches
    )
    sql = (
        f"SELECT c.id, -c.rank, {reader.in_pool('q.team_id')} AND q.status = 'posted' "
        f"AND {channels.shown_sql('q', 'reader_channel', '0')} "
        f"FROM ({ranked} ORDER BY rank, id DESC LIMIT coalesce(:prefix, -1)) AS c LEFT JOIN question q ON q.id = c.id "
        "ORDER BY c.rank, c.id DESC"
    )
    return first_posted(bind, sql, {**matches, **reader.params()}, wanted)
