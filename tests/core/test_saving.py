"""Saving a thread as a lesson (core.saving), without Slack: credit, visibility by conversation,
one lesson per thread, searchable and suggested at once, and counted apart from questions asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from core import asking, saving
from core import scoreboard as core_scoreboard
from core.home import picture
from core.lessons import lessons_for, rank_similar
from core.saving import Conversation, LessonAnswer, SaveOutcome, ThreadMessage
from core.search import search_questions
from core.topics import resolve_all
from storage import channels
from storage import scoreboard as figures
from storage.db import session_scope
from storage.models import Answer, Question

TEAM = "T0FAKETEAM"
HELP = "C0HELPIT01"
SECRET = "C0SECRET01"
ASKER, HELPER, OTHER, SAVER, STRANGER = "U0ASKER001", "U0HELPER01", "U0OTHER001", "U0SAVER001", "U0STRANGER"
PARENT_TS, ANSWER_TS, LATER_TS = "1765000000.000100", "1765000100.000200", "1765000200.000300"
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)

QUESTION = "How do I rotate the staging API keys?"
ANSWER = "Run rotate-keys in the ops repo, then restart the gateway."


def _save(s, channel=HELP, conversation=Conversation.PUBLIC, share=False, answer_ts=ANSWER_TS, author=HELPER, **kw):
    values = dict(
        team_id=TEAM,
        channel_id=channel,
        thread_ts=PARENT_TS,
        asker_id=ASKER,
        question=QUESTION,
        answer=LessonAnswer(answer_ts, author, ANSWER),
        topics=["Security"],
        saved_by=SAVER,
        conversation=conversation,
        share=share,
        now=NOW,
    )
    values.update(kw)
    return saving.save(s, **values)


def _found(s, text="rotate staging keys", channel_id=None) -> list[int]:
    return [m.question_id for m in search_questions(s, team_id=TEAM, text=text, channel_id=channel_id).matches]


def test_a_public_threads_lesson_is_credited_searchable_and_suggested_at_once(engine):
    with session_scope(engine) as s:
        channels.record(s, team_id=TEAM, channel_id=HELP, private=False)
        result = _save(s)
        assert result.outcome is SaveOutcome.SAVED
        # In the same transaction: searchable, suggested before asking, and what `knowhow similar` ranks.
        assert _found(s) == [result.question_id]
        [lesson] = lessons_for(s, team_id=TEAM, text="How can I rotate the API keys for staging?")
        assert lesson.question_id == result.question_id and lesson.accepted and lesson.answer == ANSWER
        assert [h.question_id for h in rank_similar(s, team_id=TEAM, text="rotate the staging API keys", limit=3)] == [
            result.question_id
        ]
    with session_scope(engine) as s:
        question = s.exec(select(Question).where(Question.team_id == TEAM)).one()
        assert (question.asker_id, question.saved_by, question.saved_at) == (ASKER, SAVER, NOW)
        assert (question.channel_id, question.message_ts, question.status) == (HELP, PARENT_TS, "posted")
        assert question.created_at == datetime.fromtimestamp(float(PARENT_TS), UTC)  # when it was asked
        [answer] = s.exec(select(Answer).where(Answer.team_id == TEAM)).all()
        assert (answer.author_id, answer.message_ts, answer.accepted_by) == (HELPER, ANSWER_TS, SAVER)
        assert answer.accepted_at is not None
        # The thread's later replies keep it current, as a posted question's do.
        outcome = asking.record_reply(
            s,
            team_id=TEAM,
            channel_id=HELP,
            thread_ts=PARENT_TS,
            message_ts=LATER_TS,
            author_id=OTHER,
            text="Also clear the vault cache",
            at=NOW,
        )
        assert outcome is asking.ReplyOutcome.RECORDED
        assert _found(s, "vault cache") == [question.id]


def test_saving_the_same_thread_again_updates_it_and_never_makes_a_second(engine):
    with session_scope(engine) as s:
        first = _save(s)
    with session_scope(engine) as s:
        again = _save(
            s,
            question="How do I rotate staging keys?",
            answer_ts=LATER_TS,
            author=OTHER,
            topics=["Ops"],
            saved_by=STRANGER,
        )
        assert (again.outcome, again.question_id) == (SaveOutcome.UPDATED, first.question_id)
    with session_scope(engine) as s:
        [question] = s.exec(select(Question).where(Question.team_id == TEAM)).all()
        assert question.text == "How do I rotate staging keys?"
        assert question.saved_by == SAVER  # the first saver keeps the credit: one lesson counted once
        accepted = s.exec(select(Answer).where(Answer.team_id == TEAM, Answer.accepted_at.is_not(None))).all()
        assert [(a.message_ts, a.author_id) for a in accepted] == [(LATER_TS, OTHER)]
        assert len(s.exec(select(Answer).where(Answer.team_id == TEAM)).all()) == 2  # the first reply stays an answer
        draft = saving.draft(
            s,
            team_id=TEAM,
            channel_id=HELP,
            thread_ts=PARENT_TS,
            answer_ts=None,
            messages=[],
            direct=False,
        )
        assert draft.saved == question.id and draft.topics == ["Ops"] and not draft.taken


def test_a_private_channels_lesson_is_found_only_from_that_channel(engine):
    with session_scope(engine) as s:
        channels.record(s, team_id=TEAM, channel_id=SECRET, private=True)
        result = _save(s, channel=SECRET, conversation=Conversation.PRIVATE)
        assert result.outcome is SaveOutcome.SAVED
        assert _found(s, channel_id=SECRET) == [result.question_id]
        assert _found(s, channel_id=HELP) == [] and _found(s) == []
        assert lessons_for(s, team_id=TEAM, text="How can I rotate the staging API keys?", channel_id=HELP) == []
        assert rank_similar(s, team_id=TEAM, text="rotate the staging API keys", limit=3) == []  # knowhow similar


def test_a_channel_knowhow_does_not_know_counts_as_private_until_it_learns(engine):
    with session_scope(engine) as s:
        result = _save(s, channel="C0UNKNOWN1", conversation=Conversation.PRIVATE)
        assert _found(s, channel_id=HELP) == []
        channels.record(s, team_id=TEAM, channel_id="C0UNKNOWN1", private=False)
        assert _found(s, channel_id=HELP) == [result.question_id]


def test_a_dms_lesson_stays_in_the_dm_unless_the_saver_shares_it(engine):
    dm = "D0PEOPLE01"
    with session_scope(engine) as s:
        kept = _save(s, channel=dm, conversation=Conversation.DIRECT)
        assert channels.is_private(s, team_id=TEAM, channel_id=dm) is True
        assert _found(s, channel_id=dm) == [kept.question_id]
        assert _found(s, channel_id=HELP) == [] and _found(s) == []
        # Shared: found by everyone, and it belongs to no conversation (no link into the DM).
        shared = _save(s, channel=dm, conversation=Conversation.DIRECT, share=True)
        assert (shared.outcome, shared.question_id) == (SaveOutcome.UPDATED, kept.question_id)
        assert _found(s, channel_id=HELP) == [kept.question_id]
        question = s.get(Question, kept.question_id)
        assert (question.channel_id, question.message_ts) == ("", None)
        # Kept to the DM again when the saver says so.
        _save(s, channel=dm, conversation=Conversation.DIRECT, share=False)
        assert _found(s, channel_id=HELP) == []
        # `share` is for DMs only: a private channel's lesson is never shared by it.
        other = _save(s, channel=SECRET, conversation=Conversation.PRIVATE, share=True, thread_ts=LATER_TS)
        assert s.get(Question, other.question_id).channel_id == SECRET


def test_a_thread_that_is_a_knowhow_question_is_not_saved_again(engine):
    with session_scope(engine) as s:
        asked = asking.ask_question(s, team_id=TEAM, asker_id=ASKER, text=QUESTION, qa_channel_id="C0QUESTION")
        asking.mark_posted(
            s, team_id=TEAM, question_id=asked.question_id, channel_id="C0QUESTION", message_ts=PARENT_TS
        )
        result = _save(s, channel="C0QUESTION")
        assert (result.outcome, result.question_id) == (SaveOutcome.TAKEN, asked.question_id)
        draft = saving.draft(
            s, team_id=TEAM, channel_id="C0QUESTION", thread_ts=PARENT_TS, answer_ts=None, messages=[], direct=False
        )
        assert draft.taken
        assert len(s.exec(select(Question).where(Question.team_id == TEAM)).all()) == 1


def test_what_is_refused_saves_nothing(engine):
    with session_scope(engine) as s:
        assert _save(s, question="  ").outcome is SaveOutcome.EMPTY
        assert _save(s, answer=LessonAnswer(ANSWER_TS, HELPER, " ")).outcome is SaveOutcome.NO_ANSWER
        assert _save(s, question="x" * 8001).outcome is SaveOutcome.TOO_LONG
        bad = _save(s, topics=["ok", "x" * 60])
        assert bad.outcome is SaveOutcome.BAD_TOPIC and bad.field == "topics"
        assert s.exec(select(Question).where(Question.team_id == TEAM)).all() == []


def test_the_draft_takes_the_question_from_the_parent_and_the_chosen_reply_as_the_answer(engine):
    thread = [
        ThreadMessage(PARENT_TS, ASKER, "How do I rotate the staging API keys for Kubernetes?"),
        ThreadMessage("1765000050.000000", "", "A bot's note"),
        ThreadMessage(ANSWER_TS, HELPER, ANSWER),
        ThreadMessage(LATER_TS, OTHER, "Or ask in #ops"),
    ]
    with session_scope(engine) as s:
        resolve_all(s, team_id=TEAM, raws=["Kubernetes", "Expenses", "API key"])
        chosen = saving.draft(
            s, team_id=TEAM, channel_id=HELP, thread_ts=PARENT_TS, answer_ts=LATER_TS, messages=thread, direct=False
        )
        assert (chosen.asker_id, chosen.question, chosen.answer.user) == (ASKER, thread[0].text, OTHER)
        assert sorted(chosen.topics) == ["API key", "Kubernetes"]  # the existing topics the text names
        assert chosen.conversation is Conversation.PRIVATE  # not known yet
        # Used on the parent: the first reply by someone else than its asker (a bot is no one).
        on_parent = saving.draft(
            s, team_id=TEAM, channel_id=HELP, thread_ts=PARENT_TS, answer_ts=None, messages=thread, direct=False
        )
        assert on_parent.answer.user == HELPER
        # Only the reply itself could be read (Knowhow is not in the DM): its parent's author is known.
        alone = saving.draft(
            s,
            team_id=TEAM,
            channel_id="D0PEOPLE01",
            thread_ts=PARENT_TS,
            answer_ts=ANSWER_TS,
            messages=[thread[2]],
            direct=True,
            parent_user=ASKER,
        )
        assert (alone.question, alone.asker_id, alone.answer.ts) == ("", ASKER, ANSWER_TS)
        assert alone.conversation is Conversation.DIRECT


def test_the_threads_other_replies_become_answers_but_the_askers_and_bots(engine):
    with session_scope(engine) as s:
        result = _save(s)
        added = saving.add_replies(
            s,
            team_id=TEAM,
            question_id=result.question_id,
            replies=[
                ThreadMessage(ANSWER_TS, HELPER, ANSWER),  # the accepted answer, already there
                ThreadMessage("1765000150.000000", ASKER, "Thanks, the quarterly audit wants it"),
                ThreadMessage("1765000160.000000", "", "A workflow's reminder"),
                ThreadMessage(LATER_TS, OTHER, "The gateway needs a warm restart"),
            ],
        )
        assert added == 1
        assert _found(s, "warm restart", channel_id=HELP) == [result.question_id]
        assert _found(s, "quarterly audit", channel_id=HELP) == []


def test_lessons_count_as_saved_per_topic_not_as_questions_asked(engine):
    start, end = NOW - timedelta(days=7), NOW + timedelta(hours=1)
    with session_scope(engine) as s:
        channels.record(s, team_id=TEAM, channel_id=HELP, private=False)
        channels.record(s, team_id=TEAM, channel_id=SECRET, private=True)
        now_ts = f"{NOW.timestamp() - 60:.6f}"  # asked this week too
        _save(s, thread_ts=now_ts)
        _save(s, thread_ts=f"{NOW.timestamp() - 30:.6f}", topics=["Security", "Vault"])
        _save(s, channel=SECRET, conversation=Conversation.PRIVATE, thread_ts=now_ts, topics=["Layoffs"])
        week = figures.week(s, team_id=TEAM, start=start, end=end)
        assert week["questions"]["asked"] == 0 and week["questions"]["answered"] == 0
        assert week["lessons"] == {
            "saved": 3,
            "topics": [{"topic": "Security", "saved": 2}, {"topic": "Vault", "saved": 1}],  # the private one's unsaid
        }
        board = core_scoreboard.board(core_scoreboard.Snapshot(start, end, week), None)
        assert board.lessons.text == "3" and [(t, f.text) for t, f in board.lesson_topics] == [
            ("Security", "2"),
            ("Vault", "1"),
        ]
        # A week stored before lessons were counted shows none, and no change against it.
        older = core_scoreboard.Snapshot(start - timedelta(days=7), start, {"questions": {}})
        assert core_scoreboard.board(older, None).lessons.value is None
        assert core_scoreboard.board(core_scoreboard.Snapshot(start, end, week), older).lessons.change is None
        assert picture(s, team_id=TEAM, user_id=SAVER, now=NOW).lessons_saved == 3
        mine = picture(s, team_id=TEAM, user_id=ASKER, now=NOW)
        assert all(q.lesson for q in mine.questions)


def test_a_forgotten_saver_is_a_former_member(engine):
    from core import erasure

    with session_scope(engine) as s:
        _save(s)
    with session_scope(engine) as s:
        erasure.forget(s, team_id=TEAM, user_id=SAVER, now=NOW)
    with session_scope(engine) as s:
        assert s.exec(select(Question.saved_by).where(Question.team_id == TEAM)).one() == "former-member"


def test_a_dms_lesson_shared_with_everyone_takes_none_of_the_dms_other_replies(engine):
    """The saver shares what the form showed them (the question and the chosen answer): the other
    replies of the (group) DM, by people who never chose to share them, stay out of it."""
    dm = "G0GROUPDM1"
    reply = ThreadMessage(LATER_TS, OTHER, "Our private salary spreadsheet has the staging keys")
    with session_scope(engine) as s:
        # Kept to the DM first: its other replies are found from the DM only.
        kept = _save(s, channel=dm, conversation=Conversation.DIRECT)
        assert saving.add_replies(s, team_id=TEAM, question_id=kept.question_id, replies=[reply]) == 1
        assert _found(s, "salary spreadsheet", channel_id=dm) == [kept.question_id]
        # Then shared with everyone: the replies it took from the DM are not shared with it.
        _save(s, channel=dm, conversation=Conversation.DIRECT, share=True)
        assert _found(s, "salary spreadsheet", channel_id=HELP) == []
        assert _found(s, channel_id=HELP) == [kept.question_id]  # the lesson itself is
        # Nor are they taken when Knowhow reads the thread after the share.
        assert saving.add_replies(s, team_id=TEAM, question_id=kept.question_id, replies=[reply]) == 0
        assert _found(s, "salary spreadsheet", channel_id=HELP) == []
        authors = s.exec(select(Answer.author_id).where(Answer.question_id == kept.question_id)).all()
        assert authors == [HELPER]
