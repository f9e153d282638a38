"""The Mentor Center's buttons: those that open a form, and those in direct messages (withdraw a
request, choose a candidate, accept or decline, the halfway check-in). Each is acked first,
makes one change in core, queues its messages (notify.mentoring) and answers in place."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App, BoltContext

from bot import ids
from bot.ackbudget import SlackSlow, after_ack
from bot.deps import Deps
from bot.edge import not_valid, parse_id, said_on_failure, team_of, tell_not_valid
from bot.mentor import blocks, modals
from bot.mentor.views import center_view, find_view, not_in_time, profile_of, volunteer_view
from bot.text import mention
from core import mentoring
from core.clock import utcnow
from core.mentoring import AnswerOutcome, ChooseOutcome, MentorshipState, Met
from notify import mentoring as notify
from storage.db import session_scope

log = logging.getLogger(__name__)

MENTOR_INSTEAD = "`/mentor` shows where your requests and mentorships stand."


def _action(body: dict) -> dict:
    return (body.get("actions") or [{}])[0]


def handle_open_form(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    """A button that opens a form: pushed over the Mentor Center, or opened from a message (the
    Volunteer button on a call for volunteers). Its trigger_id expires with the 3 seconds, so the
    form opens before the ack, within its budget; when Slack is too slow, a click on a message is
    told so through the message's response_url (a modal has none)."""
    ack()
    action, team_id, user_id = _action(body), team_of(context, body), body["user"]["id"]
    kind = action.get("action_id")
    try:
        with deps.ack_budget.client(client) as quick:
            if kind == ids.MENTOR_OPEN_VOLUNTEER:
                value = action.get("value")
                view = volunteer_view(deps, quick, team_id, user_id, parse_id(value))
            elif kind == ids.MENTOR_OPEN_FIND:
                view = find_view(deps, quick, team_id, user_id)
            elif kind == ids.MENTOR_OPEN_PROFILE:
                view = modals.profile_form(profile_of(deps, quick, team_id, user_id))
            else:  # MENTOR_OPEN_WRAP_UP, from a direct message
                mentorship_id = parse_id(action.get("value"))
                if mentorship_id is None:
                    tell_not_valid(respond, instead=MENTOR_INSTEAD)
                    return
                with session_scope(deps.engine) as session:
                    info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
                if info is None or user_id not in (info.mentor_id, info.protege_id):
                    return
                view = modals.wrap_up_form(info, user_id)
            if (body.get("view") or {}).get("type") == "modal":
                quick.views_push(trigger_id=body["trigger_id"], view=view)
            else:
                quick.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackSlow as exc:
        log.warning("/mentor: Slack did not open a form in time (%s)", exc)
        if body.get("response_url"):
            text = not_in_time("the form", "Please click the button again in a moment.")
            after_ack(context, lambda: respond(response_type="ephemeral", replace_original=False, text=text))


def handle_withdraw(deps: Deps, ack: Ack, body: dict, context: BoltContext, client) -> None:
    ack()
    team_id, user_id = team_of(context, body), body["user"]["id"]
    view_id = (body.get("view") or {}).get("id")
    request_id = parse_id(_action(body).get("value"))
    if request_id is None and view_id:  # the Mentor Center shown again, as it stands, saying so
        log.warning("/mentor: a Withdraw button carried a value it should not have")
        notice = not_valid("button", "Here is where your requests stand now.")
        after_ack(
            context,
            lambda: client.views_update(
                view_id=view_id, view=center_view(deps, client, team_id, user_id, notice=notice)
            ),
        )
        return
    if request_id is None or not view_id:  # not from the Mentor Center: nothing to show it in
        log.warning("/mentor: a Withdraw button came from outside the Mentor Center")
        return
    with session_scope(deps.engine) as session:
        if mentoring.withdraw_request(
            session, team_id=team_id, request_id=request_id, protege_id=user_id, now=utcnow()
        ):
            notify.after_withdrawal(session, team_id, user_id, request_id)
    deps.wake_outbox()
    # The Mentor Center shows the change after the ack (it needs Slack, and no trigger_id).
    after_ack(context, lambda: client.views_update(view_id=view_id, view=center_view(deps, client, team_id, user_id)))


def handle_choose(deps: Deps, ack: Ack, body: dict, context: BoltContext, respond) -> None:
    ack()
    team_id, user_id = team_of(context, body), body["user"]["id"]
    parts = str(_action(body).get("value") or "").split(":", 2)  # request:round:mentor
    request_id, round_, mentor_id = (parse_id(parts[0]), *parts[1:]) if len(parts) == 3 else (None, "", "")
    if request_id is None or not mentor_id:
        tell_not_valid(respond, instead=MENTOR_INSTEAD)
        return
    with session_scope(deps.engine) as session:
        chosen = mentoring.choose(
            session, team_id=team_id, request_id=request_id, protege_id=user_id, mentor_id=mentor_id, now=utcnow()
        )
        notify.after_choice(
            session,
            team_id,
            request_id=request_id,
            round_=round_,
            protege_id=user_id,
            mentor_id=mentor_id,
            chosen=chosen,
        )
        if chosen.outcome is ChooseOutcome.ASKED:
            info = mentoring.mentorship(session, team_id=team_id, mentorship_id=chosen.mentorship_id)
            # The list clicked on becomes the word that the mentor was asked: where it is, to
            # bring it up to date once they answer.
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
            ts = (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")
            if channel and ts:
                mentoring.set_protege_note(
                    session, team_id=team_id, mentorship_id=chosen.mentorship_id, channel_id=channel, ts=ts
                )
    if chosen.outcome is ChooseOutcome.ASKED:
        respond(**blocks.answered(blocks.asked(mentor_id, info.answer_by)["text"]))
    elif chosen.outcome is ChooseOutcome.GONE:
        respond(
            **blocks.answered(
                "That colleague can no longer take a protégé. Knowhow is looking again; a new message follows."
            )
        )
    else:
        respond(**blocks.answered("This list is out of date. `/mentor` shows where your request stands."))
    deps.wake_outbox()


def handle_answer(deps: Deps, ack: Ack, body: dict, context: BoltContext, respond) -> None:
    ack()
    team_id, user_id = team_of(context, body), body["user"]["id"]
    action = _action(body)
    mentorship_id = parse_id(action.get("value"))
    if mentorship_id is None:
        tell_not_valid(respond, instead=MENTOR_INSTEAD)
        return
    accept = action.get("action_id") == ids.MENTOR_ACCEPT
    with session_scope(deps.engine) as session:
        done = mentoring.answer(
            session, team_id=team_id, mentorship_id=mentorship_id, mentor_id=user_id, accept=accept, now=utcnow()
        )
        notify.after_answer(session, team_id, mentorship_id, done)
        info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
    if done.outcome is AnswerOutcome.ACCEPTED:
        respond(
            **blocks.answered(
                f"You accepted. Knowhow is opening a conversation with you and {mention(info.protege_id)} to introduce you."
            )
        )
    elif done.outcome is AnswerOutcome.DECLINED:
        respond(
            **blocks.answered(
                "You declined. The request goes back to its author to choose someone else; no reason is given."
            )
        )
    else:
        respond(
            **blocks.answered(
                "This request has moved on (it was answered, withdrawn or ran out of time). Nothing more is needed."
            )
        )
    deps.wake_outbox()


def handle_met(deps: Deps, ack: Ack, body: dict, context: BoltContext, respond) -> None:
    ack()
    team_id, user_id = team_of(context, body), body["user"]["id"]
    action = _action(body)
    met = action.get("action_id", "")[len(ids.MENTOR_MET) + 1 :]
    mentorship_id = parse_id(action.get("value"))
    if mentorship_id is None:
        tell_not_valid(respond, instead=MENTOR_INSTEAD)
        return
    with session_scope(deps.engine) as session:
        before = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
        state = mentoring.check_in(
            session, team_id=team_id, mentorship_id=mentorship_id, user_id=user_id, met=met, now=utcnow()
        )
        notify.after_ending(
            session,
            team_id,
            mentorship_id,
            by=user_id,
            state=state,
            ends_as=MentorshipState.STOPPED,
            # Only this person's "we've stopped" tells the other; a stop that raced it has told them.
            was=before.state if before and met == Met.STOPPED else None,
        )
    text = {
        Met.YES: "Good to hear. Knowhow checks in again at the end.",
        Met.NOT_YET: "Thanks. There is still time: a short first meeting is a good start.",
        Met.STOPPED: "The mentorship has ended for both of you. Thank you for trying it; `/mentor` is there when you want another.",
    }
    respond(
        **blocks.answered(
            text.get(met, "Thanks.") if state else "This mentorship is already over. Thank you all the same."
        )
    )
    deps.wake_outbox()


def register(app: App, deps: Deps) -> None:
    def open_form(ack, body, context, client, respond):
        with said_on_failure(respond, "the form"):
            handle_open_form(deps, ack, body, context, client, respond)

    for action_id in (
        ids.MENTOR_OPEN_VOLUNTEER,
        ids.MENTOR_OPEN_FIND,
        ids.MENTOR_OPEN_PROFILE,
        ids.MENTOR_OPEN_WRAP_UP,
    ):
        app.action(action_id)(open_form)

    @app.action(ids.MENTOR_WITHDRAW)
    def withdraw(ack, body, context, client):
        handle_withdraw(deps, ack, body, context, client)

    @app.action(ids.MENTOR_CHOOSE)
    def choose(ack, body, context, respond):
        with said_on_failure(respond):
            handle_choose(deps, ack, body, context, respond)

    def answer(ack, body, context, respond):
        with said_on_failure(respond):
            handle_answer(deps, ack, body, context, respond)

    app.action(ids.MENTOR_ACCEPT)(answer)
    app.action(ids.MENTOR_DECLINE)(answer)

    @app.action(re.compile(f"^{ids.MENTOR_MET}_(yes|not_yet|stopped)$"))
    def met(ack, body, context, respond):
        with said_on_failure(respond):
            handle_met(deps, ack, body, context, respond)
