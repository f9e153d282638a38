"""/ask: the command, its form and its topics picker, and the asker's choice when earlier
questions may already answer theirs. Each parses the payload, calls one rule in `core.asking`,
queues what must be said through `notify.ask` in the same transaction, and acks."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot import delivery, ids
from bot.ask import blocks, search
from bot.deps import Deps
from bot.edge import said_on_failure, team_of
from bot.text import escape
from core import asking
from core import topics as topic_rules
from notify import ask as notify_ask
from notify import home
from storage import qa
from storage.db import session_scope

log = logging.getLogger(__name__)


def handle_ask_command(deps: Deps, ack: Ack, command: dict, context: BoltContext, client) -> None:
    parsed = asking.parse_ask(command.get("text"))
    qa_channel = deps.settings.qa_channel
    if parsed.intent is asking.AskIntent.FORM:
        open_ask_form(deps, ack, command, client)
        return
    if parsed.intent is asking.AskIntent.HELP:
        ack(**blocks.ask_help(qa_channel))
        return
    team_id = team_of(context, command)
    if parsed.intent is asking.AskIntent.SEARCH:
        ack(**search.search_page(deps, team_id, parsed.text, offset=0))
        return
    try:
        with session_scope(deps.engine) as session:
            outcome = asking.ask_in_channel(
                session,
                team_id=team_id,
                asker_id=command["user_id"],
                text=parsed.text,
                qa_channel_id=qa_channel,
                channel_id=command.get("channel_id"),
                request_id=command.get("trigger_id"),
            )
            if isinstance(outcome, asking.QuestionAsked) and outcome.new and not outcome.held:
                notify_ask.queue_post(
                    session, team_id=team_id, question_id=outcome.question_id, response_url=command.get("response_url")
                )
    except Exception:
        log.exception("/ask: could not store a question")
        ack(**blocks.ask_not_saved(parsed.text))
        return
    if isinstance(outcome, asking.AskRefused):
        if outcome.reason is asking.AskRefusal.NO_CHANNEL:
            ack(**blocks.ask_no_channel())
        elif outcome.reason is asking.AskRefusal.TOO_LONG:
            ack(**blocks.ask_too_long(outcome.limit, parsed.text))
        else:  # EMPTY and BAD_TOPIC come only from the form
            ack(**blocks.ask_help(qa_channel))
        return
    if outcome.held:
        ack(**blocks.suggestions_message(question_id=outcome.question_id, lessons=outcome.suggestions))
        return
    ack(**blocks.ask_received(outcome.channel_id))
    deps.wake_outbox()


def open_ask_form(deps: Deps, ack: Ack, command: dict, client) -> None:
    """`/ask` with nothing after it: the form (question, details, topics, anonymously)."""
    try:
        client.views_open(trigger_id=command["trigger_id"], view=blocks.ask_modal(channel_id=command.get("channel_id")))
    except SlackApiError as exc:
        log.warning("/ask: the form could not be opened (%s)", delivery.error_of(exc))
        ack(
            response_type="ephemeral",
            text="Sorry, the form could not open. Type your question after the command instead: `/ask How do I…?`",
        )
        return
    ack()


def handle_topic_options(deps: Deps, ack: Ack, body: dict, context: BoltContext) -> None:
    """The topics picker: existing topics matching what is typed, plus it as a new topic."""
    typed = str(body.get("value") or "")
    team_id = team_of(context, body)
    new: str | None = None
    try:
        with session_scope(deps.engine) as session:
            names = [t.name for t in topic_rules.suggest(session, team_id=team_id, typed=typed)]
            try:
                existing = topic_rules.find(session, team_id=team_id, raw=typed) if typed.strip() else None
                if existing is None and typed.strip():
                    new = topic_rules.normalise(typed).name  # not a spelling of an existing topic
                elif existing is not None and existing.name not in names:
                    names.insert(0, existing.name)  # "runbooks" typed: offer the existing "Runbook"
            except topic_rules.TopicError:
                pass  # nothing a topic can be made of
    except Exception:
        log.exception("/ask: could not list topics")
        names = []
    ack(**blocks.topic_options(names, new))


def _value(values: dict, block_id: str) -> dict:
    return (values.get(block_id) or {}).get(block_id) or {}


def handle_ask_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """The form was submitted. Problems are shown on the form itself, which stays open with
    everything the person typed."""
    values = (view.get("state") or {}).get("values") or {}
    # Form values arrive as typed; stored text is Slack mrkdwn, as messages and commands send it.
    text = escape(_value(values, ids.ASK_MODAL_QUESTION).get("value") or "")
    details = escape(_value(values, ids.ASK_MODAL_DETAILS).get("value") or "")
    chosen = [o.get("value", "") for o in _value(values, ids.ASK_MODAL_TOPICS).get("selected_options") or []]
    topics = [v.split(":", 1)[1] if v.startswith((blocks.NEW_TOPIC_PREFIX, blocks.TOPIC_PREFIX)) else v for v in chosen]
    anonymous = bool(_value(values, ids.ASK_MODAL_ANONYMOUS).get("selected_options"))
    try:
        asked_in = json.loads(view.get("private_metadata") or "{}").get("c")
    except ValueError:
        asked_in = None
    team_id, user_id = team_of(context, body), body["user"]["id"]
    try:
        with session_scope(deps.engine) as session:
            outcome = asking.ask_question(
                session,
                team_id=team_id,
                asker_id=user_id,
                text=text,
                details=details,
                topics=topics,
                anonymous=anonymous,
                qa_channel_id=deps.settings.qa_channel,
                asked_in_channel_id=asked_in,
                request_id=f"view:{view['id']}",
                suggest=True,
            )
            if isinstance(outcome, asking.QuestionAsked) and outcome.new and not outcome.held:
                notify_ask.queue_post(session, team_id=team_id, question_id=outcome.question_id, response_url=None)
    except Exception:
        log.exception("/ask: could not store a question from the form")
        ack(
            **blocks.ask_modal_errors(
                {ids.ASK_MODAL_QUESTION: "Sorry, this could not be saved just now. Please try again in a minute."}
            )
        )
        return
    if isinstance(outcome, asking.AskRefused):
        ack(**blocks.ask_modal_errors(_form_errors(outcome)))
        return
    if outcome.held:
        ack(
            response_action="update",
            view=blocks.suggestions_view(question_id=outcome.question_id, lessons=outcome.suggestions),
        )
        return
    ack()
    deps.wake_outbox()


def _form_errors(refused: asking.AskRefused) -> dict[str, str]:
    if refused.reason is asking.AskRefusal.NO_CHANNEL:
        return {ids.ASK_MODAL_QUESTION: "Questions can't be posted yet: a Knowhow admin must set KNOWHOW_QA_CHANNEL."}
    if refused.reason is asking.AskRefusal.EMPTY:
        return {ids.ASK_MODAL_QUESTION: "Write your question here."}
    if refused.reason is asking.AskRefusal.BAD_TOPIC:
        return {ids.ASK_MODAL_TOPICS: refused.message or "One of these topics can't be used."}
    # TOO_LONG: the limits count stored characters, and `&`, `<`, `>` are stored as entities.
    if refused.field == "question":
        return {
            ids.ASK_MODAL_QUESTION: f"Please keep the question shorter (at most {refused.limit:,} characters, symbols like & and < counting as several)."
        }
    return {
        ids.ASK_MODAL_DETAILS: f"Please keep the details shorter (at most {refused.limit:,} characters, symbols like & and < counting as several)."
    }


def handle_held_choice(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    """ "This answers it" or "Post my question anyway", in the private message or in the form."""
    ack()
    try:
        value = json.loads(body["actions"][0]["value"])
        question_id = int(value["q"])
        answered_by = int(value["by"]) if value.get("by") is not None else None
    except (KeyError, IndexError, TypeError, ValueError):
        log.warning("/ask: a suggestion button carried a value it should not have")
        return
    team_id, user_id = team_of(context, body), body["user"]["id"]
    in_view = (body.get("container") or {}).get("type") == "view"
    with session_scope(deps.engine) as session:
        choice = asking.decide_held(
            session, team_id=team_id, question_id=question_id, user_id=user_id, answered_by=answered_by
        )
        if choice is asking.HeldChoice.POST:
            question = qa.get_question(session, team_id=team_id, question_id=question_id)
            notify_ask.queue_post(
                session,
                team_id=team_id,
                question_id=question_id,
                response_url=None if in_view else body.get("response_url"),
            )
            message = blocks.ask_received(question.channel_id)
        elif choice is asking.HeldChoice.DEFLECTED:
            earlier = qa.get_question(session, team_id=team_id, question_id=answered_by)
            message = blocks.deflected(permalink=earlier.permalink)
            home.queue_refresh(session, team_id, user_id)  # their Home shows it answered by the earlier one
        elif choice is asking.HeldChoice.NOT_YOURS:
            message = blocks.held_not_yours()
        else:
            message = blocks.held_already_decided()
    if in_view:
        client.views_update(view_id=body["view"]["id"], view=blocks.notice_view("Ask your colleagues", message["text"]))
    else:
        respond(replace_original=choice is not asking.HeldChoice.NOT_YOURS, **message)
    if choice is asking.HeldChoice.POST:
        deps.wake_outbox()


def register(app: App, deps: Deps) -> None:
    @app.command(ids.ASK_COMMAND)
    def ask_command(ack, command, context, client):
        handle_ask_command(deps, ack, command, context, client)

    @app.options(ids.ASK_MODAL_TOPICS)
    def topic_options(ack, body, context):
        handle_topic_options(deps, ack, body, context)

    @app.view(ids.ASK_MODAL)
    def ask_form(ack, body, view, context):
        handle_ask_form(deps, ack, body, view, context)

    for action_id in (ids.ASK_THIS_ANSWERS_IT, ids.ASK_POST_ANYWAY):

        @app.action(action_id)
        def held_choice(ack, body, context, client, respond):
            with said_on_failure(respond):
                handle_held_choice(deps, ack, body, context, client, respond)
