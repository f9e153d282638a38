"""/ask after the ack: the ack path stores the request (`notify.queue_work`), and the work worker
does what it implies here. A question typed after `/ask` is looked up against earlier answers,
then held with suggestions or queued for posting; a choice on a held question is applied. What
the asker must hear goes out through the request's response_url, replacing the "Got it…" note."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import delivery
from bot.ask import blocks
from bot.ask.senders import tell_asker
from bot.outbox import SendContext, Sender, Work
from core import asking
from core.lessons import Lesson
from notify import ask as notify_ask
from notify import home, kinds
from storage import qa, workspaces
from storage.db import session_scope
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


class TriageQuestion(Work):
    """`/ask <text>`: an expert session open in the channel takes it; elsewhere earlier answers
    are looked for, and the question is held with them or queued for posting."""

    def send(self, ctx: SendContext, item: OutboxItem):
        # The search only reads: done before the transaction that writes, which stays short (on
        # SQLite, the write lock the ack path's own writes wait for is held only while writing).
        request = item.payload
        with session_scope(ctx.engine) as session:
            if asking.session_takes(session, team_id=item.team_id, channel_id=request.get("channel_id")):
                lessons = None
            else:
                lessons = asking.earlier_answers(
                    session, team_id=item.team_id, text=request["text"], channel_id=request.get("channel_id")
                )
        return lambda session: self.do(ctx, session, item, lessons)

    def do(self, ctx: SendContext, session: Session, item: OutboxItem, lessons: tuple | None = None) -> None:
        request = item.payload
        outcome = asking.ask_in_channel(
            session,
            team_id=item.team_id,
            asker_id=request["asker_id"],
            text=request["text"],
            qa_channel_id=workspaces.qa_channel(session, team_id=item.team_id, default=ctx.settings.qa_channel),
            channel_id=request.get("channel_id"),
            request_id=request.get("request_id"),
            lessons=lessons,
        )
        if isinstance(outcome, asking.AskRefused):
            notify_ask.refused(
                session,
                team_id=item.team_id,
                key=item.dedupe_key,
                reason=outcome.reason.value,
                limit=outcome.limit,
                request=request,
            )
        elif not outcome.new:
            return  # done before (this row was taken over after its work committed)
        elif outcome.held:
            notify_ask.held(
                session,
                team_id=item.team_id,
                question_id=outcome.question_id,
                lessons=outcome.suggestions,
                request=request,
                review=outcome.review,
            )
        else:
            notify_ask.queue_post(
                session,
                team_id=item.team_id,
                question_id=outcome.question_id,
                response_url=request.get("response_url"),
                requested_at=request.get("requested_at"),
            )

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        notify_ask.refused(session, team_id=item.team_id, key=item.dedupe_key, reason="not_saved", request=item.payload)


class TriageForm(Work):
    """The /ask form, submitted and checked: earlier answers are looked for, and the question is
    held with them (shown in the form) or queued for posting (the form says so)."""

    def send(self, ctx: SendContext, item: OutboxItem):
        request = item.payload
        with session_scope(ctx.engine) as session:
            lessons = asking.earlier_answers(
                session,
                team_id=item.team_id,
                text=request["text"],
                details=request.get("details"),
                channel_id=request.get("asked_in"),
            )
        return lambda session: self.do(ctx, session, item, lessons)

    def do(self, ctx: SendContext, session: Session, item: OutboxItem, lessons: tuple | None = None) -> None:
        request = item.payload
        if request.get("replaces"):  # asked again, edited, from a question shown before posting
            asking.decide_held(
                session,
                team_id=item.team_id,
                question_id=request["replaces"],
                user_id=request["asker_id"],
                answered_by=None,
                withdraw=True,
            )
        outcome = asking.ask_question(
            session,
            team_id=item.team_id,
            asker_id=request["asker_id"],
            text=request["text"],
            details=request.get("details"),
            topics=request.get("topics") or [],
            anonymous=bool(request.get("anonymous")),
            qa_channel_id=workspaces.qa_channel(session, team_id=item.team_id, default=ctx.settings.qa_channel),
            asked_in_channel_id=request.get("asked_in"),
            request_id=request.get("request_id"),
            suggest=True,
            lessons=lessons,
            review=True,
        )
        answered = dict(session=session, team_id=item.team_id, key=item.dedupe_key, request=request)
        if isinstance(outcome, asking.AskRefused):
            notify_ask.form_answered(**answered, result="refused", reason=outcome.reason.value, message=outcome.message)
        elif not outcome.new:
            return  # done before
        elif outcome.held:
            notify_ask.form_answered(
                **answered,
                result="held",
                question_id=outcome.question_id,
                lessons=outcome.suggestions,
                review=outcome.review,
            )
        else:
            notify_ask.form_answered(**answered, result="posting", question_id=outcome.question_id)
            # Confirmed where `/ask <text>` confirms: privately in the conversation `/ask` was typed
            # in (the command's response_url, carried by the form), else by direct message.
            notify_ask.queue_post(
                session,
                team_id=item.team_id,
                question_id=outcome.question_id,
                response_url=request.get("response_url"),
                requested_at=request.get("requested_at"),
                replace_original=request.get("replace_original", True),
            )

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        notify_ask.form_answered(
            session=session,
            team_id=item.team_id,
            key=item.dedupe_key,
            request=item.payload,
            result="refused",
            reason="not_saved",
        )


class DecideHeld(Work):
    """ "This answers it", "Post my question anyway" (or "Post it") or "Cancel" on a held question."""

    def do(self, ctx: SendContext, session: Session, item: OutboxItem) -> None:
        request = item.payload
        question_id, user_id, answered_by = request["question_id"], request["user_id"], request.get("answered_by")
        choice = asking.decide_held(
            session,
            team_id=item.team_id,
            question_id=question_id,
            user_id=user_id,
            answered_by=answered_by,
            withdraw=bool(request.get("withdraw")),
        )
        # Queued first, so "posting…" replaces the suggestions before the post's confirmation does.
        notify_ask.held_decided(
            session,
            team_id=item.team_id,
            key=item.dedupe_key,
            question_id=question_id,
            choice=choice.value,
            request=request,
        )
        if choice is asking.HeldChoice.POST:
            # Confirmed where the click was (its message), or, from the form, where /ask was typed.
            reply = (request.get("form") or {}) if request.get("view_id") else request
            notify_ask.queue_post(
                session,
                team_id=item.team_id,
                question_id=question_id,
                response_url=reply.get("response_url"),
                requested_at=reply.get("requested_at"),
                replace_original=reply.get("replace_original") is not False,
            )
        elif choice is asking.HeldChoice.DEFLECTED:
            home.queue_refresh(session, item.team_id, user_id)  # their Home shows it answered by the earlier one


class ShowSuggestions(Sender):
    """The earlier questions found for a held question, with the asker's two choices."""

    def send(self, ctx: SendContext, item: OutboxItem):
        question = _question(ctx, item)
        if question is None or question.status != "held":
            return None  # decided already (a choice made in a copy of this message)
        lessons = [Lesson(**lesson) for lesson in item.payload["lessons"]]
        review = _review(item.payload)
        if review is not None:
            message = blocks.review_message(question=question, review=review, lessons=lessons)
        else:
            message = blocks.suggestions_message(question_id=question.id, lessons=lessons)
        tell_asker(ctx, item, question.asker_id, message)
        return None


def _review(payload: dict) -> asking.Review | None:
    """The `core.asking.Review` a held question's row carries (`notify.ask.held`), if any."""
    review = payload.get("review")
    if not review:
        return None
    return asking.Review(asking.ReviewReason(review["reason"]), review["words"], review["chars"])


class TellRefused(Sender):
    """A question that could not be taken: why, with the asker's text so nothing is lost."""

    def send(self, ctx: SendContext, item: OutboxItem):
        reason, text = item.payload["reason"], item.payload["text"]
        if reason == asking.AskRefusal.NO_CHANNEL.value:
            message = blocks.ask_no_channel()
        elif reason == asking.AskRefusal.TOO_LONG.value:
            message = blocks.ask_too_long(item.payload.get("limit") or asking.MAX_QUESTION_CHARS, text)
        else:
            message = blocks.ask_not_saved(text)
        tell_asker(ctx, item, item.payload["asker_id"], message)
        return None


class ShowFormResult(Sender):
    """The outcome of the /ask form, in the form. A form closed meanwhile cannot be updated: the
    same is then said by direct message, so a held question's choices are never lost."""

    def send(self, ctx: SendContext, item: OutboxItem):
        p = item.payload
        if p["result"] == "held":
            question = _question(ctx, item)
            if question is None or question.status != "held":
                return None  # decided already
            lessons = [Lesson(**lesson) for lesson in p["lessons"]]
            review = _review(p)
            if review is not None:
                view = blocks.review_view(question=question, review=review, lessons=lessons, form=p.get("form") or {})
                message = blocks.review_message(question=question, review=review, lessons=lessons)
            else:
                view = blocks.suggestions_view(question_id=question.id, lessons=lessons, form=p.get("form") or {})
                message = blocks.suggestions_message(question_id=question.id, lessons=lessons)
        else:
            if p["result"] == "posting":
                question = _question(ctx, item)
                message = blocks.ask_received(question.channel_id if question else _qa_channel(ctx, item))
            elif p["reason"] == asking.AskRefusal.BAD_TOPIC.value:
                message = blocks.ask_form_refused(p.get("message") or "One of these topics can't be used.", p["text"])
            else:
                message = blocks.ask_not_saved(p["text"])
            view = blocks.notice_view("Ask your colleagues", message["text"])
        update_form_or_dm(ctx, p["view_id"], view, p["asker_id"], message)
        return None


def update_form_or_dm(ctx: SendContext, view_id: str, view: dict, user_id: str, message: dict) -> None:
    """Show `view` in the person's open form; a form closed meanwhile cannot be updated, so the
    same (`message`) is said by direct message instead."""
    try:
        ctx.client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        if delivery.error_of(exc) not in FORM_GONE:
            raise
        log.info("/ask: the form was closed (%s); saying it by direct message", delivery.error_of(exc))
        ctx.client.chat_postMessage(channel=user_id, **{k: v for k, v in message.items() if k != "response_type"})


# views.update's answers when the modal is no longer open.
FORM_GONE = frozenset({"not_found", "view_not_found", "expired_trigger_id", "view_no_longer_exists"})


class TellHeldDecided(Sender):
    """What came of a choice on a held question, where it was made (the message, or the form)."""

    def send(self, ctx: SendContext, item: OutboxItem):
        choice = asking.HeldChoice(item.payload["choice"])
        message = self._message(ctx, item, choice)
        view_id = item.payload.get("view_id")
        if view_id:
            notice = blocks.notice_view("Ask your colleagues", message["text"])
            update_form_or_dm(ctx, view_id, notice, item.payload["user_id"], message)
        else:
            # The outcome replaces the suggestions; "not yours" or "already chosen" (a second click)
            # comes beside them, so it never hides what the first click said.
            replaces = choice in (
                asking.HeldChoice.POST,
                asking.HeldChoice.DEFLECTED,
                asking.HeldChoice.WITHDRAWN,
                asking.HeldChoice.EXPIRED,
            )
            tell_asker(ctx, item, item.payload["user_id"], message, replace_original=replaces)
        return None

    @staticmethod
    def _message(ctx: SendContext, item: OutboxItem, choice: asking.HeldChoice) -> dict:
        if choice is asking.HeldChoice.WITHDRAWN:
            question = _question(ctx, item)
            return blocks.withdrawn(question.text if question else "")
        if choice is asking.HeldChoice.POST:
            question = _question(ctx, item)
            return blocks.ask_received(question.channel_id if question else _qa_channel(ctx, item))
        if choice is asking.HeldChoice.DEFLECTED:
            with session_scope(ctx.engine) as session:
                earlier = qa.get_in_pool(  # an earlier question of the organisation: its link opens where it lives
                    session,
                    team_ids=workspaces.pool(session, team_id=item.team_id),
                    question_id=item.payload["answered_by"],
                )
            return blocks.deflected(permalink=earlier.permalink if earlier else None)
        if choice is asking.HeldChoice.NOT_YOURS:
            return blocks.held_not_yours()
        if choice is asking.HeldChoice.EXPIRED:
            question = _question(ctx, item)
            return blocks.held_expired(question.text if question else "")
        return blocks.held_already_decided()


def _question(ctx: SendContext, item: OutboxItem):
    with session_scope(ctx.engine) as session:
        return qa.get_question(session, team_id=item.team_id, question_id=item.payload["question_id"])


SENDERS = {
    kinds.WORK_ASK: TriageQuestion(),
    kinds.WORK_ASK_FORM: TriageForm(),
    kinds.WORK_HELD_CHOICE: DecideHeld(),
    kinds.OUTBOX_ASK_FORM_RESULT: ShowFormResult(),
    kinds.OUTBOX_ASK_SUGGESTIONS: ShowSuggestions(),
    kinds.OUTBOX_ASK_REFUSED: TellRefused(),
    kinds.OUTBOX_HELD_DECIDED: TellHeldDecided(),
}


def _qa_channel(ctx: SendContext, item: OutboxItem) -> str | None:
    with session_scope(ctx.engine) as session:
        return workspaces.qa_channel(session, team_id=item.team_id, default=ctx.settings.qa_channel)
