"""Saving a thread as a lesson ("Save as a lesson", on any message; or the offer Knowhow makes in a
help channel): a question and its answer that were never asked with `/ask` join the knowledge
base, searchable and suggested at once like any answered question.

A lesson is a `Question` with `saved_by` set:

- its asker is the thread's parent's author, its accepted answer the chosen reply's author (the
  form lets the saver tidy the words; the credit stays with the people who wrote them), and the
  thread's other replies become its other answers once Knowhow has read them (`add_replies`);
- it lives where the thread is (`channel_id`, `message_ts` = the thread's): replies, edits and
  deletions in the thread keep it current as they do a posted question's, and its visibility is
  the conversation's (storage.channels: a public channel's lesson is found by the organisation, a
  private channel's or a DM's only from that conversation);
- a DM's or group DM's lesson may be shared with the whole organisation when the saver says so:
  it then belongs to no conversation (`channel_id` "", as an imported question) and is found by
  everyone, with its question and accepted answer only (the DM's other replies stay in the DM);
- one lesson per thread (`request_id` "lesson:<channel>:<thread ts>"): saving the thread again
  updates it (its question, accepted answer and topics), never a second one. A thread that is
  already a Knowhow question (asked with `/ask`, or in an expert session) is not saved again: its
  answer is accepted with "Accept as answer".

Lessons are never posted or followed up by Knowhow, and count on the scoreboard as lessons saved,
not as questions asked.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, select

from core import topics as topic_rules
from core.accepting import NO_POST
from core.asking import MAX_QUESTION_CHARS
from core.clock import from_slack_ts, utcnow
from storage import channels, qa, workspaces
from storage import search as search_index
from storage.models import Answer, Question, QuestionTopic
from storage.upsert import insert_if_absent

REQUEST_PREFIX = "lesson:"
SHARED = channels.IMPORTED  # the conversation of a lesson shared beyond its DM: none
ANSWER_WITHOUT_TS = "lesson:answer"  # the accepted answer's message_ts when Slack gave none


def request_id(channel_id: str, thread_ts: str) -> str:
    return f"{REQUEST_PREFIX}{channel_id}:{thread_ts}"


def is_lesson(question: Question) -> bool:
    return question.saved_by is not None


@dataclass(frozen=True)
class ThreadMessage:
    """A message of the thread, as Slack gave it (text in Slack mrkdwn)."""

    ts: str
    user: str  # "" for a bot's or an app's message
    text: str

    @property
    def by_person(self) -> bool:
        return bool(self.user)


class Conversation(enum.Enum):
    PUBLIC = "public"  # a public channel: the organisation finds the lesson
    PRIVATE = "private"  # a private channel (or one Knowhow does not know yet): only from there
    DIRECT = "direct"  # a DM or group DM: the saver is asked first, and may share it


@dataclass(frozen=True)
class Draft:
    """What the form is prefilled with."""

    channel_id: str
    thread_ts: str
    conversation: Conversation
    asker_id: str | None  # the parent's author, when known
    question: str  # the parent's text ("" when Knowhow could not read it)
    answer: ThreadMessage | None  # the reply chosen as the accepted answer
    topics: list[str] = field(default_factory=list)  # suggested, or the lesson's own when saved already
    saved: int | None = None  # the lesson already saved from this thread
    taken: bool = False  # the thread is a Knowhow question already: nothing to save


def conversation_of(session: Session, *, team_id: str, channel_id: str, direct: bool) -> Conversation:
    """What kind of conversation a thread is in, for who may find its lesson (`direct`: Slack said
    it is a DM or a group DM)."""
    if direct:
        return Conversation.DIRECT
    private = channels.is_private(session, team_id=team_id, channel_id=channel_id)
    return Conversation.PUBLIC if private is False else Conversation.PRIVATE


def _existing(session: Session, pool: Sequence[str], channel_id: str, thread_ts: str) -> Question | None:
    """The organisation's question of this thread: a lesson saved from it, or a Knowhow question
    posted there."""
    found = session.exec(
        select(Question).where(
            Question.team_id.in_(list(pool)), Question.request_id == request_id(channel_id, thread_ts)
        )
    ).first()
    return found or qa.find_post_in_pool(session, team_ids=pool, channel_id=channel_id, message_ts=thread_ts)


def draft(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    answer_ts: str | None,
    messages: Sequence[ThreadMessage],
    direct: bool,
    parent_user: str | None = None,
) -> Draft:
    """The form's contents for the thread `thread_ts` of `channel_id`, from the `messages` Knowhow
    could read (the whole thread, or only the message the shortcut was used on). The chosen answer
    is the reply `answer_ts`; with none chosen, the thread's first reply by someone other than its
    asker. Topics: the existing ones the question and answer name."""
    parent = next((m for m in messages if m.ts == thread_ts), None)
    asker = parent.user if parent is not None and parent.by_person else parent_user
    replies = [m for m in messages if m.ts != thread_ts and m.by_person]
    if answer_ts and answer_ts != thread_ts:
        answer = next((m for m in replies if m.ts == answer_ts), None)
    else:
        answer = next((m for m in replies if m.user != asker), None)
    pool = workspaces.pool(session, team_id=team_id)
    existing = _existing(session, pool, channel_id, thread_ts)
    conversation = conversation_of(session, team_id=team_id, channel_id=channel_id, direct=direct)
    question = parent.text if parent is not None else ""
    if existing is not None and not is_lesson(existing):
        return Draft(channel_id, thread_ts, conversation, asker, question, answer, taken=True)
    if existing is not None:
        names = [t.name for t in topic_rules.of_question(session, team_id=existing.team_id, question_id=existing.id)]
        return Draft(
            channel_id, thread_ts, conversation, asker, question or existing.text, answer, names, saved=existing.id
        )
    text = " ".join(m.text for m in (parent, answer) if m is not None)
    names = [t.name for t in topic_rules.named_in(session, team_id=team_id, text=text)]
    return Draft(channel_id, thread_ts, conversation, asker, question, answer, names)


class SaveOutcome(enum.Enum):
    SAVED = "saved"
    UPDATED = "updated"  # saved from this thread before: brought up to date
    TAKEN = "taken"  # the thread is a Knowhow question already
    EMPTY = "empty"  # no question
    NO_ANSWER = "no_answer"  # no answer
    TOO_LONG = "too_long"
    BAD_TOPIC = "bad_topic"


@dataclass(frozen=True)
class Saved:
    outcome: SaveOutcome
    question_id: int | None = None
    team_id: str | None = None
    field: str | None = None  # what is wrong: "question", "answer", "topics"
    message: str | None = None


@dataclass(frozen=True)
class LessonAnswer:
    ts: str | None  # the reply's ts (None: Slack gave none)
    author_id: str
    text: str


def save(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    asker_id: str | None,
    question: str,
    answer: LessonAnswer,
    topics: list[str],
    saved_by: str,
    conversation: Conversation,
    share: bool = False,
    now: datetime | None = None,
) -> Saved:
    """Record the thread as a lesson (texts in Slack mrkdwn), in the caller's transaction, indexed
    for search in it. `share`: a DM's lesson found by the whole organisation (only for a DM)."""
    now = now or utcnow()
    question, answer_text = question.strip(), answer.text.strip()
    if not question:
        return Saved(SaveOutcome.EMPTY, field="question")
    if not answer_text:
        return Saved(SaveOutcome.NO_ANSWER, field="answer")
    for name, text in (("question", question), ("answer", answer_text)):
        if len(text) > MAX_QUESTION_CHARS:
            return Saved(SaveOutcome.TOO_LONG, field=name, message=f"{MAX_QUESTION_CHARS:,}")
    try:
        tags = topic_rules.resolve_all(session, team_id=team_id, raws=topics, created_by=saved_by)
    except topic_rules.TopicError as exc:
        return Saved(SaveOutcome.BAD_TOPIC, field="topics", message=str(exc))
    pool = workspaces.pool(session, team_id=team_id)
    existing = _existing(session, pool, channel_id, thread_ts)
    if existing is not None and not is_lesson(existing):
        return Saved(SaveOutcome.TAKEN, existing.id, existing.team_id)
    shared = share and conversation is Conversation.DIRECT
    asked_at = from_slack_ts(thread_ts)
    created = existing is None and insert_if_absent(
        session,
        Question,
        dict(
            team_id=team_id,
            asker_id=asker_id or "",
            anonymous=not asker_id,
            text=question,
            channel_id=SHARED if shared else channel_id,
            message_ts=None if shared else thread_ts,
            status="posted",
            request_id=request_id(channel_id, thread_ts),
            created_at=asked_at,
            posted_at=asked_at,
            followed_up_at=now,  # never raised again: the thread was answered
            shown_state=NO_POST,  # Knowhow has no post of its own to keep current
            saved_by=saved_by,
            saved_at=now,
        ),
    )
    lesson = existing or _existing(session, pool, channel_id, thread_ts)
    team_id = lesson.team_id
    if not created:  # saved before (or a moment ago, by a racing submit): brought up to date
        lesson.text = question
        if conversation is Conversation.DIRECT:  # the saver may share it now, or keep it to the DM again
            lesson.channel_id, lesson.message_ts = (SHARED, None) if shared else (channel_id, thread_ts)
        if shared:  # the DM's other replies, read while it was kept there, are not the saver's to share
            _drop_other_answers(session, lesson, answer.ts or ANSWER_WITHOUT_TS)
        session.add(lesson)
        session.execute(
            delete(QuestionTopic).where(QuestionTopic.team_id == team_id, QuestionTopic.question_id == lesson.id)
        )
    topic_rules.tag_question(session, team_id=team_id, question_id=lesson.id, topics=tags)
    _accept(session, lesson, answer, answer_text, saved_by, now)
    if conversation is Conversation.DIRECT:
        channels.record(session, team_id=team_id, channel_id=channel_id, private=True, now=now)
    session.flush()
    search_index.reindex_question(session, team_id=team_id, question_id=lesson.id)
    return Saved(SaveOutcome.SAVED if created else SaveOutcome.UPDATED, lesson.id, team_id)


def _accept(session: Session, lesson: Question, answer: LessonAnswer, text: str, saved_by: str, now: datetime) -> None:
    """The chosen reply, as the lesson's one accepted answer (as the saver worded it)."""
    ts = answer.ts or ANSWER_WITHOUT_TS
    for other in session.exec(
        select(Answer).where(
            Answer.team_id == lesson.team_id,
            Answer.question_id == lesson.id,
            Answer.accepted_at.is_not(None),
            Answer.message_ts != ts,
        )
    ):
        other.accepted_at = other.accepted_by = None
        session.add(other)
    session.flush()  # one accepted answer per question: the old one is cleared first
    row = qa.get_answer(session, team_id=lesson.team_id, question_id=lesson.id, message_ts=ts)
    if row is None:
        answered_at = from_slack_ts(answer.ts) if answer.ts else now
        qa.add_answer(
            session,
            team_id=lesson.team_id,
            question_id=lesson.id,
            message_ts=ts,
            author_id=answer.author_id,
            text=text,
            answered_at=answered_at,
        )
        row = qa.get_answer(session, team_id=lesson.team_id, question_id=lesson.id, message_ts=ts)
    row.text, row.deleted_at = text, None
    if row.accepted_at is None:
        row.accepted_at, row.accepted_by = now, saved_by
    session.add(row)


def _drop_other_answers(session: Session, lesson: Question, kept_ts: str) -> None:
    session.execute(
        delete(Answer).where(
            Answer.team_id == lesson.team_id, Answer.question_id == lesson.id, Answer.message_ts != kept_ts
        )
    )


def add_replies(session: Session, *, team_id: str, question_id: int, replies: Sequence[ThreadMessage]) -> int:
    """The thread's other replies, read once the lesson was saved, as its other answers (a
    person's replies but its asker's, each once). Returns how many were added. None for a DM's
    lesson shared with everyone: the saver shared the question and the answer the form showed
    them, not what the others in the DM wrote."""
    lesson = qa.get_question(session, team_id=team_id, question_id=question_id)
    if lesson is None or not is_lesson(lesson) or lesson.channel_id == SHARED:
        return 0
    added = 0
    for reply in replies:
        if not reply.by_person or reply.user == lesson.asker_id or not reply.text.strip():
            continue
        added += qa.add_answer(
            session,
            team_id=team_id,
            question_id=question_id,
            message_ts=reply.ts,
            author_id=reply.user,
            text=reply.text,
            answered_at=from_slack_ts(reply.ts),
        )
    if added:
        search_index.reindex_question(session, team_id=team_id, question_id=question_id)
    return added


def saved_by(session: Session, *, team_id: str, user_id: str) -> int:
    """How many lessons the person saved, in every workspace of the organisation (their App Home)."""
    pool = workspaces.pool(session, team_id=team_id)
    return session.exec(
        select(func.count()).select_from(Question).where(Question.team_id.in_(pool), Question.saved_by == user_id)
    ).one()
