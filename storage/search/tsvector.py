"""PostgreSQL: tsvector documents ranked by ts_rank, candidates narrowed by their rarest lexemes."""

from __future__ import annotations

import itertools
import math

from sqlalchemy import text

from storage import channels
from storage.search.hits import Hit, Reader, first_posted

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


def search(bind, reader: Reader, terms: list[str], wanted: int) -> list[Hit]:
    params = {"match": " | ".join(terms), **reader.params()}
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
        hits = _ts_ranked(bind, reader, {**params, "candidates": _candidates(held, lexemes)}, wanted)
        worst = hits[-1].score if len(hits) == wanted else 0.0
        if worst >= held * ceiling:
            return hits
        held = min(held - 1, math.floor(worst / ceiling))
    return _ts_ranked(bind, reader, params, wanted)


def _candidates(held: int, lexemes: list[str]) -> str:
    """A tsquery for the documents holding one of `lexemes` (commonest first) but for the
    `held` + _COMMONEST commonest, or more than `held` of those: a document it does not match
    holds at most `held` of them. (The lexemes are already normalised: a tsquery cast from text
    is read as is, not parsed by a configuration.)"""
    quoted = ["'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes]
    common, rare = quoted[: held + _COMMONEST], quoted[held + _COMMONEST :]
    return " | ".join(rare + ["(" + " & ".join(group) + ")" for group in itertools.combinations(common, held + 1)])


def _ts_ranked(bind, reader: Reader, params: dict, wanted: int) -> list[Hit]:
    """The `wanted` best posted questions the reader may see matching :match, by ts_rank; only
    among those matching the tsquery :candidates when given."""
    candidates = " AND s.document @@ CAST(:candidates AS tsquery)" if "candidates" in params else ""
    sql = (
        "SELECT c.question_id, c.rank, q.status = 'posted' AND "
        f"{channels.shown_sql('q', 'reader_channel', 'false')} FROM ("
        " SELECT s.question_id, ts_rank(s.document, query) AS rank"
        " FROM question_search s, to_tsquery('english', :match) AS query"
        f" WHERE {reader.in_pool('s.team_id')} AND s.document @@ query{candidates}"
        " ORDER BY rank DESC, s.question_id DESC LIMIT :prefix"
        ") AS c LEFT JOIN question q ON q.id = c.question_id "
        "ORDER BY c.rank DESC, c.question_id DESC"
    )
    return first_posted(bind, sql, params, wanted)
