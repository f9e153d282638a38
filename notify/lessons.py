"""A thread saved as a lesson: what is left to learn from Slack, queued in the save's own transaction."""

from __future__ import annotations

from sqlmodel import Session

from notify import home, kinds, queue
from storage import channels


def saved(
    session: Session,
    *,
    team_id: str,
    question_id: int,
    channel_id: str,
    thread_ts: str,
    saver: str,
    link: bool,
    key: str,
) -> None:
    """Read the thread's permalink (`link`: not for a DM's lesson shared beyond it) and its other
    replies, learn whether its conversation is private when Knowhow does not know (until then it
    counts as private), and refresh the saver's Home (their lessons saved)."""
    queue(
        session,
        team_id,
        f"lesson:{question_id}:complete:{key}",
        kinds.OUTBOX_LESSON_COMPLETE,
        question_id=question_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        link=link,
    )
    if channels.needs_check(session, team_id=team_id, channel_id=channel_id):
        queue(
            session,
            team_id,
            f"channel-privacy:{channel_id}:{question_id}",
            kinds.OUTBOX_CHANNEL_PRIVACY,
            channel_id=channel_id,
        )
    home.queue_refresh(session, team_id, saver)
