"""Finding earlier questions: the rules behind `/ask search` (and, next, the suggestions shown
before a question is posted).

Whatever a person types is reduced to plain words here, so that quotes, operators, brackets,
`NEAR`, `*`, emoji and any script are safe: the databases only ever see letters and digits.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from core.accepting import PostState
from storage import qa
from storage import search as index
from storage.models import Answer, Question

MAX_TERMS = 32
MAX_TERM_CHARS = 64  # a run of CJK with no spaces is one "word": keep it to a searchable length
STOP_WORDS = frozenset(
    """a about an and are as at be been but by can could did do does doing for from had has have how
    i if in into is it its me my no not of on or our so than that the their them then there these
    they this to us was we were what when where which who whom why will with would you your""".split()
)


def _words(text: str) -> list[str]:
    """Runs of letters, combining marks and digits, in any script ("नमस्ते" stays one word)."""
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


def informative_terms(terms: list[str], frequencies: dict[str, int], documents: int) -> list[str]:
    """Up to SIMILAR_TERMS of `terms`, rarest first; words in more than COMMON_SHARE of the
    documents only when nothing rarer is left. Words the statistics do not know fill the places
    the known rare words leave: most are simply absent from the index, but some are indexed
    under another form (an accent, a stemmer's variant), and a word that matches nothing costs
    nothing."""
    count = {t: frequencies.get(t, 0) for t in terms}
    rare = sorted(
        (t for t in terms if count[t] <= max(COMMON_SHARE * documents, COMMON_AT_LEAST)),
        key=lambda t: (count[t] == 0, count[t], terms.index(t)),
    )
    if rare:
        return rare[:SIMILAR_TERMS]
    return sorted(terms, key=lambda t: count[t])[:2]


def similar_questions(session: Session, *, team_id: str, text: str, limit: int = 3) -> list[index.Hit]:
    """Earlier questions most like `text`, best first: the lookup behind "lessons already learned"."""
    terms = query_terms(text)
    stats = index.document_frequencies(session, terms)
    if stats is not None:
        terms = informative_terms(terms, *stats)
    return index.search(session, team_id=team_id, terms=terms, limit=limit)


QuestionState = PostState  # open, answered, resolved: what a question's post shows


@dataclass(frozen=True)
class Match:
    question_id: int
    text: str
    state: QuestionState
    answers: int
    answer: str | None  # the accepted answer, else the earliest live one
    accepted: bool
    permalink: str | None
    asked_at: datetime
    score: float


@dataclass(frozen=True)
class SearchPage:
    matches: list[Match]
    offset: int
    has_more: bool


MAX_OFFSET = 1000  # nobody pages through more; a forged offset stays in range


def search_questions(session: Session, *, team_id: str, text: str, offset: int = 0, page_size: int = 5) -> SearchPage:
    """One page of the workspace's questions that best match `text`: every word the person
    typed counts (ranked by how many match, and how well)."""
    offset = min(max(offset, 0), MAX_OFFSET)
    hits = index.search(session, team_id=team_id, terms=query_terms(text), limit=page_size + 1, offset=offset)
    has_more = len(hits) > page_size
    hits = hits[:page_size]
    if not hits:
        return SearchPage([], offset, False)
    ids = [h.question_id for h in hits]
    questions = {
        q.id: q for q in session.exec(select(Question).where(Question.team_id == team_id, Question.id.in_(ids)))
    }
    counts = dict(
        session.exec(
            select(Answer.question_id, func.count())
            .where(Answer.team_id == team_id, Answer.question_id.in_(ids), Answer.deleted_at.is_(None))
            .group_by(Answer.question_id)
        ).all()
    )
    shown = qa.answers_to_show(session, team_id=team_id, question_ids=ids)
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
                    QuestionState.RESOLVED
                    if accepted
                    else QuestionState.ANSWERED if answers else QuestionState.OPEN
                ),
                answers=answers,
                answer=shown[question.id].text if question.id in shown else None,
                accepted=accepted,
                permalink=question.permalink,
                asked_at=question.created_at,
                score=hit.score,
            )
        )
    return SearchPage(matches, offset, has_more)
