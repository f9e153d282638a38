"""A question's post in the Q&A channel: rendered from what is stored, and kept up to date.

The post shows the question's state (open, answered, resolved with a link to the accepted
answer). When the state changes, `notify.ask.sync` queues one `chat.update` per new version;
the sender renders whatever is stored when it runs, so a late or repeated update can only show
the current state.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import delivery
from bot.ask import blocks
from bot.outbox import SendContext, Sender
from core import accepting
from core import topics as topic_rules
from storage import qa
from storage.db import session_scope
from storage.models import Question
from storage.outbox import OutboxItem

QUESTION_METADATA = "knowhow_question"


def metadata(question_id: int) -> dict:
    return {"event_type": QUESTION_METADATA, "event_payload": {"question_id": question_id}}


def content(session: Session, question: Question, *, accepted_link: str | None = None) -> dict:
    """The keyword arguments of `blocks.question_post` for a stored question."""
    accepted = accepting.accepted_answer(session, team_id=question.team_id, question_id=question.id)
    return dict(
        asker_id=question.asker_id,
        text=question.text,
        question_id=question.id,
        anonymous=question.anonymous,
        details=question.details,
        topics=[t.name for t in topic_rules.of_question(session, team_id=question.team_id, question_id=question.id)],
        state=accepting.state_of(session, question).value if question.status == "posted" else "open",
        accepted_author=accepted.author_id if accepted else None,
        accepted_link=accepted_link,
    )


class RefreshPost(Sender):
    """Update the post to the question's state as stored now (a post that is gone is left alone)."""

    def send(self, ctx: SendContext, item: OutboxItem):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
            if question is None or question.message_ts is None:
                return None
            accepted = accepting.accepted_answer(session, team_id=item.team_id, question_id=question.id)
            link = delivery.permalink(ctx, question.channel_id, accepted.message_ts) if accepted else None
            message = blocks.question_post(**content(session, question, accepted_link=link))
        delivery.update_message(ctx, question.channel_id, question.message_ts, message, metadata=metadata(question.id))
        return None


# The mark on the accepted answer in its thread: Knowhow's own reaction, so people reading the
# thread see which reply solved it.
ACCEPTED_MARK = "white_check_mark"


class MarkAccepted(Sender):
    """Mark the accepted answer in its thread, and take the mark off the answers that were
    accepted before (`marks`: the replies this acceptance concerns). Rendered from what is stored
    when it runs, so marks queued in any order end as the last acceptance left them."""

    def send(self, ctx: SendContext, item: OutboxItem):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
            if question is None or question.message_ts is None:
                return None
            accepted = accepting.accepted_answer(session, team_id=item.team_id, question_id=question.id)
        current = accepted.message_ts if accepted else None
        for ts in item.payload.get("marks") or []:
            if ts != current:
                _react(ctx, "reactions_remove", question.channel_id, ts, ("no_reaction", "message_not_found"))
        if current is not None:
            _react(ctx, "reactions_add", question.channel_id, current, ("already_reacted", "message_not_found"))
        return None


def _react(ctx: SendContext, method: str, channel: str, ts: str, settled: tuple[str, ...]) -> None:
    """Add or take off the mark; an answer already (un)marked, or gone, is as it should be."""
    try:
        getattr(ctx.client, method)(channel=channel, timestamp=ts, name=ACCEPTED_MARK)
    except SlackApiError as exc:
        if delivery.error_of(exc) not in settled:
            raise
