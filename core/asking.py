"""Asking and answering: the rules behind /ask, with no knowledge of Slack's payloads.

The edge hands in plain values (team, user, text, thread coordinates) and gets back outcomes that
say what happened; it decides what to show.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from core import sessions
from core import topics as topic_rules
from core.clock import from_slack_ts, utcnow
from core.markup import cut_point, is_blank, unescape
from storage import channels, qa, workspaces
from storage import search as search_index
from storage.models import Question

# Long enough for a real question with code in it; the edge splits long text into several blocks.
MAX_QUESTION_CHARS = 8000
MAX_DETAILS_CHARS = 8000
HELP_WORDS = {"help", "-h", "--help", "?"}
# `/ask channels <verb>`: the help channels (core.helpchannels). Anything else after "channels" asks.
HELP_CHANNEL_VERBS = frozenset({"add", "remove", "list", "pause", "resume"})


class AskIntent(enum.Enum):
    FORM = "form"  # nothing typed: open the form
    HELP = "help"
    QUESTION = "question"
    SEARCH = "search"
    CHANNEL = "channel"  # an admin: this channel is where the workspace's questions go
    HELP_CHANNELS = "help_channels"  # `/ask channels [add|remove|pause|resume|list] [#channel]`
    HELP_SUGGESTIONS = "help_suggestions"  # `/ask suggestions on|off`: earlier lessons in help channels


@dataclass(frozen=True)
class ParsedAsk:
    intent: AskIntent
    text: str = ""


def parse_ask(text: str | None) -> ParsedAsk:
    """What the words after /ask mean: a question, or a request for help."""
    cleaned = (text or "").strip()
    if is_blank(cleaned):  # nothing typed, or nothing that shows (a zero-width space)
        return ParsedAsk(AskIntent.FORM)
    if cleaned.lower() in HELP_WORDS:
        return ParsedAsk(AskIntent.HELP)
    if cleaned.lower() == "channel":
        return ParsedAsk(AskIntent.CHANNEL)
    first, _, rest = cleaned.partition(" ")
    if first.lower() == "search":
        return ParsedAsk(AskIntent.SEARCH, rest.strip())
    verb = rest.strip().partition(" ")[0]
    if first.lower() == "channels" and (not rest.strip() or verb.lower() in HELP_CHANNEL_VERBS):
        # "/ask channels are confusing, which one?" is a question: only the verbs make a command.
        return ParsedAsk(AskIntent.HELP_CHANNELS, rest.strip())
    if first.lower() == "suggestions" and rest.strip().lower() in ("", "on", "off"):
        return ParsedAsk(AskIntent.HELP_SUGGESTIONS, rest.strip().lower())
    return ParsedAsk(AskIntent.QUESTION, cleaned)


# -- "post this?": a question checked with its asker before it goes out ------------------------
#
# A question typed after `/ask` goes to a channel the whole organisation reads. Two kinds are
# shown to the asker first, privately, to post as they are, edit in the form, or cancel:
# - very short: fewer than SHORT_WORDS words (too little to answer, however it is put), or fewer
#   than PLAIN_WORDS words of which nothing reads as a question (no question mark, not opening
#   with a question word): "foo", "test", "kubectl get pods" are more likely typed by mistake, or
#   meant for a search, than questions for the whole company;
# - very long: more than LONG_CHARS characters, Slack's limit for one block of a message and the
#   form's own limit for a question. It can still be posted as it is (in several blocks, each cut
#   at a paragraph or a sentence end); the form holds it as a short question with the rest as details.
SHORT_WORDS = 3
PLAIN_WORDS = 6
LONG_CHARS = 3000

# "?" in Latin, Greek-less scripts, full-width (Chinese, Japanese) and Arabic.
QUESTION_MARKS = frozenset("?？؟")
QUESTION_WORDS = frozenset(
    "how what why where when who whom whose which can could should would will shall may might must "
    "is are am was were do does did has have had any anyone anybody".split()
)
# Scripts written without spaces between words: two characters count as one word.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")  # <https://…|label>: its label
_MARKUP = re.compile(r"<[^<>]*>")  # a bare link or a mention: one word
_WORD = re.compile(r"\w+")


class ReviewReason(enum.Enum):
    SHORT = "short"
    LONG = "long"


@dataclass(frozen=True)
class Review:
    """Why a question is shown to its asker before it is posted, with what was measured."""

    reason: ReviewReason
    words: int
    chars: int


def _plain(text: str) -> str:
    """Stored text (Slack mrkdwn) as a reader sees it: links by their labels, entities undone."""
    return unescape(_MARKUP.sub(" x ", _LINK.sub(r" \2 ", text)))


def word_count(text: str) -> int:
    """Words as a reader counts them; in scripts written without spaces (Chinese, Japanese,
    Thai…), every two characters count as one."""
    count = 0
    for token in _WORD.findall(_plain(text)):
        unspaced = len(_UNSPACED.findall(token))
        count += max(1, (unspaced + 1) // 2) if unspaced else 1
    return count


def reads_as_question(text: str) -> bool:
    """A question mark anywhere, or a first word that opens a question ("how", "is", "can"…)."""
    plain = _plain(text)
    if any(mark in plain for mark in QUESTION_MARKS):
        return True
    first = _WORD.search(plain)
    return first is not None and first.group(0).lower() in QUESTION_WORDS


def needs_review(text: str, details: str | None = None) -> Review | None:
    """Should the asker see this question before it is posted (and why)? `text` and `details`
    as stored (mrkdwn). None: post it."""
    text, details = (text or "").strip(), (details or "").strip()
    words = word_count(text) + (word_count(details) if details else 0)
    if len(text) > LONG_CHARS:
        return Review(ReviewReason.LONG, words, len(text))
    if words < SHORT_WORDS or (words < PLAIN_WORDS and not (reads_as_question(text) or details)):
        return Review(ReviewReason.SHORT, words, len(text))
    return None


def form_boxes(text: str, details: str | None = None, limit: int = LONG_CHARS) -> tuple[str, str] | None:
    """A question (plain text, as typed) as the /ask form holds it, to edit before posting: the
    question box gets its first paragraph, the details box the rest, then any details; when the
    rest is more than the details box holds, the question box takes as much as it can (cut as
    `core.markup.cut_point` cuts). None when the form cannot hold it all (each box takes `limit`
    characters): nothing is ever left out."""
    text, details = text.strip(), (details or "").strip()

    def boxes(question: str, rest: str) -> tuple[str, str] | None:
        more = "\n\n".join(part for part in (rest.strip(), details) if part)
        return (question.strip(), more) if len(question.strip()) <= limit and len(more) <= limit else None

    if len(text) <= limit:
        return boxes(text, "")
    paragraph = re.search(r"\n[ \t]*\n", text)
    if paragraph is not None and paragraph.start() <= limit:
        found = boxes(text[: paragraph.start()], text[paragraph.end() :])
        if found is not None:
            return found
    end, start = cut_point(text, limit)
    return boxes(text[:end], text[start:])


class AskRefusal(enum.Enum):
    NO_CHANNEL = "no_channel"  # nobody has said where questions go
    TOO_LONG = "too_long"
    EMPTY = "empty"
    BAD_TOPIC = "bad_topic"


@dataclass(frozen=True)
class QuestionAsked:
    question_id: int
    channel_id: str
    new: bool  # False when the same request was seen before
    # Earlier questions that may answer it. When there are any, the question is held (not
    # posted) until the asker says whether one of them answers it.
    suggestions: tuple = ()
    # Why the asker sees it before it is posted (very short, very long), if so: it is held too.
    review: Review | None = None

    @property
    def held(self) -> bool:
        return bool(self.suggestions) or self.review is not None


@dataclass(frozen=True)
class AskRefused:
    reason: AskRefusal
    limit: int | None = None
    message: str | None = None  # for BAD_TOPIC: what is wrong, worded for the asker
    field: str | None = None  # for TOO_LONG: "question" or "details"


def check_question(
    *, text: str, details: str | None, topics: list[str] | tuple[str, ...], qa_channel_id: str | None
) -> AskRefused | None:
    """What can be said of a question without the database (the form's checks before its ack):
    where it would go, that it is there and not too long, and that its topics can be topics."""
    text, details = (text or "").strip(), (details or "").strip()
    if not qa_channel_id:
        return AskRefused(AskRefusal.NO_CHANNEL)
    if is_blank(text):  # nothing that shows: a zero-width space is no question
        return AskRefused(AskRefusal.EMPTY)
    if len(text) > MAX_QUESTION_CHARS:
        return AskRefused(AskRefusal.TOO_LONG, MAX_QUESTION_CHARS, field="question")
    if len(details) > MAX_DETAILS_CHARS:
        return AskRefused(AskRefusal.TOO_LONG, MAX_DETAILS_CHARS, field="details")
    try:
        names = {topic_rules.normalise(raw).key for raw in topics}
    except topic_rules.TopicError as exc:
        return AskRefused(AskRefusal.BAD_TOPIC, message=str(exc))
    if len(names) > topic_rules.MAX_TOPICS_PER_QUESTION:
        return AskRefused(AskRefusal.BAD_TOPIC, message=f"Choose at most {topic_rules.MAX_TOPICS_PER_QUESTION} topics.")
    return None


def ask_question(
    session: Session,
    *,
    team_id: str,
    asker_id: str,
    text: str,
    qa_channel_id: str | None,
    asked_in_channel_id: str | None = None,
    request_id: str | None = None,
    details: str | None = None,
    topics: list[str] | tuple[str, ...] = (),
    anonymous: bool = False,
    suggest: bool = False,
    session_id: int | None = None,
    lessons: tuple | None = None,
    review: bool = False,
) -> QuestionAsked | AskRefused:
    """Record a question for posting in the workspace's Q&A channel.

    With `suggest`, earlier questions that look like the same problem are looked up first
    (core.lessons), unless `lessons` holds them already (looked up before the transaction that
    writes, so that it stays short); when there are any, the question is stored as held and they
    come back in `suggestions`, for the asker to choose between "this answers it" and "post anyway".
    With `review`, a very short or very long question (`needs_review`) is held too, with why in
    `review`, for the asker to post as it is, edit or cancel.
    """
    text = (text or "").strip()
    details = (details or "").strip() or None
    refused = check_question(text=text, details=details, topics=topics, qa_channel_id=qa_channel_id)
    if refused is not None:
        return refused
    try:
        tagged = topic_rules.resolve_all(session, team_id=team_id, raws=list(topics), created_by=asker_id)
    except topic_rules.TopicError as exc:
        return AskRefused(AskRefusal.BAD_TOPIC, message=str(exc))
    suggestions: tuple = ()
    if suggest and lessons is not None:
        suggestions = tuple(lessons)
    elif suggest:
        suggestions = earlier_answers(
            session, team_id=team_id, text=text, details=details, channel_id=asked_in_channel_id
        )
    checked = needs_review(text, details) if review else None
    question, new = qa.create_question(
        session,
        team_id=team_id,
        asker_id=asker_id,
        text=text,
        details=details,
        anonymous=anonymous,
        session_id=session_id,
        status="held" if suggestions or checked else "pending",
        channel_id=qa_channel_id,
        asked_in_channel_id=asked_in_channel_id,
        request_id=request_id,
    )
    if not new:
        return QuestionAsked(question_id=question.id, channel_id=question.channel_id, new=False)
    topic_rules.tag_question(session, team_id=team_id, question_id=question.id, topics=tagged)
    search_index.reindex_question(session, team_id=team_id, question_id=question.id)
    return QuestionAsked(
        question_id=question.id, channel_id=question.channel_id, new=True, suggestions=suggestions, review=checked
    )


def earlier_answers(
    session: Session, *, team_id: str, text: str, details: str | None = None, channel_id: str | None = None
) -> tuple:
    """The earlier questions (core.lessons.Lesson) of the organisation that may already answer
    this one, asked from `channel_id` (where the asker typed `/ask`)."""
    from core.lessons import lessons_for

    return tuple(lessons_for(session, team_id=team_id, text=f"{text}\n{details or ''}", channel_id=channel_id))


def session_takes(session: Session, *, team_id: str, channel_id: str | None) -> bool:
    """Would an expert session open in `channel_id` take a question asked there now?"""
    return sessions.open_in(session, team_id=team_id, channel_id=channel_id or "") is not None


def ask_in_channel(
    session: Session,
    *,
    team_id: str,
    asker_id: str,
    text: str,
    qa_channel_id: str | None,
    channel_id: str | None,
    request_id: str | None = None,
    lessons: tuple | None = None,
) -> QuestionAsked | AskRefused:
    """A question typed in a channel (`/ask <text>`). An expert session open in that channel takes
    it: it is posted there, for the session's experts, as a message typed there would be, with no
    earlier answers offered first. Elsewhere it goes to the Q&A channel, earlier answers offered
    first (`lessons`, when they were looked up already), and a very short or very long question
    shown to its asker first (`needs_review`)."""
    live = sessions.open_in(session, team_id=team_id, channel_id=channel_id or "")
    return ask_question(
        session,
        team_id=team_id,
        asker_id=asker_id,
        text=text,
        qa_channel_id=live.channel_id if live else qa_channel_id,
        asked_in_channel_id=channel_id,
        request_id=request_id,
        suggest=live is None,
        session_id=live.id if live else None,
        lessons=lessons,
        review=live is None,
    )


# A held question waits this long for its asker's choice. Then it expires: never posted, the asker
# is told (with their text), and it counts nowhere, like a withdrawn one (leaving the suggestions
# without a word is not saying they answered it).
HELD_EXPIRES_AFTER = timedelta(days=7)


def expire_held(session: Session, *, now: datetime, after: timedelta = HELD_EXPIRES_AFTER) -> list[tuple[str, int]]:
    """Held questions nobody chose for in `after`, in every workspace: now expired, once each
    (a conditional change: a choice made at the same moment wins or loses whole)."""
    due = session.exec(
        select(Question.team_id, Question.id)
        .where(Question.status == "held", Question.created_at <= now - after)
        .order_by(Question.team_id, Question.id)
        .execution_options(all_workspaces=True)  # the sweep runs once for every workspace
    ).all()
    return [
        (team_id, question_id)
        for team_id, question_id in due
        if qa.change_status(session, team_id=team_id, question_id=question_id, old="held", status="expired")
    ]


class HeldChoice(enum.Enum):
    POST = "post"  # released for posting
    DEFLECTED = "deflected"  # an earlier question answers it: never posted
    WITHDRAWN = "withdrawn"  # the asker cancelled it (or asked it again, edited): never posted
    NOT_YOURS = "not_yours"
    ALREADY_DECIDED = "already_decided"
    UNKNOWN_ANSWER = "unknown_answer"  # `answered_by` is not a posted question the asker may see
    EXPIRED = "expired"  # nobody chose in HELD_EXPIRES_AFTER: it was not posted


def decide_held(
    session: Session,
    *,
    team_id: str,
    question_id: int,
    user_id: str,
    answered_by: int | None,
    withdraw: bool = False,
) -> HeldChoice:
    """The asker's choice for a held question: post it anyway (`answered_by` None), count it as
    answered by the earlier question `answered_by` (a question deflected), or `withdraw` it (never
    posted; kept out of every count). Only the asker decides, once; a second click finds it
    decided. The earlier question may live in another workspace of the organisation (as the
    suggestions do), and must be one the asker may see."""
    question = qa.get_question(session, team_id=team_id, question_id=question_id)
    if question is None or question.asker_id != user_id:
        return HeldChoice.NOT_YOURS
    if question.status == "expired":
        return HeldChoice.EXPIRED
    if withdraw:
        if not qa.change_status(session, team_id=team_id, question_id=question_id, old="held", status="withdrawn"):
            return HeldChoice.ALREADY_DECIDED
        return HeldChoice.WITHDRAWN
    if answered_by is not None:
        earlier = qa.get_in_pool(session, team_ids=workspaces.pool(session, team_id=team_id), question_id=answered_by)
        if (
            earlier is None
            or earlier.status != "posted"
            or not channels.shown(
                session,
                team_id=earlier.team_id,
                channel_id=earlier.channel_id,
                reader_channel=question.asked_in_channel_id,
            )
        ):
            return HeldChoice.UNKNOWN_ANSWER
    values = (
        dict(status="pending")
        if answered_by is None
        else dict(status="deflected", deflected_by_id=answered_by, deflected_at=utcnow())
    )
    if not qa.change_status(session, team_id=team_id, question_id=question_id, old="held", **values):
        return HeldChoice.ALREADY_DECIDED
    return HeldChoice.POST if answered_by is None else HeldChoice.DEFLECTED


def mark_posted(session: Session, *, team_id: str, question_id: int, channel_id: str, message_ts: str) -> bool:
    """The question is visible in its channel at `message_ts`. False if it was already marked."""
    question = qa.get_question(session, team_id=team_id, question_id=question_id)
    if question is None or question.status == "posted":
        return False
    question.status = "posted"
    question.channel_id = channel_id
    question.message_ts = message_ts
    question.posted_at = utcnow()
    session.add(question)
    return True


def record_permalink(session: Session, *, team_id: str, question_id: int, permalink: str) -> None:
    question = qa.get_question(session, team_id=team_id, question_id=question_id)
    if question is not None and question.permalink != permalink:
        question.permalink = permalink
        session.add(question)


def mark_failed(session: Session, *, team_id: str, question_id: int) -> bool:
    question = qa.get_question(session, team_id=team_id, question_id=question_id)
    if question is None or question.status != "pending":
        return False
    question.status = "failed"
    session.add(question)
    return True


def mark_pending_again(session: Session, *, team_id: str, question_id: int) -> bool:
    """An admin retries the post of a question that failed: it waits to be posted again."""
    question = qa.get_question(session, team_id=team_id, question_id=question_id)
    if question is None or question.status != "failed":
        return False
    question.status = "pending"
    session.add(question)
    return True


def thread_workspace(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> str:
    """The workspace whose question's thread `thread_ts` in `channel_id` is. A channel shared by
    several workspaces of an organisation (a Grid shared channel, such as one Q&A channel for
    every office) holds questions of each, and people of any of them reply, edit and accept in
    its threads: what they do there belongs to the question's workspace, whichever workspace
    Slack says they acted from. `team_id` itself when no question of its organisation is there."""
    if qa.find_question_by_post(session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts) is not None:
        return team_id
    found = qa.find_post_in_pool(
        session, team_ids=workspaces.pool(session, team_id=team_id), channel_id=channel_id, message_ts=thread_ts
    )
    return found.team_id if found is not None else team_id


def question_workspace(session: Session, *, team_id: str, question_id: int) -> str:
    """The workspace of question `question_id` of `team_id`'s organisation (a button on its post
    clicked from another workspace of the organisation, in a shared channel); `team_id` if none."""
    if qa.get_question(session, team_id=team_id, question_id=question_id) is not None:
        return team_id
    found = qa.get_in_pool(session, team_ids=workspaces.pool(session, team_id=team_id), question_id=question_id)
    return found.team_id if found is not None else team_id


class ReplyOutcome(enum.Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # the same message again (a retry, or a racing delivery)
    NOT_A_QUESTION = "not_a_question"  # a thread that is not one of our questions
    FROM_ASKER = "from_asker"  # the asker talking in their own thread is not an answer
    UPDATED = "updated"
    STALE = "stale"  # an older edit arriving after a newer one, or an edit of a deleted answer
    DELETED = "deleted"
    UNKNOWN_ANSWER = "unknown_answer"


def record_reply(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    message_ts: str,
    author_id: str,
    text: str,
    at: datetime,
) -> ReplyOutcome:
    """A reply was posted in a thread: store it as an answer if the thread is a question."""
    question = qa.find_question_by_post(session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts)
    if question is None:
        return ReplyOutcome.NOT_A_QUESTION
    if author_id == question.asker_id:
        return ReplyOutcome.FROM_ASKER
    added = qa.add_answer(
        session,
        team_id=team_id,
        question_id=question.id,
        message_ts=message_ts,
        author_id=author_id,
        text=text,
        answered_at=at,
    )
    if not added:
        return ReplyOutcome.DUPLICATE
    search_index.reindex_question(session, team_id=team_id, question_id=question.id)
    return ReplyOutcome.RECORDED


def post_in_flight(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> bool:
    """Could a reply to `thread_ts` be to a question whose post Slack has taken but whose ts
    Knowhow has not stored yet? True while a question of that channel, asked before that ts, is
    still being posted (its post is the thread's parent, and the reply must wait for it)."""
    return qa.being_posted(
        session,
        team_ids=workspaces.pool(session, team_id=team_id),  # a shared channel's may be another workspace's
        channel_id=channel_id,
        asked_by=from_slack_ts(thread_ts),
    )


def _reindexed(session: Session, question, outcome: ReplyOutcome) -> ReplyOutcome:
    """The question's searchable document changed: rebuild it in this transaction."""
    search_index.reindex_question(session, team_id=question.team_id, question_id=question.id)
    return outcome


def edit_reply(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    message_ts: str,
    author_id: str,
    text: str,
    edited_ts: str,
) -> ReplyOutcome:
    """A reply was edited. Edits apply in Slack's order, whatever order they arrive in; an edit of
    a reply we never heard of (its event was lost or is still on its way) records it."""
    question = qa.find_question_by_post(session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts)
    if question is None:
        return ReplyOutcome.NOT_A_QUESTION
    if author_id == question.asker_id:
        return ReplyOutcome.FROM_ASKER
    row = dict(team_id=team_id, question_id=question.id, message_ts=message_ts)
    for _ in range(3):
        if qa.apply_edit(session, **row, text=text, edited_ts=edited_ts, at=utcnow()):
            return _reindexed(session, question, ReplyOutcome.UPDATED)
        answer = qa.get_answer(session, **row)
        if answer is None:
            if qa.add_answer(
                session,
                **row,
                author_id=author_id,
                text=text,
                answered_at=from_slack_ts(message_ts),
                edited_ts=edited_ts,
                edited_at=utcnow(),
            ):
                return _reindexed(session, question, ReplyOutcome.RECORDED)
            continue  # the original reply was stored meanwhile: apply the edit to it
        if answer.deleted_at is not None:
            return ReplyOutcome.STALE
        if answer.edited_ts == edited_ts:
            return ReplyOutcome.DUPLICATE
        if answer.edited_ts is not None and answer.edited_ts > edited_ts:
            return ReplyOutcome.STALE
        # The reply was committed after the update looked for it: apply the edit again.
    return ReplyOutcome.STALE


def delete_reply(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    message_ts: str,
    author_id: str | None = None,
) -> ReplyOutcome:
    """A reply was deleted in Slack. The answer becomes a tombstone without its text; a deletion
    that arrives before the reply leaves a tombstone too, so a late copy cannot bring it back."""
    question = qa.find_question_by_post(session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts)
    if question is None:
        return ReplyOutcome.NOT_A_QUESTION
    row = dict(team_id=team_id, question_id=question.id, message_ts=message_ts)
    for _ in range(3):
        if qa.mark_deleted(session, **row, at=utcnow()):
            return _reindexed(session, question, ReplyOutcome.DELETED)
        answer = qa.get_answer(session, **row)
        if answer is not None:
            if answer.deleted_at is not None:
                return ReplyOutcome.DUPLICATE
            continue  # the reply was committed after the update looked for it
        if not author_id or author_id == question.asker_id:
            return ReplyOutcome.UNKNOWN_ANSWER
        if qa.add_answer(
            session,
            **row,
            author_id=author_id,
            text="",
            answered_at=from_slack_ts(message_ts),
            deleted_at=utcnow(),
        ):
            return _reindexed(session, question, ReplyOutcome.DELETED)
    return ReplyOutcome.DUPLICATE
