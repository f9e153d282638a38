"""Finding earlier questions: the rules behind `/ask search` and the suggestions shown before a
question is posted (core.lessons).

Both read the knowledge base of the searcher's whole organisation: every workspace of an
Enterprise Grid organisation (a question answered in Paris is found from Singapore), or the
workspace itself outside Grid. A question asked in a conversation that is not a public channel is
found only from that conversation (storage.channels). Each match keeps the workspace it lives in
and its permalink, which Slack made in that workspace (`chat.getPermalink` with its own
installation), so it opens there.

Whatever a person types is reduced to plain words here, so that quotes, operators, brackets,
`NEAR`, `*`, emoji and any script are safe: the databases only ever see letters and digits.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from core.accepting import PostState
from storage import qa
from storage import search as index
from storage.models import Answer, Question

MAX_TERMS = 32
MAX_TERM_CHARS = 64  # a run of CJK with no spaces is one "word": keep it to a searchable length
# English function words, with all of PostgreSQL's `english` stop list: that engine never indexes
# those, so leaving them out here too keeps both engines' queries and re-ranking the same.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing don down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own s same she should so some such t than that the their theirs them themselves then there
    these they this those through to too under until up us very was we were what when where which
    while who whom why will with would you your yours yourself yourselves""".split()
)
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    """Runs of letters, combining marks and digits, in any script ("नमस्ते" stays one word)."""
    if text.isascii():  # the common case, the same words found faster
        return _ASCII_WORD.findall(text.lower())
    words, current = [], []
    # "İ".lower() is "i" + a combining dot; the databases lower-case it to a plain "i".
    for ch in unicodedata.normalize("NFC", text.lower().replace("i\u0307", "i")):
        if unicodedata.category(ch)[0] in "LMN":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def query_terms(text: str) -> list[str]:
    """The words of `text` worth searching for: lower-cased, without stop words, each once."""
    seen: dict[str, None] = {}
    for word in _words(text):
        word = word[:MAX_TERM_CHARS]
        if word not in STOP_WORDS and word not in seen:
            seen[word] = None
    return list(seen)[:MAX_TERMS]


# A long question (pasted logs, a whole paragraph) is searched by its most informative words:
# the rarest ones in the index, leaving out words most documents hold. That keeps the lookup
# fast on a large store and ranks by what distinguishes the question.
SIMILAR_TERMS = 8
COMMON_SHARE = 0.1
COMMON_AT_LEAST = 100  # in a small store no word is too common to search: it is all cheap


def first_line_terms(text: str) -> set[str]:
    """The words of `text`'s first line: its title, as the index takes it."""
    return set(query_terms(index.plain(text).strip().split("\n", 1)[0]))


def informative_terms(
    terms: list[str], frequencies: dict[str, int], documents: int, first: frozenset[str] | set[str] = frozenset()
) -> list[str]:
    """Up to SIMILAR_TERMS of `terms`: those of the `first` line (a question's title says what it
    is about), then the rest, each rarest first; words in more than COMMON_SHARE of the documents
    only when nothing rarer is left. Words the statistics do not know fill the places the known
    rare words leave: most are simply absent from the index, but some are indexed under another
    form (an accent, a stemmer's variant), and a word that matches nothing costs nothing."""
    count = {t: frequencies.get(t, 0) for t in terms}
    rare = sorted(
        (t for t in terms if count[t] <= max(COMMON_SHARE * documents, COMMON_AT_LEAST)),
        key=lambda t: (count[t] == 0, t not in first, count[t], terms.index(t)),
    )
    if rare:
        return rare[:SIMILAR_TERMS]
    return sorted(terms, key=lambda t: count[t])[:2]


# The similar-question candidates are found by those informative words (in the order above) whose
# documents add up to no more than SEARCH_BUDGET (the first always): the engine scores every
# document holding a searched word, and on a large store a few middling words made a lookup score
# tens of thousands (at 100,000 questions, the search alone was 29 ms at p95). The words left out
# still rank what is found (`rerank` reads all of the question), and what shares only those is left
# to the search by meaning (core.semantic.nearest). Measured with bench/similar_quality.py
# --at-scale 100000 (SQLite): MAP among 100,000 questions within 0.3 of searching every informative
# word on both splits, at ~a third of the search's cost; 1,000 lost 2 MAP points on dev.
SEARCH_BUDGET = 3000


def affordable(terms: list[str], frequencies: dict[str, int], budget: int | None = None) -> list[str]:
    """Those of `terms` (best first) whose documents (`frequencies`) add up to at most `budget`
    (default SEARCH_BUDGET): the first whatever it costs, then each in turn that still fits."""
    budget = SEARCH_BUDGET if budget is None else budget
    chosen, total = [], 0
    for term in terms:
        count = frequencies.get(term, 0)
        if not chosen or total + count <= budget:
            chosen.append(term)
            total += count
    return chosen


def stem(word: str) -> str:
    """One stemmer (Porter's, as SQLite's FTS5 indexes by) for both databases, so the re-ranking
    and the suggestions' coverage mean the same on SQLite and PostgreSQL."""
    return index.porter(word)


# The similar-question ranking: each engine finds the best RERANK_CANDIDATES matches for the
# informative words (its own index and ranking: fast at any size), and they are re-ranked here,
# the same way on both engines, by the cosine of tf-idf vectors over stemmed words (idf from the
# engine's document frequencies): the new question's every word against the earlier question,
# its title (first line) counting TITLE_WEIGHT times. Tuned on SemEval-2016 3B (bench/
# similar_quality.py): the cosine's length normalisation suits question-to-question matching
# better than bm25, which favours long questions that mention everything.
# (TITLE_WEIGHT is the words-only ranking's; mixed with WordLlama's cosine, the title counts
# core.semantic.TITLE_WEIGHT times, tuned with it.)
RERANK_CANDIDATES = 10
TITLE_WEIGHT = 2
# Two words the new question writes apart also count joined ("home school" finds "homeschooling",
# "lu lu" finds "lulu", "west bay" finds "westbay"): people spell compounds both ways.
JOINED = True
# Words shared with an earlier question's answers count for a little (their share of the new
# question's weight, times ANSWER_SHARE): an answer can move a match up, not make it one.
# (SemEval's questions come without answers: this share is not tuned on it.)
ANSWER_SHARE = 0.1
MAX_QUERY_WORDS = 400  # a pasted log is not read to its end


def _stems_of(text: str) -> set[str]:
    """The stems of `text`'s words, without stop words."""
    return set(map(index.porter, [word[:MAX_TERM_CHARS] for word in _words(text) if word not in STOP_WORDS]))


def joined_pairs(words: list[str]) -> list[str]:
    """Two neighbouring words (letters only, neither a stop word) written as one."""
    return [
        a + b
        for a, b in itertools.pairwise(words)
        if a.isalpha() and b.isalpha() and a not in STOP_WORDS and b not in STOP_WORDS
    ]


def _idf(count: int, documents: int) -> float:
    """bm25's idf (as FTS5 computes it): a word most documents hold weighs next to nothing."""
    return max(math.log((documents - count + 0.5) / (count + 0.5)), 1e-6)


def rerank(
    session: Session,
    *,
    reader: index.Reader,
    text: str,
    hits: list[index.Hit],
    known: tuple[dict[str, int], int] | None = None,
    title_weight: int | None = None,
    docs: dict[int, index.Document] | None = None,
) -> list[index.Hit]:
    """`hits` (an engine's best matches for `text`) re-ranked by meaning of words: the cosine of
    `text` and each question (title counted `title_weight` times, default TITLE_WEIGHT), plus
    ANSWER_SHARE of the new question's weight its answers hold; ties keep the engine's order.
    (`known`: document frequencies already read for some of the words; `docs`: the hits' documents,
    if already read.)"""
    if not hits:
        return []
    if docs is None:
        docs = index.documents(session, team_ids=reader.team_ids, question_ids=[h.question_id for h in hits])
    extra = (TITLE_WEIGHT if title_weight is None else title_weight) - 1
    porter = index.porter  # (a cache: each word is stemmed once a process, and called here without a wrapper)
    words = [word[:MAX_TERM_CHARS] for word in _words(index.plain(text))][:MAX_QUERY_WORDS]
    content = [word for word in words if word not in STOP_WORDS]
    query = Counter(map(porter, content))
    raw = set(content)
    if JOINED:
        pairs = joined_pairs(words)
        query.update(map(porter, pairs))
        raw.update(pairs)
    if not query:
        return hits
    vectors, answers = {}, {}
    for question_id, (title, body, answer_text, _) in docs.items():
        doc_words = [word[:MAX_TERM_CHARS] for word in _words(body) if word not in STOP_WORDS]
        raw.update(doc_words)
        vector = Counter(map(porter, doc_words))
        for key in map(porter, (word[:MAX_TERM_CHARS] for word in _words(title) if word not in STOP_WORDS)):
            vector[key] += extra
        vectors[question_id] = vector
        answers[question_id] = _stems_of(answer_text) if answer_text else set()
    # Document frequencies by stem (several words may share one: the most documents counted).
    unknown = [word for word in raw if known is None or word not in known[0]]
    frequencies = index.document_frequencies(session, unknown) if unknown else known
    if known is not None and frequencies is not None and frequencies is not known:
        frequencies = ({**known[0], **frequencies[0]}, frequencies[1])
    if frequencies is None:
        weight = dict.fromkeys(set(query).union(*vectors.values()), 1.0)  # no statistics yet: words weigh alike
    else:
        counts, documents = frequencies
        by_stem: dict[str, int] = {}
        for word in raw:
            key = porter(word)
            by_stem[key] = max(by_stem.get(key, 0), counts.get(word, 0))
        weight = {key: _idf(count, documents) for key, count in by_stem.items()}
        for key in set(query).union(*vectors.values()) - weight.keys():
            weight[key] = _idf(0, documents)
    query_weight = {term: count * weight[term] for term, count in query.items()}
    query_norm = math.sqrt(sum(w * w for w in query_weight.values()))
    query_mass = sum(w * weight[t] for t, w in query_weight.items())
    scored = []
    for position, hit in enumerate(hits):
        vector = vectors.get(hit.question_id)
        if vector is None:
            continue
        norm = math.sqrt(sum((count * weight[term]) ** 2 for term, count in vector.items()))
        dot = sum(w * vector[t] * weight[t] for t, w in query_weight.items() if t in vector)
        score = dot / (norm * query_norm) if norm and query_norm else 0.0
        held = sum(w * weight[t] for t, w in query_weight.items() if t in answers[hit.question_id])
        score += ANSWER_SHARE * (held / query_mass if query_mass else 0.0)
        scored.append((-score, position, index.Hit(hit.question_id, score)))
    return [hit for _, _, hit in sorted(scored)]


def similar_questions(
    session: Session,
    *,
    team_id: str | None = None,
    text: str,
    limit: int = 3,
    channel_id: str | None = None,
    reader: index.Reader | None = None,
) -> list[index.Hit]:
    """Earlier questions most like `text`, best first: the lookup behind "lessons already learned",
    over the organisation of `team_id` for someone in `channel_id` (or for `reader`). Each engine
    finds the candidates by the informative words (`candidates`); `rerank` orders them."""
    reader = reader or index.reader(session, team_id=team_id, channel_id=channel_id)
    hits, stats = candidates(session, reader=reader, text=text, limit=limit)
    return rerank(session, reader=reader, text=text, hits=hits, known=stats)[:limit]


def candidates(
    session: Session, *, reader: index.Reader, text: str, limit: int
) -> tuple[list[index.Hit], tuple[dict[str, int], int] | None]:
    """The engine's best max(`limit`, RERANK_CANDIDATES) matches for `text`'s informative words, in
    its order, with the document frequencies read of `text`'s words (for `rerank`'s `known`)."""
    terms = query_terms(text)
    stats = index.document_frequencies(session, terms)
    if stats is None:
        searched = terms
    else:
        searched = affordable(informative_terms(terms, *stats, first=first_line_terms(text)), stats[0])
    return index.search(session, reader=reader, terms=searched, limit=max(limit, RERANK_CANDIDATES), known=stats), stats


QuestionState = PostState  # open, answered, resolved: what a question's post shows


@dataclass(frozen=True)
class Match:
    question_id: int
    text: str
    state: QuestionState
    answers: int
    answer: str | None  # the accepted answer, else the earliest live one
    accepted: bool
    permalink: str | None  # opens in the workspace the question lives in
    asked_at: datetime
    score: float
    team_id: str = ""  # the workspace it lives in


@dataclass(frozen=True)
class SearchPage:
    matches: list[Match]
    offset: int
    has_more: bool


MAX_OFFSET = 1000  # nobody pages through more; a forged offset stays in range


def search_questions(
    session: Session,
    *,
    team_id: str,
    text: str,
    offset: int = 0,
    page_size: int = 5,
    channel_id: str | None = None,
) -> SearchPage:
    """One page of the questions of `team_id`'s organisation that best match `text`, for someone
    searching from `channel_id`: every word the person typed counts (ranked by how many match,
    and how well)."""
    offset = min(max(offset, 0), MAX_OFFSET)
    reader = index.reader(session, team_id=team_id, channel_id=channel_id)
    hits = index.search(session, reader=reader, terms=query_terms(text), limit=page_size + 1, offset=offset)
    has_more = len(hits) > page_size
    hits = hits[:page_size]
    if not hits:
        return SearchPage([], offset, False)
    ids = [h.question_id for h in hits]
    pool = list(reader.team_ids)
    questions = {
        q.id: q for q in session.exec(select(Question).where(Question.team_id.in_(pool), Question.id.in_(ids)))
    }
    counts = dict(
        session.exec(
            select(Answer.question_id, func.count())
            .where(Answer.team_id.in_(pool), Answer.question_id.in_(ids), Answer.deleted_at.is_(None))
            .group_by(Answer.question_id)
        ).all()
    )
    shown = qa.answers_to_show(session, team_ids=pool, question_ids=ids)
    matches = []
    for hit in hits:
        question = questions[hit.question_id]
        answers = counts.get(hit.question_id, 0)
        accepted = question.id in shown and shown[question.id].accepted_at is not None
        matches.append(
            Match(
                question_id=question.id,
                text=question.text,
                state=(
                    QuestionState.RESOLVED if accepted else QuestionState.ANSWERED if answers else QuestionState.OPEN
                ),
                answers=answers,
                answer=shown[question.id].text if question.id in shown else None,
                accepted=accepted,
                permalink=question.permalink,
                asked_at=question.created_at,
                score=hit.score,
                team_id=question.team_id,
            )
        )
    return SearchPage(matches, offset, has_more)
