"""/ask: the command, its form and its topics picker, and the asker's choice when earlier
questions may already answer theirs. Each parses the payload, calls one rule in `core.asking`,
queues what must be said through `notify.ask` in the same transaction, and acks."""

from __future__ import annotations

import json
import logging
import time
import uuid

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot import delivery, ids
from bot.ackbudget import SlackSlow, after_ack, answer
from bot.admins import is_admin
from bot.ask import blocks, search
from bot.ask.helpchannels import command as help_command
from bot.deps import Deps
from bot.edge import json_object, not_valid, parse_id, team_of, tell_not_valid
from bot.text import escape, unescape
from core import asking
from core import topics as topic_rules
from notify import kinds, queue_work
from storage import qa, workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)


def qa_channel(deps: Deps, team_id: str) -> str | None:
    """Where this workspace's questions go: its own (`/ask channel`), else KNOWHOW_QA_CHANNEL."""
    with session_scope(deps.engine) as session:
        return workspaces.qa_channel(session, team_id=team_id, default=deps.settings.qa_channel)


def handle_ask_command(deps: Deps, ack: Ack, command: dict, context: BoltContext, client, respond) -> None:
    parsed = asking.parse_ask(command.get("text"))
    if parsed.intent is asking.AskIntent.FORM:
        open_ask_form(deps, ack, command, client)
        return
    team_id = team_of(context, command)
    if parsed.intent is asking.AskIntent.HELP:
        ack(**blocks.ask_help(qa_channel(deps, team_id)))
        return
    if parsed.intent is asking.AskIntent.CHANNEL:
        # Who is an admin is Slack's to say: when it is slow, this is done after the ack.
        answer(deps.ack_budget, ack, respond, context, client, lambda c: set_qa_channel(deps, command, team_id, c))
        return
    if parsed.intent is asking.AskIntent.HELP_CHANNELS:
        help_command.handle_channels(deps, ack, command, context, client, respond, team_id, parsed.text)
        return
    if parsed.intent is asking.AskIntent.HELP_SUGGESTIONS:
        help_command.handle_suggestions(deps, ack, command, team_id, parsed.text)
        return
    if parsed.intent is asking.AskIntent.SEARCH:
        ack(**search.search_page(deps, team_id, parsed.text, offset=0, channel_id=command.get("channel_id")))
        return
    if len(parsed.text) > asking.MAX_QUESTION_CHARS:  # cheap and local: said at once
        ack(**blocks.ask_too_long(asking.MAX_QUESTION_CHARS, parsed.text))
        return
    # The ack path's one write: the question as asked. Looking for earlier answers, then holding
    # or posting it, happens after the ack (work.TriageQuestion), and the asker hears the outcome
    # through the response_url, replacing this note.
    request_id = command.get("trigger_id")
    try:
        queue_work(
            deps.engine,
            team_id,
            f"ask:{request_id or uuid.uuid4().hex}",
            kinds.WORK_ASK,
            asker_id=command["user_id"],
            text=parsed.text,
            channel_id=command.get("channel_id"),
            request_id=request_id,
            response_url=command.get("response_url"),
            requested_at=time.time(),
        )
    except Exception:
        log.exception("/ask: could not store a question")
        ack(**blocks.ask_not_saved(parsed.text))
        return
    ack(**blocks.ask_looking())
    deps.wake_work()


def set_qa_channel(deps: Deps, command: dict, team_id: str, client) -> dict:
    """`/ask channel`, run by an admin in the channel where the workspace's questions should go."""
    user_id, channel_id = command["user_id"], command.get("channel_id") or ""
    if not is_admin(deps, client, user_id):
        return blocks.qa_channel_admins_only()
    if not channel_id.startswith(("C", "G")):
        return blocks.qa_channel_not_here()
    with session_scope(deps.engine) as session:
        workspaces.set_qa_channel(session, team_id=team_id, channel_id=channel_id, by=user_id)
    log.info("/ask: %s set the Q&A channel of %s to %s", user_id, team_id, channel_id)
    return blocks.qa_channel_set(channel_id)


def open_ask_form(deps: Deps, ack: Ack, command: dict, client) -> None:
    """`/ask` with nothing after it: the form (question, details, topics, anonymously). Its
    trigger_id expires with the 3 seconds, so it opens before the ack, within the ack's budget."""
    try:
        with deps.ack_budget.client(client) as quick:
            quick.views_open(trigger_id=command["trigger_id"], view=blocks.ask_modal(**_form_origin(command)))
    except SlackSlow as exc:
        log.warning("/ask: Slack did not open the form in time (%s)", exc)
        ack(**blocks.ask_form_not_in_time())
        return
    except SlackApiError as exc:
        log.warning("/ask: the form could not be opened (%s)", delivery.error_of(exc))
        ack(
            response_type="ephemeral",
            text="Sorry, the form could not open. Type your question after the command instead: `/ask How do I…?`",
        )
        return
    ack()


def _form_origin(command: dict) -> dict:
    """Where a form opened by `/ask` came from: its conversation, and the command's response_url
    (the asker hears there once their question is posted, as after `/ask <text>`)."""
    return dict(
        channel_id=command.get("channel_id"), response_url=command.get("response_url"), requested_at=time.time()
    )


def handle_topic_options(deps: Deps, ack: Ack, body: dict, context: BoltContext) -> None:
    """The topics picker: existing topics matching what is typed, plus it as a new topic."""
    typed = str(body.get("value") or "")
    team_id = team_of(context, body)
    new: str | None = None
    try:
        with session_scope(deps.engine) as session:
            names = [t.name for t in topic_rules.suggest(session, team_id=team_id, typed=typed)]
            try:
                existing = (
                    topic_rules.find(session, team_id=team_id, raw=typed, organisation=True) if typed.strip() else None
                )
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
    origin = json_object(view.get("private_metadata"))
    asked_in = origin.get("c")
    # The question shown before posting that this form edits, if it does.
    replaces = parse_id(origin["h"]) if origin.get("h") else None
    if origin.get("h") and replaces is None:
        instead = "Close it, and run `/ask` again with your question."
        ack(**blocks.ask_modal_errors({ids.ASK_MODAL_QUESTION: not_valid("form", instead)}))
        return
    team_id, user_id = team_of(context, body), body["user"]["id"]
    # Checked before the ack, as long as the checks are cheap and local: a problem is shown on the
    # form, which stays open with everything typed. The rest (topics, earlier answers, holding or
    # posting) happens after the ack (work.TriageForm); the form says "looking…" until then.
    refused = asking.check_question(text=text, details=details, topics=topics, qa_channel_id=qa_channel(deps, team_id))
    if refused is not None:
        ack(**blocks.ask_modal_errors(_form_errors(refused)))
        return
    # One question per submission, whatever Slack retries. A form that edits a question shown
    # before posting may be that question's own view again (views.update keeps its id).
    request_id = f"view:{view['id']}" + (f":edit:{replaces}" if replaces else "")
    try:
        queue_work(
            deps.engine,
            team_id,
            request_id,
            kinds.WORK_ASK_FORM,
            asker_id=user_id,
            text=text,
            details=details,
            topics=topics,
            anonymous=anonymous,
            asked_in=asked_in,
            view_id=view["id"],
            request_id=request_id,
            response_url=origin.get("r"),
            requested_at=origin.get("t"),
            replace_original=origin.get("o", 1) != 0,
            replaces=replaces,
        )
    except Exception:
        log.exception("/ask: could not store a question from the form")
        ack(
            **blocks.ask_modal_errors(
                {ids.ASK_MODAL_QUESTION: "Sorry, this could not be saved just now. Please try again in a minute."}
            )
        )
        return
    ack(response_action="update", view=blocks.working_view())
    deps.wake_work()


def _form_errors(refused: asking.AskRefused) -> dict[str, str]:
    if refused.reason is asking.AskRefusal.NO_CHANNEL:
        return {
            ids.ASK_MODAL_QUESTION: (
                "Questions can't be posted yet: a Knowhow admin must run /ask channel in the channel they should go to."
            )
        }
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


def handle_held_choice(deps: Deps, ack: Ack, body: dict, context: BoltContext, respond) -> None:
    """ "This answers it", "Post my question anyway" (or "Post it") or "Cancel", in the private
    message or in the form: stored, acked, and applied after the ack (work.DecideHeld)."""
    action = (body.get("actions") or [{}])[0]
    value = json_object(action.get("value"))
    question_id = parse_id(value.get("q"))
    answered_by = parse_id(value.get("by")) if value.get("by") is not None else None
    in_view = (body.get("container") or {}).get("type") == "view"
    if question_id is None or (value.get("by") is not None and answered_by is None):
        ack()
        if in_view:  # a form, which has no response_url: it stays as it is
            log.warning("/ask: a suggestion button in a form carried a value it should not have")
        else:
            tell_not_valid(respond, instead="Run `/ask` again with your question.")
        return
    form = _view_origin(body) if in_view else None
    try:
        queue_work(
            deps.engine,
            team_of(context, body),
            f"held:{question_id}:{body.get('trigger_id') or action.get('action_ts')}",
            kinds.WORK_HELD_CHOICE,
            question_id=question_id,
            answered_by=answered_by,
            user_id=body["user"]["id"],
            view_id=body["view"]["id"] if in_view else None,
            response_url=None if in_view else body.get("response_url"),
            requested_at=time.time(),
            withdraw=action.get("action_id") == ids.ASK_CANCEL_HELD,
            form=form,
        )
    except Exception:
        ack()
        log.exception("/ask: could not store a choice on a held question")
        if not in_view:  # said privately; the choice can be made again
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="Sorry, your choice could not be saved just now. Please try again in a minute.",
            )
        return
    ack()
    deps.wake_work()


def _view_origin(body: dict) -> dict:
    """Where the /ask form shown in this view came from (`notify.ask.form_answered`'s `form`)."""
    try:
        return json.loads((body.get("view") or {}).get("private_metadata") or "{}").get("form") or {}
    except (ValueError, AttributeError):
        return {}


def handle_edit_held(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    """ "Edit it in the form" on a question shown before posting: the /ask form, prefilled with it
    (`core.asking.form_boxes`). Sending the form asks it again and withdraws this one; until then
    it stays as it was, its choices still open."""
    ack()
    question_id = parse_id(json_object((body.get("actions") or [{}])[0].get("value")).get("q"))
    in_view = (body.get("container") or {}).get("type") == "view"
    if question_id is None:
        if in_view:
            log.warning("/ask: an edit button in a form carried a value it should not have")
        else:
            tell_not_valid(respond, instead="Run `/ask` again with your question.")
        return
    with session_scope(deps.engine) as session:
        question = qa.get_question(session, team_id=team_of(context, body), question_id=question_id)
    if question is None or question.asker_id != body["user"]["id"]:
        message = blocks.held_not_yours()
    elif question.status == "expired":  # nobody chose in a week: not posted, and how to ask again
        message = blocks.held_expired(question.text)
    elif question.status != "held":
        message = blocks.held_already_decided()
    else:
        message = None
    boxes = asking.form_boxes(unescape(question.text), unescape(question.details or "")) if message is None else None
    if message is None and boxes is None:
        message = blocks.held_too_long_for_form()
    if message is not None:
        if not in_view:
            respond(replace_original=False, **message)
        return
    if in_view:  # the form it was asked in: its origin, kept in the view
        origin = _view_origin(body)
        form = dict(
            channel_id=origin.get("asked_in"),
            response_url=origin.get("response_url"),
            requested_at=origin.get("requested_at"),
            replace_original=origin.get("replace_original", True),
        )
    else:  # the private message: once posted, the confirmation replaces it
        form = dict(
            channel_id=question.asked_in_channel_id,
            response_url=body.get("response_url"),
            requested_at=time.time(),
            replace_original=True,
        )
    view = blocks.ask_modal(**form, question=boxes[0], details=boxes[1], replaces=question.id)

    def failed() -> None:
        if not in_view:  # the question stays as it was: its choices are still there
            respond(replace_original=False, **blocks.edit_form_failed())

    try:  # the trigger_id expires with the 3 seconds: before the ack, within its budget
        with deps.ack_budget.client(client) as quick:
            if in_view:
                quick.views_update(view_id=body["view"]["id"], view=view)
            else:
                quick.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackSlow as exc:
        log.warning("/ask: Slack did not open the form to edit a question in time (%s)", exc)
        after_ack(context, failed)
    except SlackApiError as exc:
        log.warning("/ask: the form to edit a question could not be opened (%s)", delivery.error_of(exc))
        failed()


def register(app: App, deps: Deps) -> None:
    @app.command(ids.ASK_COMMAND)
    def ask_command(ack, command, context, client, respond):
        handle_ask_command(deps, ack, command, context, client, respond)

    @app.options(ids.ASK_MODAL_TOPICS)
    def topic_options(ack, body, context):
        handle_topic_options(deps, ack, body, context)

    @app.view(ids.ASK_MODAL)
    def ask_form(ack, body, view, context):
        handle_ask_form(deps, ack, body, view, context)

    for action_id in (ids.ASK_THIS_ANSWERS_IT, ids.ASK_POST_ANYWAY, ids.ASK_CANCEL_HELD):

        @app.action(action_id)
        def held_choice(ack, body, context, respond):
            handle_held_choice(deps, ack, body, context, respond)

    @app.action(ids.ASK_EDIT_HELD)
    def edit_held(ack, body, context, client, respond):
        handle_edit_held(deps, ack, body, context, client, respond)
