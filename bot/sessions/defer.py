"""The "defer to date" picker in an expert's list of a session's questions: the expert promises
an answer by a day, noted in the question's thread, and is reminded that morning. In a panel a
question is owed by one expert at a time: another expert's *Take it over* button makes it theirs
(core.sessions.take_over); their picker cannot overwrite the first promise."""

from __future__ import annotations

import contextlib
import logging
from datetime import date

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.ackbudget import SlackSlow, after_ack
from bot.deps import Deps
from bot.edge import parse_id, said_on_failure, team_of, tell_not_valid
from bot.sessions import blocks as sb
from bot.text import mention
from core import sessions
from core.clock import utcnow
from notify import sessions as notify_sessions
from storage.db import session_scope

log = logging.getLogger(__name__)


def handle_defer(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    ack()
    action = (body.get("actions") or [{}])[0]
    question_id = parse_id(str(action.get("block_id", "")).partition(":")[2])
    try:
        due = date.fromisoformat(action["selected_date"])
    except (KeyError, TypeError, ValueError):
        due = None
    if question_id is None or due is None:
        tell_not_valid(respond, "date picker", "`/expert list` shows your sessions; their lists come again from there.")
        return
    team_id, user_id = team_of(context, body), body["user"]["id"]

    def decide(client) -> str:
        tz = None
        # UTC when Slack cannot say: the date still stands, the reminder time may be off by hours.
        # (On the ack's budget, Slack too slow to say raises SlackSlow: decided after the ack.)
        with contextlib.suppress(SlackApiError, OSError):
            tz = (client.users_info(user=user_id).get("user") or {}).get("tz")
        with session_scope(deps.engine) as session:
            result = sessions.defer(
                session,
                team_id=team_id,
                question_id=question_id,
                expert_id=user_id,
                due_date=due,
                tz_name=tz,
                now=utcnow(),
            )
            if result.outcome is sessions.DeferOutcome.DEFERRED:
                notify_sessions.queue_deferred(session, team_id=team_id, result=result)
            elif result.outcome is sessions.DeferOutcome.HELD and result.session_id is not None:
                # This expert's list was behind: bring every list up to date.
                notify_sessions.queue_summary_refresh(session, team_id=team_id, session_id=result.session_id)
            elif result.outcome is sessions.DeferOutcome.NOT_AFTER_TODAY and result.session_id is not None:
                # A refused date: the lists shown again, so the picker no longer shows it.
                notify_sessions.queue_lists_refresh(session, team_id=team_id, session_id=result.session_id)
        return _said(result)

    def tell(text: str) -> None:
        respond(replace_original=False, response_type="ephemeral", text=text)
        deps.wake_outbox()

    try:
        with deps.ack_budget.client(client) as quick:
            text = decide(quick)
    except SlackSlow as exc:
        log.info("defer: Slack is slow (%s): decided after the ack", exc)
        after_ack(context, lambda: _after(decide, client, tell))
        return
    tell(text)


def _after(decide, client, tell) -> None:
    """The deferral decided after the ack: a failure is told, never silent."""
    try:
        text = decide(client)
    except Exception:
        log.exception("defer: could not record a deferral")
        text = "Sorry, that could not be done just now. Please try again in a minute."
    tell(text)


def handle_take_over(deps: Deps, ack: Ack, body: dict, context: BoltContext, respond) -> None:
    ack()
    number, _, holder = str((body.get("actions") or [{}])[0].get("value") or "").partition(":")
    question_id = parse_id(number)
    if question_id is None or not holder:
        tell_not_valid(respond, instead="`/expert list` shows your sessions; their lists come again from there.")
        return
    team_id, user_id = team_of(context, body), body["user"]["id"]
    with session_scope(deps.engine) as session:
        result = sessions.take_over(
            session, team_id=team_id, question_id=question_id, expert_id=user_id, from_expert_id=holder
        )
        if result.outcome is sessions.DeferOutcome.TAKEN_OVER:
            notify_sessions.queue_deferred(session, team_id=team_id, result=result)
        elif result.session_id is not None:  # the list was behind: bring every list up to date
            notify_sessions.queue_summary_refresh(session, team_id=team_id, session_id=result.session_id)
    respond(replace_original=False, response_type="ephemeral", text=_said(result))
    deps.wake_outbox()


def _said(result: sessions.Deferred) -> str:
    outcome = sessions.DeferOutcome
    if result.outcome is outcome.DEFERRED:
        moved = (
            f" (it was {sb.day(result.moved_from)})"
            if result.moved_from and result.moved_from != result.due_date
            else ""
        )
        return f"Deferred to {sb.day(result.due_date)}{moved}: it is noted in the question's thread, and you will be reminded at 9:00 that day."
    if result.outcome is outcome.TAKEN_OVER:
        return (
            f"It is yours now: you will answer it by {sb.day(result.due_date)} (pick another date in your list to move it). "
            f"{mention(result.previous, start=True)} is told, and the note in its thread names you."
        )
    if result.outcome in (outcome.HELD, outcome.ALREADY_YOURS) and result.holder and result.due_date:
        if result.outcome is outcome.ALREADY_YOURS:
            return f"It is already yours: you will answer it by {sb.day(result.due_date)}."
        return sb.held(result.holder, result.due_date)
    return {
        outcome.NOT_AFTER_TODAY: "Pick a date after today.",
        outcome.NOT_AN_EXPERT: "Only the session's experts can defer its questions.",
        outcome.ANSWERED: "That question is already answered: nothing to defer.",
        outcome.NOT_DEFERRED: "Nobody has promised that question yet: pick a date in your list to defer it.",
    }.get(result.outcome, "That question is not from an Ask the Expert session.")


def register(app: App, deps: Deps) -> None:
    @app.action(ids.SESSION_DEFER)
    def defer(ack, body, context, client, respond):
        with said_on_failure(respond):
            handle_defer(deps, ack, body, context, client, respond)

    @app.action(ids.SESSION_TAKE_OVER)
    def take_over(ack, body, context, respond):
        with said_on_failure(respond):
            handle_take_over(deps, ack, body, context, respond)
