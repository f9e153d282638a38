"""Help channels: what must be said after a help-channel message, a choice or a checkmark
(core.helpchannels), queued in the change's own transaction, once per record."""

from __future__ import annotations

from sqlmodel import Session

from core import helpchannels
from notify import kinds, queue


def top_level_message(
    session: Session, *, team_id: str, channel_id: str, message_ts: str, user_id: str, text: str
) -> bool:
    """A person's top-level message: in a help channel, when it asks, earlier lessons are looked up
    for it after the ack (the sender reads it again from Slack: its text is not kept). At most once."""
    considered = helpchannels.consider(
        session, team_id=team_id, channel_id=channel_id, message_ts=message_ts, user_id=user_id, text=text
    )
    if considered.skip is not None:
        return False
    return queue(
        session,
        team_id,
        f"help:{channel_id}:{message_ts}:suggest",
        kinds.OUTBOX_HELP_SUGGEST,
        channel_id=channel_id,
        thread_ts=message_ts,
        asker_id=user_id,
    )


def chosen(session: Session, *, team_id: str, key: str, chosen: helpchannels.Chosen, request: dict) -> bool:
    """What came of a choice, said where it was made (the suggestion's response_url)."""
    return queue(session, team_id, f"{key}:said", kinds.OUTBOX_HELP_CHOSEN, chosen=chosen.value, **request)


def checkmark(session: Session, *, team_id: str, channel_id: str, item_ts: str, user_id: str) -> bool:
    """A checkmark on a message of a help channel that listens: whether it marks an answer is
    read from Slack (the thread it is in) after the ack."""
    if not helpchannels.is_listening(session, team_id=team_id, channel_id=channel_id):
        return False
    return queue(
        session,
        team_id,
        f"help:{channel_id}:{item_ts}:check:{user_id}",
        kinds.OUTBOX_HELP_CHECKMARK,
        channel_id=channel_id,
        item_ts=item_ts,
        user_id=user_id,
    )


def save_offer(
    session: Session, *, team_id: str, channel_id: str, thread_ts: str, answer_ts: str, asker_id: str
) -> bool:
    """The asker marked a colleague's reply: offer them, once per thread, to save it as a lesson."""
    if not helpchannels.offer_save(
        session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, asker_id=asker_id
    ):
        return False
    return queue(
        session,
        team_id,
        f"help:{channel_id}:{thread_ts}:save-offer",
        kinds.OUTBOX_HELP_SAVE_OFFER,
        channel_id=channel_id,
        thread_ts=thread_ts,
        answer_ts=answer_ts,
        asker_id=asker_id,
    )
