"""Which conversations are private: who may be shown a question from the knowledge base.

The organisation's knowledge base is one pool (storage.search), but a question asked in a
private channel, a group DM or a DM is only ever shown to people who can see that conversation.
Knowhow does not ask Slack who is in a channel at search time (a call per result, on the ack
path); it records, per conversation, whether it is private, and a search shows a question:

- from a public channel, to anyone in the organisation;
- from any other conversation (private, a DM, a group DM, or one whose privacy Knowhow has not
  learnt yet), only to a search made in that very conversation: someone typing `/ask` there is
  in it (Slack only lets members write in a private conversation). Elsewhere it is not shown,
  not even to its own asker (their App Home lists their own questions);
- imported (`knowhow import`: no conversation at all), to anyone in the organisation: an
  operator chose to share it.

Privacy is learnt from Slack: `conversations.info` when Knowhow posts a question in a
conversation (and again once `RECHECK_AFTER` has passed), a message event's `channel_type` when a
person's message becomes a question. A channel converted from public to private is seen as
private from the next question posted in it; until then its questions stay shown as public.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from storage.models import Channel, utcnow
from storage.upsert import insert_if_absent

RECHECK_AFTER = timedelta(days=1)
IMPORTED = ""  # the channel_id of an imported question: it comes from no conversation

# A message event's `channel_type`, and what it says.
PUBLIC_TYPES = frozenset({"channel"})
PRIVATE_TYPES = frozenset({"group", "im", "mpim", "app_home"})


def record(session: Session, *, team_id: str, channel_id: str, private: bool, now: datetime | None = None) -> None:
    """What Slack said of a conversation, now. Writes only what changed (or a stale check's date)."""
    if not channel_id:
        return
    now = now or utcnow()
    row = session.exec(select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)).first()
    if row is None:
        if insert_if_absent(
            session, Channel, dict(team_id=team_id, channel_id=channel_id, private=private, checked_at=now)
        ):
            return
        row = session.exec(select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)).one()
    if row.private != private or row.checked_at < now - RECHECK_AFTER:
        row.private, row.checked_at = private, now
        session.add(row)
        session.flush()


def record_type(session: Session, *, team_id: str, channel_id: str, channel_type: str | None) -> None:
    """A message event's `channel_type` ("channel", "group", "im", "mpim"), when it has one."""
    if channel_type in PUBLIC_TYPES or channel_type in PRIVATE_TYPES:
        record(session, team_id=team_id, channel_id=channel_id, private=channel_type in PRIVATE_TYPES)


def is_private(session: Session, *, team_id: str, channel_id: str) -> bool | None:
    """True, False, or None when Knowhow does not know yet (which counts as private)."""
    return session.exec(
        select(Channel.private).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
    ).first()


def needs_check(session: Session, *, team_id: str, channel_id: str, now: datetime | None = None) -> bool:
    """Should Knowhow ask Slack about this conversation (never asked, or not for a while)?"""
    if not channel_id:
        return False
    checked = session.exec(
        select(Channel.checked_at).where(Channel.team_id == team_id, Channel.channel_id == channel_id)
    ).first()
    return checked is None or checked < (now or utcnow()) - RECHECK_AFTER


def private_in_slack(info: dict) -> bool:
    """Is a `conversations.info` channel object anything but a public channel?"""
    return bool(info.get("is_private") or info.get("is_im") or info.get("is_mpim") or info.get("is_group"))


def shown(session: Session, *, team_id: str, channel_id: str, reader_channel: str | None) -> bool:
    """The rule of `shown_sql`, for one question already read (its workspace and conversation)."""
    if channel_id in (IMPORTED, reader_channel):
        return True
    return is_private(session, team_id=team_id, channel_id=channel_id) is False


def shown_sql(question: str, reader_channel: str, false: str) -> str:
    """SQL: the question (table alias `question`) may be shown to someone searching from the
    conversation bound as `:reader_channel` (NULL: from nowhere in particular, e.g. the command
    line): it was imported, is in that conversation, or its conversation is a known public
    channel. `false` is the dialect's false literal."""
    q = question
    return (
        f"({q}.channel_id = '' OR {q}.channel_id = :{reader_channel} OR EXISTS (SELECT 1 FROM channel ch "
        f"WHERE ch.team_id = {q}.team_id AND ch.channel_id = {q}.channel_id AND ch.private = {false}))"
    )
