"""The similar-question ranking's rules, on both databases: each engine's candidates re-ranked the
same way in core (core.search.rerank), and the words a long question is searched by."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

from core import asking
from core.search import (
    STOP_WORDS,
    _words,
    candidates,
    first_line_terms,
    informative_terms,
    joined_pairs,
    rerank,
    similar_questions,
)
from storage import search as index
from storage.db import session_scope
from tests.public import public_channels

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"

_public = public_channels((TEAM,), QA)


def _question(engine, text, n, details=None, answers=()):
    ts = f"{1700000000 + n * 100}.000100"
    with session_scope(engine) as s:
        outcome = asking.ask_question(
            s, team_id=TEAM, asker_id="U0ASKER", text=text, details=details, qa_channel_id=QA, request_id=f"r{n}"
        )
        asking.mark_posted(s, team_id=TEAM, question_id=outcome.question_id, channel_id=QA, message_ts=ts)
        for i, answer in enumerate(answers):
            answer_ts = f"{float(ts) + i + 1:.6f}"
            asking.record_reply(
                s,
                team_id=TEAM,
                channel_id=QA,
                thread_ts=ts,
                message_ts=answer_ts,
                author_id="U0HELPER",
                text=answer,
                at=datetime.fromtimestamp(float(answer_ts), UTC),
            )
    return outcome.question_id


def _reranked(engine, text, ids):
    """`ids` re-ranked for `text`, handed over in the given (engine) order with falling scores."""
    with session_scope(engine) as s:
        hits = [index.Hit(question_id, float(len(ids) - i)) for i, question_id in enumerate(ids)]
        return [hit.question_id for hit in rerank(s, reader=index.reader(s, team_id=TEAM), text=text, hits=hits)]


def test_a_match_in_the_title_ranks_above_the_same_words_in_the_details(engine):
    in_details = _question(engine, "Opening hours of the embassy", 1, details="Passport renewal forms: which ones?")
    in_title = _question(engine, "Passport renewal forms: which ones?", 2, details="Opening hours of the embassy")
    assert _reranked(engine, "How long does a passport renewal take?", [in_details, in_title]) == [in_title, in_details]


def test_words_written_apart_also_match_them_written_as_one(engine):
    schools = _question(engine, "Which school has the best bus service?", 1)
    homeschooling = _question(engine, "Homeschooling groups in Doha?", 2)
    # "home school" also counts as "homeschool", the stem of "homeschooling".
    assert _reranked(engine, "Does anyone home school their kids?", [schools, homeschooling]) == [
        homeschooling,
        schools,
    ]
    assert joined_pairs(["home", "school", "the", "kids", "2012", "model"]) == ["homeschool"]


def test_words_shared_with_answers_move_a_match_up(engine):
    plain = _question(engine, "Printer on the third floor is jammed", 1)
    answered = _question(
        engine, "Printer on the third floor is jammed", 2, answers=["Open tray two and pull the toner out"]
    )
    assert _reranked(engine, "The third floor printer jammed, toner stuck", [plain, answered]) == [answered, plain]
    # ...but the question's own words count for far more than its answers'.
    other = _question(engine, "Toner stuck in the printer", 3, answers=["Call facilities about the third floor"])
    assert _reranked(engine, "toner stuck in the printer", [answered, other])[0] == other


def test_a_shorter_question_on_the_point_ranks_above_a_long_one_mentioning_everything(engine):
    rambling = _question(
        engine,
        "Moving to Doha next month",
        1,
        details="Schools, visas, driving licence, bank account, apartment, salary, weather, shopping, beaches, "
        "furniture, internet, phone plans, pets, doctors, dentists, gyms and restaurants: any advice?",
    )
    focused = _question(engine, "Converting my driving licence in Doha", 2, details="How do I convert my licence?")
    with session_scope(engine) as s:
        hits = similar_questions(s, team_id=TEAM, text="Can I convert my UK driving licence here?", limit=3)
    assert [h.question_id for h in hits] == [focused, rambling]


def test_a_question_found_by_meaning_is_scored_by_its_words_too(engine):
    """A long question is searched by its SIMILAR_TERMS most informative words, which leaves out a
    question sharing only a common word; the re-ranking by meaning finds it (core.semantic.nearest)
    and its words count for it as for the search's matches (its lexical share is not 0)."""
    from core import lessons

    words = ["kafala", "noc", "sponsor", "transfer", "residence", "permit", "exit", "salary"]
    _question(engine, " ".join(words), 1)  # each of those in one question
    _question(engine, "Qatar weather", 2)
    _question(engine, "Qatar traffic", 3)
    target = _question(engine, "Life in Qatar", 4)  # shares only "qatar", in 3 questions
    text = " ".join(words) + " qatar"
    with session_scope(engine) as s:
        terms = _words(text)
        stats = index.document_frequencies(s, terms)
        searched, _ = candidates(s, reader=index.reader(s, team_id=TEAM), text=text, limit=10)
        ranked = lessons.rank_similar(s, team_id=TEAM, text=text, limit=10, weight=0.0)  # words only
    words_only = {h.question_id: h.score for h in ranked}
    assert words_only[target] > 0
    if stats is not None:  # (PostgreSQL before ANALYZE: no statistics, every word is searched)
        assert "qatar" not in informative_terms(terms, *stats)
        assert target not in [h.question_id for h in searched]


def test_nothing_shared_ranks_last_and_ties_keep_the_engine_order(engine):
    a = _question(engine, "Parking permits for visitors", 1)
    b = _question(engine, "Parking permits for visitors", 2)
    c = _question(engine, "Canteen menu this week", 3)
    assert _reranked(engine, "visitor parking permit", [c, b, a]) == [b, a, c]
    assert _reranked(engine, "visitor parking permit", [c, a, b]) == [a, b, c]


def test_a_long_question_is_searched_by_its_titles_words_first():
    frequencies = {"visa": 40, "transfer": 12, "sponsor": 30, "kafala": 3, "noc": 5}
    text = "Visa transfer\nMy sponsor refuses the NOC, what about kafala rules?"
    terms = ["visa", "transfer", "sponsor", "refuses", "noc", "kafala", "rules"]
    assert first_line_terms(text) == {"visa", "transfer"}
    # The title's words first (rarest first), then the rest; words the statistics do not know last.
    assert informative_terms(terms, frequencies, documents=2000, first=first_line_terms(text)) == [
        "transfer",
        "visa",
        "kafala",
        "noc",
        "sponsor",
        "refuses",
        "rules",
    ]
    # Without a title, rarest first as before.
    assert informative_terms(terms, frequencies, documents=2000)[:2] == ["kafala", "noc"]


def test_postgresqls_english_stop_words_are_stop_words_on_both_engines():
    # PostgreSQL's `english` configuration never indexes these: searching or weighing them on
    # SQLite only would make the engines disagree.
    for word in ("very", "more", "just", "only", "same", "some", "other", "should", "off", "down", "until"):
        assert word in STOP_WORDS


def test_ascii_text_is_split_into_the_same_words_as_any_text():
    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits + string.punctuation + " \n\t_"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        # The same text with one non-ASCII letter appended goes the general way.
        assert _words(text + " é")[:-1] == _words(text), text


def test_document_counts_follow_the_store_as_it_grows(engine):
    from sqlalchemy import text

    for n in range(5):
        _question(engine, f"Kayak rental number {n}", n)
    with session_scope(engine) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ANALYZE question_search"))
        before = index.document_frequencies(s, ["kayak"])
    for n in range(5, 10):
        _question(engine, f"Kayak lessons number {n}", n)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE question_search"))
    with session_scope(engine) as s:
        after = index.document_frequencies(s, ["kayak"])
    assert before is not None and after is not None
    assert after[0]["kayak"] > before[0]["kayak"] and after[1] > before[1]
