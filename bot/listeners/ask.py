"""/ask: the Slack edge of asking and answering.

Listeners parse the payload into plain values, call one rule in `core.asking`, queue what must be
said in the outbox in the same transaction, and ack. Senders deliver the queued messages.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlmodel import Session

from bot import blocks, ids, posts
from bot.deps import Deps
from bot.outbox import PermanentError, Retry, SendContext
from bot.text import escape
from core import asking, expertise, sessions
from core import topics as topic_rules
from core.clock import from_slack_ts
from core.search import query_terms, search_questions
from notify import kinds
from storage import outbox, qa
from storage.db import session_scope
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

# Slack accepts posts to a response_url for 30 minutes; after that, say it by direct message.
RESPONSE_URL_TTL_SECONDS = 25 * 60
# Message subtypes that are a person's new message (anything else is an edit, a join, a bot...).
NEW_MESSAGE_SUBTYPES = {None, "thread_broadcast", "file_share"}


def team_of(context: BoltContext, body: dict) -> str:
    return context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")


# -- listeners --------------------------------------------------------------------------------


@contextmanager
def said_on_failure(respond, what: str = "that"):
    """Around a click handled after its ack: a failure is told privately, never silent."""
    try:
        yield
    except Exception:
        log.exception("handling a click failed")
        try:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=f"Sorry, {what} could not be done just now. Please try again in a minute.",
            )
        except Exception:
            log.exception("could not say so either")


def queue_post(session: Session, *, team_id: str, question_id: int, response_url: str | None) -> None:
    """Queue the question's post; the asker hears back through `response_url` (else by DM)."""
    outbox.enqueue(
        session,
        team_id=team_id,
        dedupe_key=f"question:{question_id}:post",
        kind=kinds.OUTBOX_POST_QUESTION,
        payload={"question_id": question_id, "response_url": response_url, "requested_at": time.time()},
    )


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
        ack(**search_page(deps, team_id, parsed.text, offset=0))
        return
    try:
        with session_scope(deps.engine) as session:
            # In a channel where an expert session is open, the question goes to the session.
            live = sessions.open_in(session, team_id=team_id, channel_id=command.get("channel_id") or "")
            outcome = asking.ask_question(
                session,
                team_id=team_id,
                asker_id=command["user_id"],
                text=parsed.text,
                qa_channel_id=live.channel_id if live else qa_channel,
                asked_in_channel_id=command.get("channel_id"),
                request_id=command.get("trigger_id"),
                suggest=live is None,
                session_id=live.id if live else None,
            )
            if isinstance(outcome, asking.QuestionAsked) and outcome.new and not outcome.held:
                queue_post(
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
        log.warning("/ask: the form could not be opened (%s)", (exc.response.data or {}).get("error"))
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
                queue_post(session, team_id=team_id, question_id=outcome.question_id, response_url=None)
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
            queue_post(
                session,
                team_id=team_id,
                question_id=question_id,
                response_url=None if in_view else body.get("response_url"),
            )
            message = blocks.ask_received(question.channel_id)
        elif choice is asking.HeldChoice.DEFLECTED:
            earlier = qa.get_question(session, team_id=team_id, question_id=answered_by)
            message = blocks.deflected(permalink=earlier.permalink)
            posts.refresh_home(session, team_id, user_id)  # their Home shows it answered by the earlier one
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


BUTTON_VALUE_CHARS = 2000  # Slack's limit for a button's value


def _more_value(terms: list[str], offset: int) -> tuple[list[str], str]:
    """The words a "More" button carries back, as many as fit, so that every page of one search
    runs the same query; and the button's value."""
    terms = list(terms)
    while True:
        value = json.dumps({"q": " ".join(terms), "o": offset}, ensure_ascii=False)
        if len(value) <= BUTTON_VALUE_CHARS or len(terms) <= 1:
            return terms, value[:BUTTON_VALUE_CHARS]
        terms.pop()


def search_page(deps: Deps, team_id: str, query: str, *, offset: int) -> dict:
    """One page of `/ask search` results, rendered."""
    terms, _ = _more_value(query_terms(query), offset)
    if not terms:
        return blocks.search_needs_terms()
    try:
        with session_scope(deps.engine) as session:
            page = search_questions(session, team_id=team_id, text=" ".join(terms), offset=offset)
    except Exception:
        log.exception("/ask search failed")
        return blocks.search_failed()
    more = _more_value(terms, page.offset + len(page.matches))[1] if page.has_more else None
    return blocks.search_results(query=query, page=page, more_value=more)


def show_more_results(deps: Deps, body: dict, context: BoltContext, respond) -> None:
    """The "More" button: the next page replaces the one shown."""
    try:
        value = json.loads(body["actions"][0]["value"])
        query, offset = str(value["q"]), max(int(value["o"]), 0)
    except (KeyError, IndexError, TypeError, ValueError):
        log.warning("/ask search: a More button carried a value it should not have")
        return
    respond(replace_original=True, **search_page(deps, team_of(context, body), query, offset=offset))


class ReplyTooEarly(RuntimeError):
    """A thread reply that may belong to a question whose post is not recorded yet."""


def handle_message_event(deps: Deps, event: dict, body: dict, context: BoltContext) -> None:
    """Thread replies, edits and deletions in channels the bot is in; top-level messages in a
    channel where an expert session is open (its questions)."""
    from bot.listeners import sessions as session_edge

    team_id = team_of(context, body)
    channel_id = event.get("channel")
    subtype = event.get("subtype")
    thread_ts = None
    changed = False
    with session_scope(deps.engine) as session:
        if subtype in NEW_MESSAGE_SUBTYPES:
            if _is_top_level_by_person(event) and event.get("channel_type") in ("channel", "group", None):
                changed = session_edge.top_level_message(deps, session, team_id, event)
            elif _is_reply_by_person(event):
                thread_ts = event["thread_ts"]
                outcome = asking.record_reply(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    thread_ts=event["thread_ts"],
                    message_ts=event["ts"],
                    author_id=event["user"],
                    text=event.get("text") or "",
                    at=from_slack_ts(event["ts"]),
                )
                if outcome is asking.ReplyOutcome.NOT_A_QUESTION and asking.post_in_flight(
                    session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts
                ):
                    # Slack delivered the reply before Knowhow heard back from the post it
                    # replies to: not acked, so Slack delivers it again (the retry finds it).
                    raise ReplyTooEarly(f"a reply to {thread_ts} in {channel_id} came before its post was recorded")
        elif subtype == "message_changed":
            message = event.get("message") or {}
            if _is_reply_by_person(message):
                thread_ts = message["thread_ts"]
                asking.edit_reply(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    thread_ts=message["thread_ts"],
                    message_ts=message["ts"],
                    author_id=message["user"],
                    text=message.get("text") or "",
                    edited_ts=(message.get("edited") or {}).get("ts") or event.get("event_ts") or message["ts"],
                )
        elif subtype == "message_deleted":
            previous = event.get("previous_message") or {}
            deleted_ts = event.get("deleted_ts") or previous.get("ts")
            if previous.get("thread_ts") and deleted_ts and previous["thread_ts"] != deleted_ts:
                thread_ts = previous["thread_ts"]
                asking.delete_reply(
                    session,
                    team_id=team_id,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    message_ts=deleted_ts,
                    author_id=previous.get("user"),
                )
        if thread_ts:
            question = qa.find_question_by_post(session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts)
            if question is not None:
                changed = posts.sync(session, team_id=team_id, question_id=question.id)
                changed = session_edge.answer_changed(session, team_id, channel_id, thread_ts) or changed
    if changed:
        deps.wake_outbox()


def _is_top_level_by_person(message: dict) -> bool:
    return bool(
        message.get("ts")
        and message.get("thread_ts") in (None, message.get("ts"))
        and message.get("user")
        and not message.get("bot_id")
        and message.get("subtype") in (None, "file_share")  # a question with a screenshot is a question
    )


def _is_reply_by_person(message: dict) -> bool:
    thread_ts = message.get("thread_ts")
    return bool(
        thread_ts
        and message.get("ts")
        and thread_ts != message.get("ts")
        and message.get("user")
        and not message.get("bot_id")
        and message.get("subtype") != "bot_message"
    )


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

    @app.event("message")
    def message_event(event, body, context):
        handle_message_event(deps, event, body, context)

    # Lazy: the click is acked at once; the next page goes out through the response_url.
    app.action(ids.ASK_SEARCH_MORE)(
        ack=lambda ack: ack(),
        lazy=[lambda body, context, respond: show_more_results(deps, body, context, respond)],
    )


# -- senders ----------------------------------------------------------------------------------


def _load_question(ctx: SendContext, item: OutboxItem):
    with session_scope(ctx.engine) as session:
        return qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])


QUESTION_METADATA = posts.QUESTION_METADATA


def _already_posted(ctx: SendContext, question) -> tuple[str, str] | None:
    """The question's post, if an earlier attempt got it into Slack without hearing back.

    Each post carries message metadata naming its question, so a retry can look before it
    posts again: the answer to a post can be lost after Slack took it (a timeout, a reset).
    """
    oldest = f"{question.created_at.timestamp() - 60:.6f}"
    try:
        pages = ctx.client.conversations_history(
            channel=question.channel_id, oldest=oldest, include_all_metadata=True, limit=200
        )
    except SlackApiError as exc:
        if (exc.response.data or {}).get("error") in ("not_in_channel", "channel_not_found"):
            return None
        raise
    for message in pages.get("messages", []):
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == QUESTION_METADATA
            and (metadata.get("event_payload") or {}).get("question_id") == question.id
        ):
            return question.channel_id, message["ts"]
    return None


class PostQuestion:
    """Post the question in its channel; then queue the private confirmation with its link."""

    def send(self, ctx: SendContext, item: OutboxItem):
        question = _load_question(ctx, item)
        if question is None or question.status != "pending":
            return None  # already posted by an earlier attempt, or gone
        found = _already_posted(ctx, question) if item.attempts > 1 else None
        if found is None:
            found = self._post(ctx, question)
        channel_id, ts = found

        def record(session: Session) -> None:
            if asking.mark_posted(
                session, team_id=item.team_id, question_id=question.id, channel_id=channel_id, message_ts=ts
            ):
                posts.refresh_home(session, item.team_id, question.asker_id)  # the asker's Home lists it, posted
                outbox.enqueue(
                    session,
                    team_id=item.team_id,
                    dedupe_key=f"question:{question.id}:confirm",
                    kind=kinds.OUTBOX_CONFIRM_QUESTION,
                    payload=dict(item.payload),
                )
                if ctx.settings.invitations_per_day > 0 and topic_rules.of_question(
                    session, team_id=item.team_id, question_id=question.id
                ):
                    outbox.enqueue(
                        session,
                        team_id=item.team_id,
                        dedupe_key=f"question:{question.id}:invite",
                        kind=kinds.OUTBOX_INVITE_HELPERS,
                        payload={"question_id": question.id},
                    )

        return record

    @staticmethod
    def _post(ctx: SendContext, question) -> tuple[str, str]:
        with session_scope(ctx.engine) as session:
            message = blocks.question_post(**posts.content(session, question))
        metadata = posts.metadata(question.id)
        try:
            response = ctx.client.chat_postMessage(channel=question.channel_id, metadata=metadata, **message)
        except SlackApiError as exc:
            if (exc.response.data or {}).get("error") != "not_in_channel":
                raise
            _join(ctx, question.channel_id)
            response = ctx.client.chat_postMessage(channel=question.channel_id, metadata=metadata, **message)
        return response["channel"], response["ts"]

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        if asking.mark_failed(session, team_id=item.team_id, question_id=item.payload["question_id"]):
            outbox.enqueue(
                session,
                team_id=item.team_id,
                dedupe_key=f"question:{item.payload['question_id']}:failed",
                kind=kinds.OUTBOX_QUESTION_FAILED,
                payload={**item.payload, "reason": reason},
            )


def _join(ctx: SendContext, channel_id: str) -> None:
    try:
        ctx.client.conversations_join(channel=channel_id)
    except SlackApiError as exc:
        error = (exc.response.data or {}).get("error")
        if error in ("method_not_supported_for_channel_type", "channel_not_found", "is_archived"):
            raise PermanentError(f"the bot is not in <#{channel_id}> and cannot join it by itself ({error})") from exc
        raise


def tell_asker(ctx: SendContext, item: OutboxItem, asker_id: str, message: dict) -> None:
    """Say something privately to the person who asked: through the command's response_url while
    Slack still accepts it (it replaces the "posting…" note), else by direct message."""
    response_url = item.payload.get("response_url")
    requested_at = item.payload.get("requested_at") or 0
    if response_url and time.time() - requested_at < RESPONSE_URL_TTL_SECONDS:
        # No retry handlers: the outbox retries; slack-sdk's own retry could say it twice.
        response = WebhookClient(response_url, timeout=10, retry_handlers=[]).send(
            text=message["text"], blocks=message.get("blocks"), replace_original=True, response_type="ephemeral"
        )
        if 200 <= response.status_code < 300:
            return
        if response.status_code == 429 or response.status_code >= 500:
            raise Retry(f"response_url answered HTTP {response.status_code}", timedelta(seconds=5))
        log.info("response_url answered %s; telling the asker by DM instead", response.status_code)
    ctx.client.chat_postMessage(channel=asker_id, **message)


class ConfirmQuestion:
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _load_question(ctx, item)
        if question is None or question.message_ts is None:
            return None
        try:
            permalink = ctx.client.chat_getPermalink(channel=question.channel_id, message_ts=question.message_ts)[
                "permalink"
            ]
        except SlackApiError as exc:
            if exc.response.status_code == 429 or exc.response.status_code >= 500:
                raise
            permalink = None  # the confirmation still helps without the link
        tell_asker(
            ctx, item, question.asker_id, blocks.question_confirmed(channel_id=question.channel_id, permalink=permalink)
        )
        if permalink is None:
            return None
        return lambda session: asking.record_permalink(
            session, team_id=item.team_id, question_id=question.id, permalink=permalink
        )

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        pass


class QuestionFailed:
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _load_question(ctx, item)
        if question is None:
            return None
        message = blocks.question_failed(
            channel_id=question.channel_id, reason=item.payload["reason"], text=question.text
        )
        tell_asker(ctx, item, question.asker_id, message)
        return None

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        pass


def _unanswered(ctx: SendContext, item: OutboxItem):
    """The question, while it is posted and still has no live answer (else None: say nothing)."""
    with session_scope(ctx.engine) as session:
        question = qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])
        if question is None or question.message_ts is None:
            return None
        if qa.list_answers(session, team_id=item.team_id, question_id=question.id):
            return None
        return question


class FollowUpThread:
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _unanswered(ctx, item)
        if question is not None:
            ctx.client.chat_postMessage(
                channel=question.channel_id,
                thread_ts=question.message_ts,
                reply_broadcast=True,
                **blocks.follow_up_in_thread(),
            )
        return None

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        pass


class FollowUpAsker:
    def send(self, ctx: SendContext, item: OutboxItem):
        question = _unanswered(ctx, item)
        if question is not None:
            message = blocks.follow_up_to_asker(channel_id=question.channel_id, permalink=question.permalink)
            ctx.client.chat_postMessage(channel=question.asker_id, **message)
        return None

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        pass


class InviteHelpers:
    """Mention up to three likely helpers in a new question's thread (never by DM). Who is
    invited is chosen and recorded once; a retry mentions the same people."""

    def send(self, ctx: SendContext, item: OutboxItem):
        question_id = item.payload["question_id"]
        with session_scope(ctx.engine) as session:
            question = qa.get_question(session, team_id=item.team_id, question_id=question_id)
            if question is None or question.message_ts is None:
                return None
            invited = expertise.invited(session, team_id=item.team_id, question_id=question_id)
            if not invited:
                if qa.list_answers(session, team_id=item.team_id, question_id=question_id):
                    return None  # answered already: nobody needs calling
                chosen = expertise.helpers_for(
                    session, team_id=item.team_id, question_id=question_id, daily_limit=ctx.settings.invitations_per_day
                )
                invited = expertise.record_invitations(
                    session, team_id=item.team_id, question_id=question_id, user_ids=chosen
                )
            names = [t.name for t in topic_rules.of_question(session, team_id=item.team_id, question_id=question_id)]
        if invited:
            ctx.client.chat_postMessage(
                channel=question.channel_id,
                thread_ts=question.message_ts,
                **blocks.invite_helpers(user_ids=invited, topics=names),
            )
        return None

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        pass


SENDERS = {
    kinds.OUTBOX_REFRESH_POST: posts.RefreshPost(),
    kinds.OUTBOX_INVITE_HELPERS: InviteHelpers(),
    kinds.OUTBOX_POST_QUESTION: PostQuestion(),
    kinds.OUTBOX_CONFIRM_QUESTION: ConfirmQuestion(),
    kinds.OUTBOX_QUESTION_FAILED: QuestionFailed(),
    kinds.OUTBOX_FOLLOW_UP_THREAD: FollowUpThread(),
    kinds.OUTBOX_FOLLOW_UP_ASKER: FollowUpAsker(),
}
