"""Accepting answers: the button on a question's post, its form, and the "Accept as answer"
message shortcut. The rules (who may, one accepted answer) are in `core.accepting`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import delivery, ids
from bot.ackbudget import SlackSlow, after_ack, briefly
from bot.admins import is_admin, learn_later, with_admin_fallback
from bot.ask import accept_blocks as blocks
from bot.blockkit import form_errors
from bot.deps import Deps
from bot.edge import json_object, not_valid, parse_id, said_on_failure, team_of, tell_not_valid
from core import accepting, asking
from core.accepting import AcceptOutcome
from core.clock import from_slack_ts
from notify import ask as notify_ask
from storage import qa
from storage.db import session_scope

log = logging.getLogger(__name__)


def _private(respond, message: dict) -> None:
    respond(replace_original=False, **message)


def accept_as(
    deps: Deps, client, team_id: str, user_id: str, attempt: Callable[[Session, bool], accepting.Accepted]
) -> accepting.Accepted:
    """Run `attempt(session, is_admin)` and queue the post's update (Slack's admin check only when
    the person is neither the asker nor a topic expert)."""
    queued = False

    def once(admin: bool) -> accepting.Accepted:
        nonlocal queued
        with session_scope(deps.engine) as session:
            result = attempt(session, admin)
            queued = notify_ask.accepted(session, team_id=team_id, accepted=result)
        return result

    result = with_admin_fallback(deps, client, user_id, once, lambda r: r.outcome is AcceptOutcome.NOT_ALLOWED)
    if queued:
        deps.wake_outbox()
    return result


def handle_accept_button(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    """ "Accept an answer" on a question's post: the form listing its answers, for those allowed."""
    ack()
    question_id = parse_id((body.get("actions") or [{}])[0].get("value"))
    if question_id is None:
        tell_not_valid(respond, instead="Use “Accept an answer” on the question's post in its channel.")
        return
    team_id, user_id = team_of(context, body), body["user"]["id"]
    with session_scope(deps.engine) as session:
        team_id = asking.question_workspace(session, team_id=team_id, question_id=question_id)
        question = qa.get_question(session, team_id=team_id, question_id=question_id)
        if question is None or question.status != "posted":
            _private(respond, blocks.accept_result("not_a_question"))
            return
        role = accepting.role_of(session, question, user_id)
        answers = [
            (a.message_ts, a.author_id, a.text, a.accepted_at is not None)
            for a in qa.list_answers(session, team_id=team_id, question_id=question_id)
        ]
        question_text = question.text
    # The form's trigger_id expires with the 3 seconds: Slack's admin check (only for someone who
    # is neither the asker nor a topic expert) and the form are before the ack, within its budget.
    try:
        with deps.ack_budget.client(client) as quick:
            if role is None:
                with briefly(quick):
                    admin = is_admin(deps, quick, user_id)
                if not admin:
                    _private(respond, blocks.accept_result("not_allowed"))
                    return
            if not answers:
                _private(respond, blocks.accept_result("no_answers"))
                return
            quick.views_open(
                trigger_id=body["trigger_id"],
                view=blocks.accept_modal(question_id=question_id, question_text=question_text, answers=answers),
            )
    except SlackSlow as exc:
        log.warning("accept: Slack did not open the form in time (%s)", exc)
        after_ack(context, lambda: _private(respond, blocks.accept_result("slow")))
        if role is None:  # Slack's answer is remembered for the next click
            learn_later(deps, context, client, user_id)  # remembered for the next try
    except SlackApiError as exc:
        log.warning("accept: the form could not be opened (%s)", delivery.error_of(exc))
        _private(respond, blocks.accept_result("failed"))


def handle_accept_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext, client) -> None:
    values = (view.get("state") or {}).get("values") or {}
    choice = (values.get(ids.ACCEPT_MODAL_ANSWER) or {}).get(ids.ACCEPT_MODAL_ANSWER) or {}
    question_id = parse_id(json_object(view.get("private_metadata")).get("q"))
    if question_id is None:
        instead = "Close it, and use “Accept an answer” on the question's post again."
        ack(**form_errors({ids.ACCEPT_MODAL_ANSWER: not_valid("form", instead)}))
        return
    try:
        answer_ts = str(choice["selected_option"]["value"])
    except (KeyError, TypeError, ValueError):
        ack(**form_errors({ids.ACCEPT_MODAL_ANSWER: "Choose the answer that solved it."}))
        return
    team_id, user_id = team_of(context, body), body["user"]["id"]
    try:
        with session_scope(deps.engine) as session:  # a question of another workspace of the organisation
            team_id = asking.question_workspace(session, team_id=team_id, question_id=question_id)
        with deps.ack_budget.client(client) as quick:  # Slack's admin check, if needed, before the ack
            result = accept_as(
                deps,
                quick,
                team_id,
                user_id,
                lambda session, admin: accepting.accept(
                    session,
                    team_id=team_id,
                    question_id=question_id,
                    answer_ts=answer_ts,
                    user_id=user_id,
                    is_admin=admin,
                ),
            )
    except SlackSlow as exc:
        log.warning("accept: Slack did not say in time whether %s is an admin (%s)", user_id, exc)
        ack(**form_errors({ids.ACCEPT_MODAL_ANSWER: blocks.ACCEPT_MESSAGES["slow_form"]}))
        learn_later(deps, context, client, user_id)  # remembered for the next try
        return
    except Exception:
        log.exception("accept: could not record an accepted answer")
        ack(**form_errors({ids.ACCEPT_MODAL_ANSWER: blocks.ACCEPT_MESSAGES["failed"]}))
        return
    if result.outcome in (AcceptOutcome.ACCEPTED, AcceptOutcome.ALREADY):
        ack(response_action="update", view=blocks.accept_result_view(result.outcome.value))  # as the shortcut says
    else:
        ack(**form_errors({ids.ACCEPT_MODAL_ANSWER: blocks.ACCEPT_MESSAGES[result.outcome.value]}))


def handle_accept_shortcut(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    """The "Accept as answer" message shortcut on a reply in a question's thread. Its outcome is
    told through the response_url; when Slack's admin check does not come in time, it is decided
    after the ack."""
    ack()
    message = body.get("message") or {}
    channel_id = (body.get("channel") or {}).get("id")
    user_id = body["user"]["id"]

    def decide(client) -> str:
        team_id = team_of(context, body)
        thread_ts = message.get("thread_ts")
        if channel_id and thread_ts:  # a shared channel: the thread is its question's workspace's
            with session_scope(deps.engine) as session:
                team_id = asking.thread_workspace(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
        result = accept_as(
            deps,
            client,
            team_id,
            user_id,
            lambda session, admin: _accept_message(session, team_id, channel_id, message, body, user_id, admin),
        )
        return result.outcome.value

    def told(decided: Callable[[], str]) -> None:
        try:
            outcome = decided()
        except Exception:
            log.exception("accept: could not record an accepted answer")
            outcome = "failed"
        respond(**blocks.accept_result(outcome))

    try:
        with deps.ack_budget.client(client) as quick:
            outcome = decide(quick)
    except SlackSlow as exc:
        log.info("accept: Slack is slow (%s): decided after the ack", exc)
        after_ack(context, lambda: told(lambda: decide(client)))
        return
    except Exception:
        log.exception("accept: could not record an accepted answer")
        outcome = "failed"
    respond(**blocks.accept_result(outcome))


def _accept_message(
    session: Session, team_id: str, channel_id: str | None, message: dict, body: dict, user_id: str, admin: bool
) -> accepting.Accepted:
    """Accept the reply the shortcut was used on. Replies are recorded just after their event's
    ack; one accepted moments after it was posted may not be yet, and the shortcut carries the
    reply itself: it is recorded from it first (once: a reply already recorded is left as it is)."""
    message_ts = message.get("ts") or body.get("message_ts")
    thread_ts = message.get("thread_ts")
    if thread_ts and message_ts and thread_ts != message_ts and message.get("user") and not message.get("bot_id"):
        asking.record_reply(
            session,
            team_id=team_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            message_ts=message_ts,
            author_id=message["user"],
            text=message.get("text") or "",
            at=from_slack_ts(message_ts),
        )
    return accepting.accept_by_message(
        session,
        team_id=team_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        message_ts=message_ts,
        user_id=user_id,
        is_admin=admin,
    )


def register(app: App, deps: Deps) -> None:
    @app.action(ids.ASK_ACCEPT_OPEN)
    def accept_button(ack, body, context, client, respond):
        with said_on_failure(respond):
            handle_accept_button(deps, ack, body, context, client, respond)

    @app.view(ids.ACCEPT_MODAL)
    def accept_form(ack, body, view, context, client):
        handle_accept_form(deps, ack, body, view, context, client)

    @app.shortcut(ids.ACCEPT_ANSWER_SHORTCUT)
    def accept_shortcut(ack, body, context, client, respond):
        handle_accept_shortcut(deps, ack, body, context, client, respond)
