"""Ask the Expert sessions: the Slack edge. `/expert` subcommands, the scheduling form, the
"defer to date" picker, top-level messages in a session's channel, and the outbox senders for
everything the sessions say. The rules are in `core.sessions`; the scheduler's jobs call
`queue_transition` and friends with what core returned."""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, date, datetime, timedelta

from slack_bolt import Ack, BoltContext
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import ids
from bot import session_blocks as sb
from bot.admins import is_admin, with_admin_fallback
from bot.deps import Deps
from bot.listeners.ask import said_on_failure, team_of
from bot.outbox import SendContext
from bot.posts import permalink, post_joining, update_message
from bot.text import escape
from core import sessions
from core.clock import from_slack_ts, utcnow
from core.sessions import Change, Refusal, State
from notify import kinds
from storage import outbox, qa
from storage.db import session_scope
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


# -- queueing what to say ---------------------------------------------------------------------


def _enqueue(session: Session, team_id: str, key: str, kind: str, **payload) -> None:
    outbox.enqueue(session, team_id=team_id, dedupe_key=key, kind=kind, payload=payload)


def queue_transition(session: Session, transition: sessions.Transition) -> None:
    info = transition.session
    if transition.new_state is State.OPEN:
        _enqueue(session, info.team_id, f"session:{info.id}:opened", kinds.OUTBOX_SESSION_OPENED, session_id=info.id)
    elif transition.new_state is State.CLOSED:
        _enqueue(session, info.team_id, f"session:{info.id}:summary", kinds.OUTBOX_SESSION_SUMMARY, session_id=info.id)
        for expert in info.experts:
            _enqueue(
                session,
                info.team_id,
                f"session:{info.id}:list:{expert}",
                kinds.OUTBOX_SESSION_EXPERT_LIST,
                session_id=info.id,
                expert_id=expert,
                last_call=False,
            )
    elif transition.new_state is State.MISSED:
        _enqueue(session, info.team_id, f"session:{info.id}:missed", kinds.OUTBOX_SESSION_MISSED, session_id=info.id)
        _enqueue(
            session,
            info.team_id,
            f"session:{info.id}:announce-missed",
            kinds.OUTBOX_SESSION_ANNOUNCE_UPDATE,
            session_id=info.id,
        )


def queue_last_call(session: Session, *, team_id: str, session_id: int) -> None:
    info = sessions.get(session, team_id=team_id, session_id=session_id)
    for expert in info.experts:
        _enqueue(
            session,
            team_id,
            f"session:{session_id}:last-call:{expert}",
            kinds.OUTBOX_SESSION_EXPERT_LIST,
            session_id=session_id,
            expert_id=expert,
            last_call=True,
        )
    queue_summary_refresh(session, team_id=team_id, session_id=session_id, bump=False)


def queue_summary_refresh(session: Session, *, team_id: str, session_id: int, bump: bool = True) -> None:
    version = (
        sessions.bump_summary(session, team_id=team_id, session_id=session_id)
        if bump
        else (sessions.get(session, team_id=team_id, session_id=session_id).summary_version)
    )
    if version is not None:
        _enqueue(
            session,
            team_id,
            f"session:{session_id}:summary-v{version}",
            kinds.OUTBOX_SESSION_SUMMARY_REFRESH,
            session_id=session_id,
        )


def queue_reminder(session: Session, *, team_id: str, question_id: int) -> None:
    _enqueue(
        session,
        team_id,
        f"question:{question_id}:reminder:{utcnow():%Y%m%d}",
        kinds.OUTBOX_SESSION_REMINDER,
        question_id=question_id,
    )


# -- /expert subcommands -----------------------------------------------------------------------


def _channel_arg(text: str, here: str | None) -> str | None:
    text = text.strip()
    if not text:
        return here
    match = _CHANNEL.match(text)
    return match.group(1) if match else None


def command(deps: Deps, ack: Ack, cmd: dict, context: BoltContext, client, team_id: str, words: str) -> bool:
    """Handle `/expert <words>` if it is a sessions subcommand; False when it is not one."""
    action, _, rest = words.strip().partition(" ")
    action, rest = action.lower(), rest.strip()
    user_id, here = cmd["user_id"], cmd.get("channel_id")
    now = utcnow()
    if action in ("", "help"):
        ack(**sb.private(sb.HELP))
    elif action == "channels":
        ack(**_channels(deps, client, team_id, user_id, here, rest))
    elif action == "list":
        with session_scope(deps.engine) as session:
            upcoming = sessions.upcoming(session, team_id=team_id)
        lines = [sb.session_line(i) for i in upcoming] or ["No sessions are scheduled. `/expert schedule` plans one."]
        ack(**sb.private("\n".join(["*Ask the Expert sessions*", *lines])))
    elif action == "schedule":
        _open_schedule_form(deps, ack, cmd, client, team_id)
    elif action == "cancel":
        ack(**_cancel(deps, client, team_id, user_id, rest, now))
    elif action == "start":
        ack(**_start(deps, client, team_id, user_id, here, rest, now, cmd.get("trigger_id")))
    elif action == "close":
        ack(**_close(deps, client, team_id, user_id, here, now))
    else:
        return False
    return True


def _channels(deps: Deps, client, team_id: str, user_id: str, here: str | None, rest: str) -> dict:
    verb, _, target = rest.partition(" ")
    verb = verb.lower()
    if verb in ("", "list"):
        with session_scope(deps.engine) as session:
            channels = sessions.designated(session, team_id=team_id)
        if not channels:
            return sb.private("No channel hosts sessions yet. An admin adds one with `/expert channels add #channel`.")
        return sb.private("Channels that host Ask the Expert sessions: " + ", ".join(f"<#{c}>" for c in channels))
    if verb not in ("add", "remove"):
        return sb.private(
            "Use `/expert channels add #channel`, `/expert channels remove #channel` or `/expert channels list`."
        )
    if not is_admin(deps, client, user_id):
        return sb.private(
            "Only workspace admins (or Knowhow admins in KNOWHOW_ADMINS) choose the channels that host sessions."
        )
    channel = _channel_arg(target, here)
    if channel is None:
        return sb.private(
            f"Name the channel as a link, for example `/expert channels {verb} #ask-the-expert`, or run it in that channel."
        )
    if verb == "remove":
        with session_scope(deps.engine) as session:
            removed = sessions.undesignate(session, team_id=team_id, channel_id=channel)
        return sb.private(
            f"<#{channel}> no longer hosts sessions." if removed else f"<#{channel}> was not hosting sessions."
        )
    problem = _join(client, channel)
    if problem:
        return sb.private(problem)
    with session_scope(deps.engine) as session:
        added = sessions.designate(session, team_id=team_id, channel_id=channel, user_id=user_id)
    return sb.private(
        f"<#{channel}> now hosts Ask the Expert sessions." if added else f"<#{channel}> already hosts sessions."
    )


def _join(client, channel: str) -> str | None:
    """Join a public channel; what to tell the admin when that is not possible (else None).
    Sessions are public by design: what is asked and answered in them is searchable by the whole
    workspace, so a private channel cannot host them."""
    try:
        client.conversations_join(channel=channel)
        return None
    except SlackApiError as exc:
        error = (exc.response.data or {}).get("error")
        if error in ("method_not_supported_for_channel_type", "is_private"):
            return (
                f"<#{channel}> is a private channel. Sessions are held in public channels, because their "
                "questions and answers join the knowledge everyone can search. Choose a public channel."
            )
        log.warning("could not join %s: %s", channel, error)
        return f"I could not join <#{channel}> ({error}). Check the channel exists and is not archived, then try again."


def _open_schedule_form(deps: Deps, ack: Ack, cmd: dict, client, team_id: str) -> None:
    with session_scope(deps.engine) as session:
        channels = sessions.designated(session, team_id=team_id)
    if not channels:
        ack(**sb.private("No channel hosts sessions yet. An admin adds one with `/expert channels add #channel`."))
        return
    here = cmd.get("channel_id")
    start = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    view = sb.schedule_modal(
        channel_id=here if here in channels else channels[0], organiser_id=cmd["user_id"], start=start
    )
    try:
        client.views_open(trigger_id=cmd["trigger_id"], view=view)
    except SlackApiError as exc:
        log.warning("/expert schedule: the form could not open (%s)", (exc.response.data or {}).get("error"))
        ack(**sb.private("Sorry, the form could not open. Please try again."))
        return
    ack()


REFUSALS = {
    Refusal.NO_TOPIC: ("topic", "Give the session a topic (150 characters at most)."),
    Refusal.NO_EXPERTS: ("experts", "Choose at least one expert."),
    Refusal.TOO_MANY_EXPERTS: ("experts", f"At most {sessions.MAX_EXPERTS} experts."),
    Refusal.BAD_DURATION: ("minutes", f"A whole number of minutes from 1 to {sessions.MAX_MINUTES}."),
    Refusal.IN_PAST: ("start", "That time has passed: choose a later one."),
    Refusal.NOT_DESIGNATED: ("channel", "This channel does not host sessions: pick one from `/expert channels list`."),
    Refusal.NOT_ALLOWED: (
        "experts",
        "Only admins and the session's own experts may schedule it: add yourself as an expert.",
    ),
    Refusal.OVERLAP: ("start", "Another session is planned in that channel at that time."),
}


def _refusal_text(refused: sessions.Refused, *, against: datetime | None = None) -> str:
    """Why scheduling was refused. In mrkdwn the session it overlaps is dated with a
    `<!date>` token; a modal's error is plain text, so there (`against`: the start the person
    chose) the other session is placed relative to theirs, which needs no time zone."""
    text = REFUSALS[refused.reason][1]
    if refused.other is None:
        return text
    if against is None:
        return text + f" (#{refused.other.id}, {sb.when(refused.other.starts_at)})"
    minutes = round((refused.other.starts_at - against).total_seconds() / 60)
    if minutes == 0:
        return text + f" (#{refused.other.id} starts at the same time)"
    hours, rest = divmod(abs(minutes), 60)
    gap = " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if part)
    return text + f" (#{refused.other.id} starts {gap} {'before' if minutes < 0 else 'after'} yours)"


def handle_schedule_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext, client) -> None:
    values = (view.get("state") or {}).get("values") or {}

    def field(block: str) -> dict:
        return (values.get(block) or {}).get(block) or {}

    team_id, user_id = team_of(context, body), body["user"]["id"]
    try:
        minutes = int(field("minutes").get("value") or sessions.DEFAULT_MINUTES)
    except ValueError:
        minutes = -1
    start = field("start").get("selected_date_time")
    if not start:
        ack(response_action="errors", errors={"start": "Choose when it starts."})
        return
    admin = is_admin(deps, client, user_id)
    with session_scope(deps.engine) as session:
        result = sessions.schedule(
            session,
            team_id=team_id,
            organiser_id=user_id,
            channel_id=field("channel").get("selected_conversation") or "",
            topic=escape(field("topic").get("value") or ""),
            experts=list(field("experts").get("selected_users") or []),
            starts_at=datetime.fromtimestamp(int(start), UTC),
            minutes=minutes,
            is_admin=admin,
            now=utcnow(),
            request_id=f"view:{view['id']}",
        )
        if isinstance(result, sessions.SessionInfo):
            _enqueue(
                session, team_id, f"session:{result.id}:announce", kinds.OUTBOX_SESSION_ANNOUNCE, session_id=result.id
            )
    if isinstance(result, sessions.Refused):
        block, _ = REFUSALS[result.reason]
        ack(
            response_action="errors",
            errors={block: _refusal_text(result, against=datetime.fromtimestamp(int(start), UTC))},
        )
        return
    ack()
    deps.on_session_scheduled(result)
    deps.wake_outbox()


def _cancel(deps: Deps, client, team_id: str, user_id: str, rest: str, now: datetime) -> dict:
    try:
        session_id = int(rest.lstrip("#"))
    except ValueError:
        return sb.private("Say which session, by its number in `/expert list`: `/expert cancel 12`.")

    def attempt(admin: bool) -> sessions.Changed:
        with session_scope(deps.engine) as session:
            return sessions.cancel(
                session, team_id=team_id, session_id=session_id, user_id=user_id, is_admin=admin, now=now
            )

    changed = with_admin_fallback(deps, client, user_id, attempt, lambda c: c.outcome is Change.NOT_ALLOWED)
    if changed.outcome is Change.DONE:
        with session_scope(deps.engine) as session:
            _enqueue(
                session,
                team_id,
                f"session:{session_id}:announce-cancelled",
                kinds.OUTBOX_SESSION_ANNOUNCE_UPDATE,
                session_id=session_id,
            )
        deps.wake_outbox()
        return sb.private(
            f"Session #{session_id} ({sb._topic(changed.session.topic)}) is cancelled; its announcement says so."
        )
    return sb.private(
        {
            Change.NOT_FOUND: f"There is no session #{session_id}. `/expert list` shows them.",
            Change.NOT_ALLOWED: "Only the session's organiser, its experts or an admin can cancel it.",
            Change.WRONG_STATE: f"Session #{session_id} is {changed.session.state.value if changed.session else 'not scheduled'}: only a scheduled session can be cancelled (`/expert close` ends an open one).",
        }[changed.outcome]
    )


def _start(
    deps: Deps, client, team_id: str, user_id: str, here: str | None, topic: str, now: datetime, trigger_id
) -> dict:
    if not topic:
        return sb.private("Say what the session is about: `/expert start Kubernetes upgrades`.")
    with session_scope(deps.engine) as session:
        result = sessions.start_now(
            session,
            team_id=team_id,
            user_id=user_id,
            channel_id=here or "",
            topic=topic,
            now=now,
            request_id=f"cmd:{trigger_id}" if trigger_id else None,
        )
        if isinstance(result, sessions.Transition):
            queue_transition(session, result)
    if isinstance(result, sessions.Refused):
        return sb.private(_refusal_text(result))
    deps.on_session_scheduled(result.session)
    deps.wake_outbox()
    return sb.private(
        f"Session #{result.session.id} is open here until {sb.when(result.session.ends_at, '{time}')}. `/expert close` ends it early."
    )


def _close(deps: Deps, client, team_id: str, user_id: str, here: str | None, now: datetime) -> dict:

    def attempt(admin: bool):
        with session_scope(deps.engine) as session:
            return sessions.close_now(
                session, team_id=team_id, channel_id=here or "", user_id=user_id, is_admin=admin, now=now
            )

    result = with_admin_fallback(
        deps, client, user_id, attempt, lambda r: isinstance(r, sessions.Changed) and r.outcome is Change.NOT_ALLOWED
    )
    if isinstance(result, sessions.Transition):
        with session_scope(deps.engine) as session:
            queue_transition(session, result)
        deps.wake_outbox()
        return sb.private("The session is closed. The summary follows, and the experts get the questions still open.")
    if result.outcome is Change.NOT_FOUND or result.outcome is Change.WRONG_STATE:
        return sb.private("No session is open in this channel (it may have just closed on time).")
    return sb.private("Only the session's experts, its organiser or an admin can close it.")


# -- deferring ---------------------------------------------------------------------------------


def handle_defer(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    ack()
    action = body["actions"][0]
    try:
        question_id = int(str(action.get("block_id", "")).split(":", 1)[1])
        due = date.fromisoformat(action["selected_date"])
    except (IndexError, KeyError, TypeError, ValueError):
        log.warning("defer: a date picker carried a value it should not have")
        return
    team_id, user_id = team_of(context, body), body["user"]["id"]
    tz = None
    with contextlib.suppress(SlackApiError):  # UTC then: the date still stands, the reminder time may be off by hours
        tz = (client.users_info(user=user_id).get("user") or {}).get("tz")
    with session_scope(deps.engine) as session:
        result = sessions.defer(
            session, team_id=team_id, question_id=question_id, expert_id=user_id, due_date=due, tz_name=tz, now=utcnow()
        )
        if result.outcome is sessions.DeferOutcome.DEFERRED:
            _enqueue(
                session,
                team_id,
                f"question:{question_id}:deferred:{due.isoformat()}",
                kinds.OUTBOX_SESSION_DEFERRED_NOTE,
                question_id=question_id,
                expert_id=user_id,
                due=due.isoformat(),
            )
            queue_summary_refresh(session, team_id=team_id, session_id=result.session_id)
    text = {
        sessions.DeferOutcome.DEFERRED: f"Deferred to {sb.day(due)}: it is noted in the question's thread, and you will be reminded at 9:00 that day.",
        sessions.DeferOutcome.NOT_AFTER_TODAY: "Pick a date after today.",
        sessions.DeferOutcome.NOT_AN_EXPERT: "Only the session's experts can defer its questions.",
        sessions.DeferOutcome.ANSWERED: "That question is already answered: nothing to defer.",
        sessions.DeferOutcome.NOT_FOUND: "That question is not from an Ask the Expert session.",
    }[result.outcome]
    respond(replace_original=False, response_type="ephemeral", text=text)
    deps.wake_outbox()


# -- messages in a session's channel -----------------------------------------------------------


def top_level_message(deps: Deps, session: Session, team_id: str, event: dict) -> bool:
    """A person's top-level message: a session question if a session is open in that channel."""
    recorded = sessions.record_question(
        session,
        team_id=team_id,
        channel_id=event["channel"],
        message_ts=event["ts"],
        user_id=event["user"],
        text=event.get("text") or "",
        at=from_slack_ts(event["ts"]),
    )
    if recorded is None:
        return False
    question_id, info = recorded
    _enqueue(session, team_id, f"question:{question_id}:ack", kinds.OUTBOX_SESSION_ACK, question_id=question_id)
    if info.state is State.CLOSED:  # asked just before the close, handled after it
        queue_summary_refresh(session, team_id=team_id, session_id=info.id)
    return True


def answer_changed(session: Session, team_id: str, channel_id: str, thread_ts: str) -> bool:
    """An answer came, changed or went in a question's thread: a closed session's summary follows."""
    session_id = sessions.session_of_question(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
    if session_id is None:
        return False
    info = sessions.get(session, team_id=team_id, session_id=session_id)
    if info is None or info.state is not State.CLOSED:
        return False
    queue_summary_refresh(session, team_id=team_id, session_id=session_id)
    return True


# -- senders -----------------------------------------------------------------------------------


class _Sender:
    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        log.warning("%s for %s failed for good: %s", item.kind, item.dedupe_key, reason)


def _session(ctx: SendContext, item: OutboxItem) -> sessions.SessionInfo | None:
    with session_scope(ctx.engine) as session:
        return sessions.get(session, team_id=item.team_id, session_id=item.payload["session_id"])


class Announce(_Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is None or info.announcement_ts:
            return None
        # Rendered as the session stands when sent: a retry after a cancel announces no live session.
        message = sb.announcement(info, cancelled=info.state is State.CANCELLED, missed=info.state is State.MISSED)
        ts = post_joining(ctx, info.channel_id, message)["ts"]
        return lambda session: sessions.set_post(session, team_id=item.team_id, session_id=info.id, announcement_ts=ts)


class AnnounceUpdate(_Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is not None:
            message = sb.announcement(info, cancelled=info.state is State.CANCELLED, missed=info.state is State.MISSED)
            update_message(ctx, info.channel_id, info.announcement_ts, message)
        return None


class Opened(_Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is not None and info.state is State.OPEN:  # not after it closed (a long Slack outage)
            post_joining(ctx, info.channel_id, sb.opened(info))
        return None


def _summary_message(ctx: SendContext, item: OutboxItem):
    with session_scope(ctx.engine) as session:
        result = sessions.summary(session, team_id=item.team_id, session_id=item.payload["session_id"], now=utcnow())
    return result, (sb.summary(result, now=utcnow()) if result else None)


class Summary(_Sender):
    def send(self, ctx, item):
        result, message = _summary_message(ctx, item)
        if result is None or result.session.summary_ts:
            return None
        ts = post_joining(ctx, result.session.channel_id, message)["ts"]
        return lambda session: sessions.set_post(
            session, team_id=item.team_id, session_id=result.session.id, summary_ts=ts
        )


class SummaryRefresh(_Sender):
    def send(self, ctx, item):
        result, message = _summary_message(ctx, item)
        if result is not None:
            update_message(ctx, result.session.channel_id, result.session.summary_ts, message)
        return None


class ExpertList(_Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            result = sessions.summary(
                session, team_id=item.team_id, session_id=item.payload["session_id"], now=utcnow()
            )
        if result is None or not result.open:
            return None
        links = {q.id: permalink(ctx, result.session.channel_id, q.message_ts) for q in result.open}
        message = sb.expert_list(result.session, result.open, links, last_call=item.payload.get("last_call", False))
        ctx.client.chat_postMessage(channel=item.payload["expert_id"], **message)
        return None


class Missed(_Sender):
    def send(self, ctx, item):
        info = _session(ctx, item)
        if info is not None:
            ctx.client.chat_postMessage(channel=info.organiser_id, **sb.missed(info))
        return None


class AckReaction(_Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
        if question is None:
            return None
        try:
            ctx.client.reactions_add(channel=question.channel_id, timestamp=question.message_ts, name="eyes")
        except SlackApiError as exc:
            if (exc.response.data or {}).get("error") not in (
                "already_reacted",
                "message_not_found",
                "no_item_specified",
            ):
                raise
        return None


class DeferredNote(_Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
        if question is not None:
            message = sb.deferred_note(item.payload["expert_id"], date.fromisoformat(item.payload["due"]))
            ctx.client.chat_postMessage(channel=question.channel_id, thread_ts=question.message_ts, **message)
        return None


class Reminder(_Sender):
    def send(self, ctx, item):
        from storage.models import Deferral

        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
            deferral = session.get(Deferral, item.payload["question_id"])
        if question is None or deferral is None:
            return None
        link = permalink(ctx, question.channel_id, question.message_ts)
        ctx.client.chat_postMessage(channel=deferral.expert_id, **sb.reminder(question.text, link, deferral.due_date))
        return None


SENDERS = {
    kinds.OUTBOX_SESSION_ANNOUNCE: Announce(),
    kinds.OUTBOX_SESSION_ANNOUNCE_UPDATE: AnnounceUpdate(),
    kinds.OUTBOX_SESSION_OPENED: Opened(),
    kinds.OUTBOX_SESSION_SUMMARY: Summary(),
    kinds.OUTBOX_SESSION_SUMMARY_REFRESH: SummaryRefresh(),
    kinds.OUTBOX_SESSION_EXPERT_LIST: ExpertList(),
    kinds.OUTBOX_SESSION_MISSED: Missed(),
    kinds.OUTBOX_SESSION_ACK: AckReaction(),
    kinds.OUTBOX_SESSION_DEFERRED_NOTE: DeferredNote(),
    kinds.OUTBOX_SESSION_REMINDER: Reminder(),
}


def register(app, deps: Deps) -> None:
    @app.view(ids.SESSION_MODAL)
    def schedule_form(ack, body, view, context, client):
        handle_schedule_form(deps, ack, body, view, context, client)

    @app.action(ids.SESSION_DEFER)
    def defer(ack, body, context, client, respond):
        with said_on_failure(respond):
            handle_defer(deps, ack, body, context, client, respond)
