"""`/expert schedule`: the form that plans a session, and why a plan is refused."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot import delivery, ids
from bot.ackbudget import SLOW_ADMIN_SUBMIT, SlackSlow, briefly
from bot.admins import learn_later, with_admin_fallback
from bot.blockkit import form_errors, private
from bot.deps import Deps
from bot.edge import parse_number, team_of
from bot.sessions import blocks as sb
from bot.text import escape
from core import sessions
from core.clock import utcnow
from core.sessions import Refusal
from notify import sessions as notify_sessions
from storage.db import session_scope

log = logging.getLogger(__name__)


def _named(deps: Deps, quick, team_id: str, hosts: list[sessions.HostChannel]) -> list[sessions.HostChannel]:
    """The hosting channels with their names: one whose name Knowhow never learnt (added before it
    kept names) is asked of Slack, briefly, so that the form can still open in time."""
    named, learnt = [], {}
    try:
        with briefly(quick):
            for host in hosts:
                if host.name is None:
                    found = quick.conversations_info(channel=host.channel_id).get("channel") or {}
                    if found.get("name"):
                        learnt[host.channel_id] = found["name"]
    except (SlackSlow, SlackApiError) as exc:
        log.info("/expert schedule: a session channel's name is not known (%s)", exc)
    for host in hosts:
        named.append(sessions.HostChannel(host.channel_id, host.name or learnt.get(host.channel_id)))
    if learnt:
        with session_scope(deps.engine) as session:
            for channel_id, name in learnt.items():
                sessions.name_channel(session, team_id=team_id, channel_id=channel_id, name=name)
    return named


def open_form(deps: Deps, ack: Ack, cmd: dict, client, team_id: str) -> None:
    """The form offers only the channels that host sessions, the one it is run in first chosen."""
    with session_scope(deps.engine) as session:
        hosts = sessions.hosts(session, team_id=team_id)
    if not hosts:
        ack(
            **private(
                "No channel hosts sessions yet, so there is nowhere to plan one. An admin adds a channel with "
                "`/expert channels add #channel`; then run `/expert schedule` again."
            )
        )
        return
    here = cmd.get("channel_id")
    start = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    try:  # the trigger_id expires with the 3 seconds: before the ack, within its budget
        with deps.ack_budget.client(client) as quick:
            hosts = _named(deps, quick, team_id, hosts)
            view = sb.schedule_modal(
                channels=[(h.channel_id, h.name) for h in hosts],
                channel_id=here if any(h.channel_id == here for h in hosts) else hosts[0].channel_id,
                organiser_id=cmd["user_id"],
                start=start,
            )
            quick.views_open(trigger_id=cmd["trigger_id"], view=view)
    except SlackSlow as exc:
        log.warning("/expert schedule: Slack did not open the form in time (%s)", exc)
        ack(**private("Slack did not open the form in time. Please run `/expert schedule` again in a moment."))
        return
    except SlackApiError as exc:
        log.warning("/expert schedule: the form could not open (%s)", delivery.error_of(exc))
        ack(**private("Sorry, the form could not open. Please try again."))
        return
    ack()


REFUSALS = {
    Refusal.NO_TOPIC: ("topic", "Give the session a topic (150 characters at most)."),
    Refusal.NO_EXPERTS: ("experts", "Choose at least one expert."),
    Refusal.TOO_MANY_EXPERTS: ("experts", f"At most {sessions.MAX_EXPERTS} experts."),
    Refusal.BAD_DURATION: ("minutes", f"A whole number of minutes from 1 to {sessions.MAX_MINUTES}."),
    Refusal.IN_PAST: ("start", "That time has passed: choose a later one."),
    Refusal.NOT_DESIGNATED: ("channel", "That channel no longer hosts sessions: choose another."),
    Refusal.NOT_ALLOWED: (
        "experts",
        "Only admins and the session's own experts may schedule it: add yourself as an expert.",
    ),
    Refusal.OVERLAP: ("start", "Another session is planned in that channel at that time."),
    # Only `/expert start` is refused so (bot/sessions/command.py says why); never the form.
    Refusal.MAY_NOT_START: ("start", "Only admins open a session on the spot here."),
}


def refusal_text(refused: sessions.Refused, *, against: datetime | None = None, now: datetime | None = None) -> str:
    """Why scheduling was refused. In mrkdwn the session it overlaps is dated with a
    `<!date>` token; a modal's error is plain text, so there (`against`: the start the person
    chose) the other session is placed relative to theirs, which needs no time zone. A session
    already open says until when it is open (in plain text: for how much longer, from `now`)."""
    text = REFUSALS[refused.reason][1]
    other = refused.other
    if other is None:
        return text
    if other.state is sessions.State.OPEN:
        if against is None:
            return f"Another session is open in that channel until {sb.when(other.ends_at, '{time}')} (#{other.id})."
        left = max(1, round((other.ends_at - (now or utcnow())).total_seconds() / 60))
        return f"Another session is open in that channel for another {_span(left)} (#{other.id})."
    if against is None:
        return text + f" (#{other.id}, {sb.when(other.starts_at)})"
    minutes = round((other.starts_at - against).total_seconds() / 60)
    if minutes == 0:
        return text + f" (#{other.id} starts at the same time)"
    return text + f" (#{other.id} starts {_span(abs(minutes))} {'before' if minutes < 0 else 'after'} yours)"


def _span(minutes: int) -> str:
    """A length of time in plain words: "1 h 5 min", "40 min"."""
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if part)


def handle_schedule_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext, client) -> None:
    values = (view.get("state") or {}).get("values") or {}

    def field(block: str) -> dict:
        return (values.get(block) or {}).get(block) or {}

    team_id, user_id = team_of(context, body), body["user"]["id"]
    typed = field("minutes").get("value")
    minutes = parse_number(typed, 0, 10**6) if typed else sessions.DEFAULT_MINUTES
    if minutes is None:
        minutes = -1  # refused by the rule, in its words
    # Unix seconds from the date and time picker: a moment between 1970 and 9999.
    start = parse_number(field("start").get("selected_date_time"), 0, 253402300799)
    if start is None:
        ack(**form_errors({"start": "Choose when it starts."}))
        return

    def attempt(admin: bool) -> sessions.SessionInfo | sessions.Refused:
        with session_scope(deps.engine) as session:
            result = sessions.schedule(
                session,
                team_id=team_id,
                organiser_id=user_id,
                # The channel picker's option; a form opened before it was one offers any conversation.
                channel_id=(field("channel").get("selected_option") or {}).get("value")
                or field("channel").get("selected_conversation")
                or "",
                topic=escape(field("topic").get("value") or ""),
                experts=list(field("experts").get("selected_users") or []),
                starts_at=datetime.fromtimestamp(start, UTC),
                minutes=minutes,
                is_admin=admin,
                now=utcnow(),
                request_id=f"view:{view['id']}",
            )
            if isinstance(result, sessions.SessionInfo):
                notify_sessions.queue_announcement(session, team_id=team_id, session_id=result.id)
        return result

    # Slack's admin check only for an organiser who is not among the session's experts, before the
    # ack within its budget: when it does not come in time, the form says to submit again.
    try:
        with deps.ack_budget.client(client) as quick:
            result = with_admin_fallback(
                deps,
                quick,
                user_id,
                attempt,
                lambda r: isinstance(r, sessions.Refused) and r.reason is Refusal.NOT_ALLOWED,
            )
    except SlackSlow as exc:
        log.warning("/expert schedule: Slack did not say in time whether %s is an admin (%s)", user_id, exc)
        ack(**form_errors({"experts": SLOW_ADMIN_SUBMIT}))
        learn_later(deps, context, client, user_id)  # remembered for the next try
        return
    if isinstance(result, sessions.Refused):
        block, _ = REFUSALS[result.reason]
        ack(**form_errors({block: refusal_text(result, against=datetime.fromtimestamp(start, UTC))}))
        return
    ack()
    deps.on_session_scheduled(result)
    deps.wake_outbox()


def register(app: App, deps: Deps) -> None:
    @app.view(ids.SESSION_MODAL)
    def schedule_form(ack, body, view, context, client):
        handle_schedule_form(deps, ack, body, view, context, client)
