"""Asking and answering: what must be said after a question is asked, posted, answered or
left unanswered, queued in the change's own transaction."""

from __future__ import annotations

import dataclasses
import time

from sqlmodel import Session

from core import accepting
from core import topics as topic_rules
from notify import home, kinds, queue
from notify import sessions as session_notes
from storage import qa


def queue_post(
    session: Session,
    *,
    team_id: str,
    question_id: int,
    response_url: str | None,
    requested_at: float | None = None,
    replace_original: bool = True,
) -> None:
    """Queue the question's post; the asker hears back through `response_url` (else by DM),
    replacing the message it came from (unless `replace_original` is False: the /ask form's,
    whose command left none). `requested_at`: when Slack gave that response_url (Unix seconds;
    it expires)."""
    queue(
        session,
        team_id,
        f"question:{question_id}:post",
        kinds.OUTBOX_POST_QUESTION,
        question_id=question_id,
        response_url=response_url,
        requested_at=requested_at or time.time(),
        **({} if replace_original else {"replace_original": False}),
    )


def held(session: Session, *, team_id: str, question_id: int, lessons, request: dict, review=None) -> None:
    """The question is held: show the asker the earlier questions that may answer it (`lessons`,
    as found now) and why it is shown before posting (`review`: a `core.asking.Review`, if it
    is), through the request's response_url (else by DM)."""
    queue(
        session,
        team_id,
        f"question:{question_id}:suggestions",
        kinds.OUTBOX_ASK_SUGGESTIONS,
        question_id=question_id,
        lessons=[dataclasses.asdict(lesson) for lesson in lessons],
        review=_review(review),
        **_reply_to(request),
    )


def _review(review) -> dict | None:
    return None if review is None else {"reason": review.reason.value, "words": review.words, "chars": review.chars}


def refused(session: Session, *, team_id: str, key: str, reason: str, request: dict, limit: int | None = None) -> None:
    """A question could not be taken (`reason`: an `AskRefusal` value, or "not_saved"): tell the
    asker why, with their text. Once per request (`key`)."""
    queue(
        session,
        team_id,
        f"{key}:refused",
        kinds.OUTBOX_ASK_REFUSED,
        reason=reason,
        limit=limit,
        text=request.get("text") or "",
        asker_id=request.get("asker_id"),
        **_reply_to(request),
    )


def held_decided(session: Session, *, team_id: str, key: str, question_id: int, choice: str, request: dict) -> None:
    """Tell the person who chose for a held question what came of it (`choice`: a `HeldChoice`
    value), where they chose: the message's response_url, or the form (`view_id`)."""
    queue(
        session,
        team_id,
        f"{key}:decided",
        kinds.OUTBOX_HELD_DECIDED,
        question_id=question_id,
        choice=choice,
        user_id=request.get("user_id"),
        answered_by=request.get("answered_by"),
        view_id=request.get("view_id"),
        **_reply_to(request),
    )


def held_expired(session: Session, *, team_id: str, question_id: int) -> None:
    """A held question expired unposted: tell the asker, privately, with their text. Once."""
    queue(session, team_id, f"question:{question_id}:expired", kinds.OUTBOX_HELD_EXPIRED, question_id=question_id)


def form_answered(
    session: Session,
    *,
    team_id: str,
    key: str,
    request: dict,
    result: str,
    question_id: int | None = None,
    lessons=(),
    reason: str | None = None,
    message: str | None = None,
    review=None,
) -> None:
    """Show the outcome of the /ask form in the form (its `view_id`), which says "looking…" until
    then. `result`: "held" (with `lessons` and `review`), "posting", or "refused" (with `reason`,
    `message`)."""
    queue(
        session,
        team_id,
        f"{key}:result",
        kinds.OUTBOX_ASK_FORM_RESULT,
        result=result,
        question_id=question_id,
        lessons=[dataclasses.asdict(lesson) for lesson in lessons],
        reason=reason,
        message=message,
        review=_review(review),
        # Where the form came from, for a form opened again from this one ("Edit it").
        form={k: request.get(k) for k in ("asked_in", "response_url", "requested_at", "replace_original")},
        view_id=request["view_id"],
        asker_id=request["asker_id"],
        text=request["text"],
    )


def _reply_to(request: dict) -> dict:
    """Where a request is answered: its response_url while Slack takes it (from `requested_at`),
    replacing the message it came from unless `replace_original` says not to (the form's, whose
    command left no message of its own)."""
    reply = dict(response_url=request.get("response_url"), requested_at=request.get("requested_at") or time.time())
    if request.get("replace_original") is False:
        reply["replace_original"] = False
    return reply


def posted(
    session: Session, *, team_id: str, question_id: int, asker_id: str, request: dict, invitations_per_day: int
) -> None:
    """The question is in its channel: the asker's Home lists it, they get its link (`request`:
    the post's payload, with the response_url to answer through), and likely helpers are
    invited when it has topics and invitations are on."""
    home.queue_refresh(session, team_id, asker_id)
    queue(session, team_id, f"question:{question_id}:confirm", kinds.OUTBOX_CONFIRM_QUESTION, **request)
    if invitations_per_day > 0 and topic_rules.of_question(session, team_id=team_id, question_id=question_id):
        queue(
            session,
            team_id,
            f"question:{question_id}:invite",
            kinds.OUTBOX_INVITE_HELPERS,
            question_id=question_id,
        )


def post_failed(session: Session, *, team_id: str, question_id: int, request: dict, reason: str) -> None:
    """The question can never be posted: tell the asker why, with their text."""
    queue(
        session,
        team_id,
        f"question:{question_id}:failed",
        kinds.OUTBOX_QUESTION_FAILED,
        **{**request, "reason": reason},
    )


def queue_follow_ups(session: Session, *, team_id: str, question_id: int) -> None:
    """Nobody answered: raise it in its thread (shown in the channel too) and tell the asker."""
    for kind, key in (
        (kinds.OUTBOX_FOLLOW_UP_THREAD, "followup-thread"),
        (kinds.OUTBOX_FOLLOW_UP_ASKER, "followup-asker"),
    ):
        queue(session, team_id, f"question:{question_id}:{key}", kind, question_id=question_id)


def queue_refresh(session: Session, *, team_id: str, question_id: int, version: int | None) -> bool:
    """Queue the chat.update for a new post version (None: nothing changed)."""
    if version is None:
        return False
    queue(
        session,
        team_id,
        f"question:{question_id}:post-v{version}",
        kinds.OUTBOX_REFRESH_POST,
        question_id=question_id,
    )
    question = qa.get_question(session, team_id=team_id, question_id=question_id)
    if question is not None:  # the asker's App Home shows the question's state
        home.queue_refresh(session, team_id, question.asker_id)
    return True


def accepted(session: Session, *, team_id: str, accepted: accepting.Accepted) -> bool:
    """After an attempt to accept an answer: when it was accepted, its question's post shows it
    (a new post version) and the answer is marked in its thread (the mark taken off the one
    accepted before). Whether anything was queued."""
    if accepted.post_version is None:
        return False
    queue_refresh(session, team_id=team_id, question_id=accepted.question_id, version=accepted.post_version)
    queue(
        session,
        team_id,
        f"question:{accepted.question_id}:mark-v{accepted.post_version}",
        kinds.OUTBOX_MARK_ACCEPTED,
        question_id=accepted.question_id,
        marks=[ts for ts in (accepted.answer_ts, accepted.previous_ts) if ts],
    )
    return True


def sync(session: Session, *, team_id: str, question_id: int) -> bool:
    """After answers changed: queue an update of the post if its state changed."""
    version = accepting.sync_shown_state(session, team_id=team_id, question_id=question_id)
    return queue_refresh(session, team_id=team_id, question_id=question_id, version=version)


def thread_changed(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> bool:
    """A reply came, changed or went in a thread: if it is a question's, its post (and a closed
    session's summary) follows. Whether anything was queued."""
    question = qa.find_question_by_post(session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts)
    if question is None:
        return False
    changed = sync(session, team_id=team_id, question_id=question.id)
    return session_notes.answer_changed(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts) or changed
