""" "Save as a lesson": the message shortcut, the button Knowhow offers it with (ids.LESSON_SAVE_OFFER,
value {"c": channel, "t": thread ts, "a": answer ts or null}) and the form both open. The rules are
core.saving's.

Opening the form: its trigger_id expires with the 3 seconds, so the thread is read (one
`conversations.replies`, within a part of the ack's budget) and the form opened before the ack.
When Slack will not let Knowhow read the thread (a conversation it is not in: a DM between other
people, a private channel it was not invited to) or is slow, the form holds what the shortcut
itself carried: the message it was used on. Submitting: one transaction stores the lesson (indexed
for search in it) and queues what is left to read from Slack (notify.lessons)."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot import delivery, ids
from bot.ackbudget import SlackSlow, after_ack, briefly
from bot.ask.blocks import NEW_TOPIC_PREFIX, TOPIC_PREFIX
from bot.blockkit import form_errors
from bot.deps import Deps
from bot.edge import team_of
from bot.lessons import blocks
from bot.lessons.senders import read_thread, thread_messages
from bot.text import from_form
from core import saving
from core.saving import Conversation, SaveOutcome
from notify import lessons as notify_lessons
from storage.db import session_scope

log = logging.getLogger(__name__)


def is_direct(channel: dict) -> bool:
    """Is the conversation a DM or a group DM? (A shortcut's `channel` names a DM "directmessage",
    a group DM "mpdm-…"; a DM's id starts with D.)"""
    channel_id, name = str(channel.get("id") or ""), str(channel.get("name") or "")
    return channel_id.startswith("D") or name == "directmessage" or name.startswith("mpdm-")


def _private(respond, message: dict) -> None:
    respond(replace_original=False, **message)


def open_form(
    deps: Deps,
    context: BoltContext,
    client,
    respond,
    *,
    body: dict,
    channel_id: str,
    thread_ts: str,
    answer_ts: str | None,
    direct: bool,
    seen: list[dict],
) -> None:
    """Read the thread, then open the form prefilled from it (after `ack()`, within its budget)."""
    team_id, user_id = team_of(context, body), body["user"]["id"]
    parent_user = next((m.get("parent_user_id") for m in seen if m.get("parent_user_id")), None)
    try:
        with deps.ack_budget.client(client) as quick:
            thread = None
            try:
                with briefly(quick):
                    thread = read_thread(quick, channel_id, thread_ts)
            except (SlackSlow, SlackApiError) as exc:  # the form opens with what the shortcut carried
                log.info("save as a lesson: the thread could not be read in time (%s)", exc)
            with session_scope(deps.engine) as session:
                draft = saving.draft(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    answer_ts=answer_ts,
                    messages=thread if thread else thread_messages(seen),
                    direct=direct,
                    parent_user=parent_user,
                )
            if draft.taken:
                _private(respond, blocks.already_a_question())
                return
            quick.views_open(
                trigger_id=body["trigger_id"], view=blocks.lesson_modal(draft, saver=user_id, read=bool(thread))
            )
    except SlackSlow as exc:
        log.warning("save as a lesson: Slack did not open the form in time (%s)", exc)
        after_ack(context, lambda: _private(respond, blocks.form_not_opened(slow=True)))
    except SlackApiError as exc:
        log.warning("save as a lesson: the form could not be opened (%s)", delivery.error_of(exc))
        _private(respond, blocks.form_not_opened(slow=False))


def handle_shortcut(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    """ "Save as a lesson" on a message: a thread's first message (its question) or a reply (the
    answer to save with it)."""
    ack()
    message = body.get("message") or {}
    channel = body.get("channel") or {}
    ts = str(message.get("ts") or body.get("message_ts") or "")
    if not channel.get("id") or not ts:
        log.warning("save as a lesson: a shortcut without its message")
        return
    thread_ts = str(message.get("thread_ts") or ts)
    open_form(
        deps,
        context,
        client,
        respond,
        body=body,
        channel_id=channel["id"],
        thread_ts=thread_ts,
        answer_ts=ts if ts != thread_ts else None,
        direct=is_direct(channel),
        seen=[message],
    )


def handle_offer(deps: Deps, ack: Ack, body: dict, context: BoltContext, client, respond) -> None:
    """The button Knowhow offers a thread's asker with (a help channel's answered question): the
    same form, for the thread and the answer its value names."""
    ack()
    try:
        value = json.loads(body["actions"][0]["value"])
        channel_id, thread_ts = str(value["c"]), str(value["t"])
        answer_ts = str(value["a"]) if value.get("a") else None
    except (KeyError, IndexError, TypeError, ValueError):
        log.warning("save as a lesson: an offer button carried a value it should not have")
        _private(respond, blocks.offer_broken())
        return
    open_form(
        deps,
        context,
        client,
        respond,
        body=body,
        channel_id=channel_id,
        thread_ts=thread_ts,
        answer_ts=answer_ts,
        direct=channel_id.startswith("D"),
        seen=[],
    )


def _value(values: dict, block_id: str) -> dict:
    return (values.get(block_id) or {}).get(block_id) or {}


def handle_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """The form was submitted: the lesson is stored and indexed in one transaction, then acked.
    Problems are shown on the form, which stays open with what was typed."""
    values = (view.get("state") or {}).get("values") or {}
    try:
        origin = json.loads(view.get("private_metadata") or "{}")
        channel_id, thread_ts = str(origin["c"]), str(origin["t"])
        conversation = Conversation(origin["d"])
    except (KeyError, TypeError, ValueError):
        log.warning("save as a lesson: a form without its thread")
        ack(**form_errors(blocks.FAILED))
        return
    share = None
    if conversation is Conversation.DIRECT:
        share = (_value(values, ids.LESSON_IN_SHARE).get("selected_option") or {}).get("value")
        if share not in blocks.SHARE_OPTIONS:
            ack(**form_errors(blocks.SHARE_MISSING))
            return
        if share == blocks.SHARE_NOT:  # asked first: declined, nothing leaves the conversation
            ack(response_action="update", view=blocks.not_saved_view())
            return
    chosen = [o.get("value", "") for o in _value(values, ids.ASK_MODAL_TOPICS).get("selected_options") or []]
    topics = [v.split(":", 1)[1] if v.startswith((NEW_TOPIC_PREFIX, TOPIC_PREFIX)) else v for v in chosen]
    team_id, user_id = team_of(context, body), body["user"]["id"]
    shared = share == blocks.SHARE_EVERYONE
    try:
        with session_scope(deps.engine) as session:
            result = saving.save(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                asker_id=origin.get("q"),
                question=from_form(_value(values, ids.LESSON_IN_QUESTION).get("value") or ""),
                answer=saving.LessonAnswer(
                    ts=origin.get("a"),
                    author_id=str(origin.get("u") or user_id),
                    text=from_form(_value(values, ids.LESSON_IN_ANSWER).get("value") or ""),
                ),
                topics=topics,
                saved_by=user_id,
                conversation=conversation,
                share=shared,
            )
            if result.outcome in (SaveOutcome.SAVED, SaveOutcome.UPDATED):
                notify_lessons.saved(
                    session,
                    team_id=result.team_id,
                    question_id=result.question_id,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    saver=user_id,
                    link=not shared,
                    key=view.get("id") or thread_ts,
                )
    except Exception:
        log.exception("save as a lesson: could not store a lesson")
        ack(**form_errors(blocks.FAILED))
        return
    if result.outcome not in (SaveOutcome.SAVED, SaveOutcome.UPDATED):
        ack(**form_errors(blocks.form_error(result.outcome, result.field, result.message)))
        return
    ack(response_action="update", view=blocks.saved_view(result.outcome, conversation, shared))
    deps.wake_outbox()


def register(app: App, deps: Deps) -> None:
    @app.shortcut(ids.LESSON_SAVE_SHORTCUT)
    def save_shortcut(ack, body, context, client, respond):
        handle_shortcut(deps, ack, body, context, client, respond)

    @app.action(ids.LESSON_SAVE_OFFER)
    def save_offer(ack, body, context, client, respond):
        handle_offer(deps, ack, body, context, client, respond)

    @app.view(ids.LESSON_MODAL)
    def save_form(ack, body, view, context):
        handle_form(deps, ack, body, view, context)
