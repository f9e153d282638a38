"""The weekly scoreboard's Slack edge: `/mentor scoreboard` (anyone, privately), `/mentor
scoreboard settings` (admins: channel, day and time), the weekly post and its picture (outbox
senders), and the sweep the scheduler runs. The figures and the weeks are core.scoreboard's."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import ids
from bot import scoreboard_blocks as sbb
from bot.admins import is_admin
from bot.config import Settings
from bot.delivery import post_joining
from bot.deps import Deps
from bot.edge import team_of
from bot.outbox import SendContext
from core import scoreboard
from core.clock import utcnow
from notify import kinds
from storage import outbox
from storage import scoreboard as figures
from storage.db import session_scope
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


def _private(text: str) -> dict:
    return {"response_type": "ephemeral", "text": text}


def command(deps: Deps, ack: Ack, cmd: dict, context: BoltContext, client, rest: str) -> None:
    team_id, user_id = team_of(context, cmd), cmd["user_id"]
    threshold = deps.settings.privacy_threshold
    if rest.lower() == "settings":
        if not is_admin(deps, client, user_id):
            ack(
                **_private(
                    "Only workspace admins change where and when the scoreboard is posted. `/mentor scoreboard` shows it to you now."
                )
            )
            return
        with session_scope(deps.engine) as session:
            plan = scoreboard.schedule(session, team_id=team_id, default_channel=deps.settings.qa_channel)
        if plan.tz == "UTC":  # never set: start from the admin's own time zone
            tz = ((client.users_info(user=user_id).get("user") or {}).get("tz")) or "UTC"
            plan = scoreboard.Schedule(plan.channel_id, plan.weekday, plan.hour, plan.minute, tz)
        try:
            client.views_open(trigger_id=cmd["trigger_id"], view=sbb.settings_form(plan))
        except SlackApiError as exc:
            log.warning("scoreboard settings could not open: %s", (exc.response.data or {}).get("error"))
            ack(**_private("Sorry, the settings could not open just now. Please try again."))
            return
        ack()
        return
    if rest:
        ack(
            **_private(
                "`/mentor scoreboard` shows the scoreboard; admins change where and when it is posted with `/mentor scoreboard settings`."
            )
        )
        return
    with session_scope(deps.engine) as session:
        board = scoreboard.live_board(session, team_id=team_id, now=utcnow(), threshold=threshold)
        plan = scoreboard.schedule(session, team_id=team_id, default_channel=deps.settings.qa_channel)
    message = sbb.on_demand(board, threshold)
    where = (
        f"It is posted in <#{plan.channel_id}> on {plan.describe()}."
        if plan.channel_id
        else "No channel is set for the weekly post yet (`/mentor scoreboard settings`)."
    )
    message["blocks"].append({"type": "context", "elements": [{"type": "mrkdwn", "text": where}]})
    ack(**message)


def handle_settings_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext, client) -> None:
    team_id, user_id = team_of(context, body), body["user"]["id"]
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> dict:
        return (values.get(block) or {}).get(block) or {}

    if not is_admin(deps, client, user_id):
        ack(
            response_action="errors", errors={ids.SCOREBOARD_IN_CHANNEL: "Only workspace admins change the scoreboard."}
        )
        return
    channel = value(ids.SCOREBOARD_IN_CHANNEL).get("selected_conversation")
    day = (value(ids.SCOREBOARD_IN_DAY).get("selected_option") or {}).get("value")
    at = value(ids.SCOREBOARD_IN_TIME).get("selected_time") or ""
    if not channel:
        ack(response_action="errors", errors={ids.SCOREBOARD_IN_CHANNEL: "Choose a channel."})
        return
    try:
        hour, minute = (int(x) for x in at.split(":"))
    except ValueError:
        ack(response_action="errors", errors={ids.SCOREBOARD_IN_TIME: "Choose a time of day."})
        return
    try:
        with session_scope(deps.engine) as session:
            plan = scoreboard.save_schedule(
                session,
                team_id=team_id,
                channel_id=channel,
                weekday=int(day or 0),
                hour=hour,
                minute=minute,
                tz=view.get("private_metadata") or "UTC",
                user_id=user_id,
                now=utcnow(),
            )
    except scoreboard.SettingsError as exc:
        block = {"weekday": ids.SCOREBOARD_IN_DAY, "time": ids.SCOREBOARD_IN_TIME}[exc.field]
        ack(response_action="errors", errors={block: str(exc)})
        return
    ack(
        response_action="update",
        view={
            "type": "modal",
            "title": {"type": "plain_text", "text": "Weekly scoreboard"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": f"The scoreboard is posted in <#{channel}> on {plan.describe()}.",
                    },
                }
            ],
        },
    )


# -- the weekly post --------------------------------------------------------------------------------


def sweep(session: Session, settings: Settings, now: datetime) -> int:
    """Store each week's figures as it ends (catching up on weeks missed while down), and queue the
    latest week's post once, wherever the workspace wants it."""
    queued = 0
    for team_id in figures.teams(session):
        plan = scoreboard.schedule(session, team_id=team_id, default_channel=settings.qa_channel)
        due = scoreboard.catch_up(session, team_id=team_id, plan=plan, now=now)
        if due is None or not plan.channel_id:
            continue
        if scoreboard.claim_post(session, team_id=team_id, week_end=due, channel_id=plan.channel_id, now=now):
            outbox.enqueue(
                session,
                team_id=team_id,
                dedupe_key=f"{_key(due)}:post",
                kind=kinds.OUTBOX_SCOREBOARD_POST,
                payload={"week_end": due.isoformat(), "channel_id": plan.channel_id},
            )
            queued += 1
    return queued


def _key(week_end: datetime) -> str:
    return f"scoreboard:{week_end:%Y%m%dT%H%M}"


def _week(item: OutboxItem) -> datetime:
    return datetime.fromisoformat(item.payload["week_end"])


class WeeklyPost:
    """The week's post; once it is in the channel (joined if need be), its picture follows."""

    def send(self, ctx: SendContext, item: OutboxItem):
        with session_scope(ctx.engine) as session:
            board = scoreboard.weekly_board(
                session, team_id=item.team_id, week_end=_week(item), threshold=ctx.settings.privacy_threshold
            )
        if board is None:
            return None
        ts = post_joining(ctx, item.payload["channel_id"], sbb.weekly_post(board, ctx.settings.privacy_threshold))["ts"]

        def record(session: Session) -> None:
            scoreboard.set_message(session, team_id=item.team_id, week_end=_week(item), ts=ts)
            outbox.enqueue(
                session,
                team_id=item.team_id,
                dedupe_key=f"{_key(_week(item))}:chart",
                kind=kinds.OUTBOX_SCOREBOARD_CHART,
                payload=item.payload,
            )

        return record

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        """Tell the admin who chose the channel (a private channel Knowhow cannot join, an
        archived one): otherwise the post would simply never appear."""
        log.warning("the weekly scoreboard for %s failed for good: %s", item.dedupe_key, reason)
        admin = scoreboard.settings_owner(session, team_id=item.team_id)
        if admin:
            outbox.enqueue(
                session,
                team_id=item.team_id,
                dedupe_key=f"{_key(_week(item))}:failed",
                kind=kinds.OUTBOX_SCOREBOARD_FAILED,
                payload={"user_id": admin, "channel_id": item.payload["channel_id"], "reason": reason},
            )


class FailureNote:
    def send(self, ctx: SendContext, item: OutboxItem):
        ctx.client.chat_postMessage(
            channel=item.payload["user_id"], **sbb.post_failed(item.payload["channel_id"], item.payload["reason"])
        )
        return None

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        log.warning("could not tell %s that the weekly scoreboard failed: %s", item.payload.get("user_id"), reason)


class Chart:
    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        log.warning("the scoreboard picture for %s failed for good: %s", item.dedupe_key, reason)

    def send(self, ctx: SendContext, item: OutboxItem):
        with session_scope(ctx.engine) as session:
            trend = scoreboard.trend(
                session, team_id=item.team_id, threshold=ctx.settings.privacy_threshold, until=_week(item)
            )
        if not trend.week_ends:
            return None
        ctx.client.files_upload_v2(
            channel=item.payload["channel_id"],
            file=sbb.trend_png(trend),
            filename="knowhow-last-12-weeks.png",
            title="Knowhow: the last 12 weeks",
            alt_txt="Questions asked and resolved, and people seeking and offering mentoring, week by week",
        )
        return None


SENDERS = {
    kinds.OUTBOX_SCOREBOARD_POST: WeeklyPost(),
    kinds.OUTBOX_SCOREBOARD_CHART: Chart(),
    kinds.OUTBOX_SCOREBOARD_FAILED: FailureNote(),
}


def register(app: App, deps: Deps) -> None:
    @app.view(ids.SCOREBOARD_SETTINGS_MODAL)
    def settings_form(ack, body, view, context, client):
        handle_settings_form(deps, ack, body, view, context, client)
