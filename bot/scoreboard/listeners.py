"""`/mentor scoreboard` (anyone, privately) and `/mentor scoreboard settings` (admins: channel,
day and time), and the settings form. The figures and the weeks are core.scoreboard's."""

from __future__ import annotations

import logging
from dataclasses import replace

from slack_bolt import Ack, BoltContext
from slack_sdk.errors import SlackApiError

from bot import ids, refusals
from bot.ackbudget import SLOW_ADMIN_FORM, SLOW_ADMIN_SUBMIT, SlackSlow, briefly
from bot.admins import admin_or_told
from bot.blockkit import context as context_block
from bot.blockkit import form_errors, private, section
from bot.deps import Deps
from bot.edge import parse_number, team_of
from bot.scoreboard import blocks
from core import scoreboard
from core.clock import utcnow
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)


def command(deps: Deps, ack: Ack, cmd: dict, context: BoltContext, client, rest: str) -> None:
    team_id, user_id = team_of(context, cmd), cmd["user_id"]
    threshold = deps.settings.privacy_threshold
    if rest.lower() == "settings":
        # The admin check, the admin's time zone and the form are all before the ack (the
        # trigger_id expires with it), within its budget.
        with deps.ack_budget.client(client) as quick:
            settings_form(deps, ack, cmd, context, client, quick, team_id, user_id)
        return
    if rest:
        ack(
            **private(
                "`/mentor scoreboard` shows the scoreboard; admins change where and when it is posted with `/mentor scoreboard settings`."
            )
        )
        return
    with session_scope(deps.engine) as session:
        board = scoreboard.live_board(session, team_id=team_id, now=utcnow(), threshold=threshold)
        plan = scoreboard.schedule(
            session,
            team_id=team_id,
            default_channel=workspaces.qa_channel(session, team_id=team_id, default=deps.settings.qa_channel),
        )
    message = blocks.on_demand(board, threshold)
    where = (
        f"It is posted in <#{plan.channel_id}> on {plan.describe()}."
        if plan.channel_id
        else "No channel is set for the weekly post yet (`/mentor scoreboard settings`)."
    )
    message["blocks"].append(context_block(where))
    ack(**message)


def settings_form(
    deps: Deps, ack: Ack, cmd: dict, context: BoltContext, client, quick, team_id: str, user_id: str
) -> None:
    """`/mentor scoreboard settings`: the form, for admins (`quick`: the request's client on the ack's budget)."""
    if not admin_or_told(
        deps,
        context,
        client,
        user_id,
        what="scoreboard settings",
        slow=lambda: ack(**private(SLOW_ADMIN_FORM.format(command="/mentor scoreboard settings"))),
        refused=lambda: ack(**private(refusals.SCOREBOARD_SETTINGS)),
        quick=quick,
    ):
        return
    with session_scope(deps.engine) as session:
        plan = scoreboard.schedule(
            session,
            team_id=team_id,
            default_channel=workspaces.qa_channel(session, team_id=team_id, default=deps.settings.qa_channel),
        )
        organisation = len(workspaces.pool(session, team_id=team_id))
    if plan.tz == "UTC":  # never set: start from the admin's own time zone (UTC if Slack does not say in time)
        try:
            with briefly(quick):
                tz = ((quick.users_info(user=user_id).get("user") or {}).get("tz")) or "UTC"
        except (SlackSlow, SlackApiError):
            tz = "UTC"
        plan = replace(plan, tz=tz)
    try:
        quick.views_open(trigger_id=cmd["trigger_id"], view=blocks.settings_form(plan, workspaces=organisation))
    except SlackSlow as exc:
        log.warning("scoreboard settings: Slack did not open them in time (%s)", exc)
        ack(
            **private(
                "Slack did not open the settings in time. Please run `/mentor scoreboard settings` again in a moment."
            )
        )
        return
    except SlackApiError as exc:
        log.warning("scoreboard settings could not open: %s", (exc.response.data or {}).get("error"))
        ack(**private("Sorry, the settings could not open just now. Please try again."))
        return
    ack()


def handle_settings_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext, client) -> None:
    team_id, user_id = team_of(context, body), body["user"]["id"]
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> dict:
        return (values.get(block) or {}).get(block) or {}

    if not admin_or_told(
        deps,
        context,
        client,
        user_id,
        what="scoreboard settings",
        slow=lambda: ack(**form_errors({ids.SCOREBOARD_IN_CHANNEL: SLOW_ADMIN_SUBMIT})),
        refused=lambda: ack(**form_errors({ids.SCOREBOARD_IN_CHANNEL: refusals.SCOREBOARD_FORM})),
    ):
        return
    channel = value(ids.SCOREBOARD_IN_CHANNEL).get("selected_conversation")
    day = (value(ids.SCOREBOARD_IN_DAY).get("selected_option") or {}).get("value")
    # Whose figures: asked only of a workspace of an organisation of several (else left as it is).
    scope = (value(ids.SCOREBOARD_IN_SCOPE).get("selected_option") or {}).get("value")
    at = value(ids.SCOREBOARD_IN_TIME).get("selected_time") or ""
    if not channel:
        ack(**form_errors({ids.SCOREBOARD_IN_CHANNEL: "Choose a channel."}))
        return
    hour, _, minute = at.partition(":")
    hour, minute = parse_number(hour, 0, 23), parse_number(minute, 0, 59)
    if hour is None or minute is None:
        ack(**form_errors({ids.SCOREBOARD_IN_TIME: "Choose a time of day."}))
        return
    weekday = parse_number(day, 0, 6) if day else 0
    if weekday is None:
        ack(**form_errors({ids.SCOREBOARD_IN_DAY: "Choose a day of the week."}))
        return
    try:
        with session_scope(deps.engine) as session:
            plan = scoreboard.save_schedule(
                session,
                team_id=team_id,
                channel_id=channel,
                weekday=weekday,
                hour=hour,
                minute=minute,
                tz=view.get("private_metadata") or "UTC",
                user_id=user_id,
                now=utcnow(),
                scope=scope,
            )
    except scoreboard.SettingsError as exc:
        block = {"weekday": ids.SCOREBOARD_IN_DAY, "time": ids.SCOREBOARD_IN_TIME, "scope": ids.SCOREBOARD_IN_SCOPE}[
            exc.field
        ]
        ack(**form_errors({block: str(exc)}))
        return
    ack(
        response_action="update",
        view={
            "type": "modal",
            "title": {"type": "plain_text", "text": "Weekly scoreboard"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [
                section(
                    f"The scoreboard is posted in <#{channel}> on {plan.describe()}"
                    + (", with this workspace's figures only." if plan.scope == scoreboard.WORKSPACE else ".")
                )
            ],
        },
    )
