"""The Mentor Center's forms as they are submitted (view submissions): read the fields, one
change in core, its messages queued (notify.mentoring), and the modal answered: updated to say
what happened, or the field at fault named."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_bolt import Ack, App, BoltContext
from sqlmodel import Session

from bot import ids, refusals
from bot.ackbudget import SLOW_ADMIN_SUBMIT
from bot.admins import admin_or_told
from bot.blockkit import form_errors
from bot.deps import Deps
from bot.edge import json_object, not_valid, parse_id, parse_number, team_of
from bot.mentor import modals
from bot.text import shown
from core import mentoring, topics
from core.clock import utcnow
from core.mentoring import MentorError, MentorshipState
from notify import mentoring as notify
from storage.db import session_scope

log = logging.getLogger(__name__)


def _values(view: dict) -> dict:
    return (view.get("state") or {}).get("values") or {}


def _value(values: dict, block_id: str) -> dict:
    return (values.get(block_id) or {}).get(block_id) or {}


def _text(values: dict, block_id: str) -> str:
    return (_value(values, block_id).get("value") or "").strip()


def _selected(values: dict, block_id: str) -> str | None:
    option = _value(values, block_id).get("selected_option")
    return option.get("value") if option else None


def _whole(text: str | None) -> int | None:
    """A whole number typed or chosen in a form (its range is the rule's to check), else None."""
    return parse_number(text, 0, 10**9)


def _capacity(values: dict) -> int:
    chosen = _selected(values, ids.MENTOR_IN_CAPACITY)
    capacity = _whole(chosen) if chosen else 1
    if capacity is None:
        raise MentorError("Choose how many protégés at once.", "capacity")
    return capacity


def _errors(ack: Ack, errors: dict[str, str]) -> None:
    ack(**form_errors(errors))


def _save_profile_from(session: Session, values: dict, team_id: str, user_id: str, now: datetime) -> None:
    years_text = _text(values, ids.MENTOR_IN_YEARS)
    years = _whole(years_text)
    if years_text and years is None:
        raise MentorError("Years in your role should be a whole number, such as 3.", "years")
    mentoring.save_profile(
        session,
        team_id=team_id,
        user_id=user_id,
        role=_text(values, ids.MENTOR_IN_ROLE),
        location=_text(values, ids.MENTOR_IN_LOCATION),
        years_in_role=years,
        now=now,
    )


FIELD_BLOCKS = {
    "role": ids.MENTOR_IN_ROLE,
    "location": ids.MENTOR_IN_LOCATION,
    "years": ids.MENTOR_IN_YEARS,
    "capacity": ids.MENTOR_IN_CAPACITY,
    "note": ids.MENTOR_IN_NOTE,
    "goal": ids.MENTOR_IN_GOAL,
    "preferences": ids.MENTOR_IN_ROLE_PREF,
    "target_role": ids.MENTOR_IN_TARGET_ROLE,
    "goals": ids.MENTOR_IN_GOALS,
    "weeks": ids.MENTOR_IN_WEEKS,
    "hours": ids.MENTOR_IN_HOURS,
    "rating": ids.MENTOR_IN_RATING,
    "word": ids.MENTOR_IN_WORD,
}


def _field_error(exc: MentorError, values: dict, topic_block: str) -> dict[str, str]:
    block = FIELD_BLOCKS.get(exc.field or "") or (topic_block if topic_block in values else ids.MENTOR_IN_SUGGEST)
    return {block: str(exc)}


def _topics_from(
    session: Session,
    values: dict,
    team_id: str,
    user_id: str,
    block: str,
    *,
    curated: bool = False,
    listed: bool = True,
) -> list[int]:
    """The topics chosen in a form's select, plus the one typed as a suggestion: added to the
    list, or (`listed=False`, a protégé's own topic) kept off it until an admin adds it."""
    value = _value(values, block)
    options = [
        *(value.get("selected_options") or []),
        *([value["selected_option"]] if value.get("selected_option") else []),
    ]
    chosen = [parse_id((o or {}).get("value")) for o in options]
    if None in chosen:
        raise MentorError(not_valid("topic", "Close this form and open it again from `/mentor`."), "topics")
    typed = _text(values, ids.MENTOR_IN_SUGGEST)
    if typed:
        try:
            if listed:
                topic, _ = mentoring.add_topic(session, team_id=team_id, raw=typed, user_id=user_id, curated=curated)
            else:
                topic = mentoring.request_topic(session, team_id=team_id, raw=typed, user_id=user_id)
        except topics.TopicError as exc:
            raise MentorError(str(exc), "suggest") from exc
        chosen.append(topic.id)
    return list(dict.fromkeys(chosen))


def handle_volunteer_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    team_id, user_id, values, now = team_of(context, body), body["user"]["id"], _values(view), utcnow()
    try:
        with session_scope(deps.engine) as session:
            _save_profile_from(session, values, team_id, user_id, now)
            chosen = _topics_from(session, values, team_id, user_id, ids.MENTOR_IN_TOPICS)
            if not chosen:
                raise MentorError("Choose at least one topic, or suggest one.", "topics")
            done = mentoring.volunteer(
                session,
                team_id=team_id,
                user_id=user_id,
                topic_ids=chosen,
                capacity=_capacity(values),
                note=_text(values, ids.MENTOR_IN_NOTE),
                now=now,
            )
            notify.after_volunteering(session, team_id, user_id, done)
    except MentorError as exc:
        _errors(ack, _field_error(exc, values, ids.MENTOR_IN_TOPICS))
        return
    lines = [
        ("Thank you for volunteering" if done.new else "Your offer is updated")
        + ": you mentor in "
        + ", ".join(f"*{shown(t)}*" for t in done.topics)
        + "."
    ]
    if done.protege_to_mentor:
        lines.append(
            "You were mentored in "
            + ", ".join(f"*{shown(t)}*" for t in done.protege_to_mentor)
            + ", and now you mentor in it: that is how this grows."
        )
    lines.append(
        "When someone chooses you, Knowhow asks you privately first; you can always decline, with no reason needed."
    )
    ack(response_action="update", view=modals.done_view("Thank you", "\n\n".join(lines)))
    deps.wake_outbox()


def handle_find_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    team_id, user_id, values, now = team_of(context, body), body["user"]["id"], _values(view), utcnow()
    try:
        with session_scope(deps.engine) as session:
            _save_profile_from(session, values, team_id, user_id, now)
            chosen = _topics_from(session, values, team_id, user_id, ids.MENTOR_IN_TOPIC, listed=False)
            if len(chosen) != 1:
                raise MentorError(
                    "Choose one topic from the list, or suggest one (not both)."
                    if chosen
                    else "Choose a topic, or suggest one.",
                    "topics",
                )
            done = mentoring.ask_for_mentor(
                session,
                team_id=team_id,
                protege_id=user_id,
                topic_id=chosen[0],
                goal=_text(values, ids.MENTOR_IN_GOAL),
                unlisted_ok=bool(_text(values, ids.MENTOR_IN_SUGGEST)),
                location_pref=_selected(values, ids.MENTOR_IN_LOCATION_PREF) or "any",
                role_pref=_selected(values, ids.MENTOR_IN_ROLE_PREF) or "any",
                target_role=_text(values, ids.MENTOR_IN_TARGET_ROLE),
                request_key=f"view:{view.get('id')}",
                now=now,
            )
            notify.after_request(session, team_id, user_id, done)
    except MentorError as exc:
        _errors(ack, _field_error(exc, values, ids.MENTOR_IN_TOPIC))
        return
    topic = f"*{shown(done.topic)}*"
    text = {
        mentoring.RequestOutcome.OFFERED: f"Knowhow found colleagues who could mentor you in {topic}. They are in your direct messages from Knowhow: choose one, and Knowhow asks them privately.",
        mentoring.RequestOutcome.WAITING: f"Nobody fits your request in {topic} yet. It stays open, and Knowhow writes to you as soon as a suitable volunteer appears.",
        mentoring.RequestOutcome.ALREADY: f"You already have an open request in {topic}. `/mentor` shows where it stands.",
    }[done.outcome]
    ack(response_action="update", view=modals.done_view("Find a mentor", text))
    deps.wake_outbox()


def handle_profile_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    team_id, user_id, values = team_of(context, body), body["user"]["id"], _values(view)
    try:
        with session_scope(deps.engine) as session:
            _save_profile_from(session, values, team_id, user_id, utcnow())
            profile = mentoring.get_profile(session, team_id=team_id, user_id=user_id)
    except MentorError as exc:
        _errors(ack, _field_error(exc, values, ids.MENTOR_IN_ROLE))
        return
    ack(
        response_action="update",
        view=modals.done_view("Profile saved", f"*Your profile*\n{modals.profile_line(profile)}"),
    )


def handle_broadcast_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext, client) -> None:
    team_id, user_id, values = team_of(context, body), body["user"]["id"], _values(view)
    if not admin_or_told(  # usually remembered since the form opened
        deps,
        context,
        client,
        user_id,
        what="/mentor broadcast",
        slow=lambda: _errors(ack, {ids.MENTOR_IN_GOALS: SLOW_ADMIN_SUBMIT}),
        refused=lambda: _errors(ack, {ids.MENTOR_IN_GOALS: refusals.BROADCAST_FORM}),
    ):
        return
    channel = _value(values, ids.MENTOR_IN_CHANNEL).get("selected_conversation")
    weeks, hours = _text(values, ids.MENTOR_IN_WEEKS), _text(values, ids.MENTOR_IN_HOURS)
    try:
        if _whole(weeks) is None:
            raise MentorError("Weeks should be a whole number, such as 12.", "weeks")
        if _whole(hours) is None:
            raise MentorError("Hours a month should be a whole number, such as 2.", "hours")
        if not channel:
            raise MentorError("Choose a channel.", None)
        with session_scope(deps.engine) as session:
            chosen = _topics_from(session, values, team_id, user_id, ids.MENTOR_IN_TOPIC, curated=True)
            if len(chosen) != 1:
                raise MentorError("Choose one topic from the list, or name a new one (not both).", "topics")
            call_id = mentoring.create_call(
                session,
                team_id=team_id,
                topic_id=chosen[0],
                goals=_text(values, ids.MENTOR_IN_GOALS),
                weeks=_whole(weeks),
                hours_per_month=_whole(hours),
                channel_id=channel,
                created_by=user_id,
                request_key=f"view:{view.get('id')}",
                now=utcnow(),
            )
            notify.queue_call(session, team_id, call_id)
    except MentorError as exc:
        errors = _field_error(exc, values, ids.MENTOR_IN_TOPIC)
        _errors(ack, {ids.MENTOR_IN_CHANNEL: str(exc)} if not channel else errors)
        return
    ack(
        response_action="update",
        view=modals.done_view(
            "Call for volunteers",
            f"The call is being posted in <#{channel}>. Its counts stay current as people sign up.",
        ),
    )
    deps.wake_outbox()


def handle_wrap_up_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    team_id, user_id, values = team_of(context, body), body["user"]["id"], _values(view)
    mentorship_id = parse_id(json_object(view.get("private_metadata")).get("m"))
    rating, decision = _selected(values, ids.MENTOR_IN_RATING), _selected(values, ids.MENTOR_IN_DECISION)
    if mentorship_id is None:
        _errors(ack, {ids.MENTOR_IN_DECISION: not_valid("form", "Close it, and use “How did it go?” again.")})
        return
    if rating and _whole(rating) is None:
        _errors(ack, {ids.MENTOR_IN_RATING: "Choose how it went, from 1 to 5."})
        return
    if decision not in ("finish", "extend"):
        _errors(ack, {ids.MENTOR_IN_DECISION: "Choose whether to finish or to extend."})
        return
    try:
        with session_scope(deps.engine) as session:
            before = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
            state = mentoring.wrap_up(
                session,
                team_id=team_id,
                mentorship_id=mentorship_id,
                user_id=user_id,
                rating=_whole(rating) if rating else None,
                word=_text(values, ids.MENTOR_IN_WORD),
                extend=decision == "extend",
                now=utcnow(),
            )
            notify.after_ending(
                session,
                team_id,
                mentorship_id,
                by=user_id,
                state=state,
                ends_as=MentorshipState.COMPLETED,
                was=before.state if before else None,
            )
    except MentorError as exc:
        _errors(ack, _field_error(exc, values, ids.MENTOR_IN_RATING))
        return
    text = {
        MentorshipState.COMPLETED: "Thank you. The mentorship is completed for both of you. Your answer stays private.",
        MentorshipState.ACTIVE: f"Thank you. The mentorship goes on for {mentoring.EXTENSION_WEEKS} more weeks; Knowhow checks in at the new end.",
    }.get(state or "", "This mentorship is already over. Thank you all the same.")
    ack(response_action="update", view=modals.done_view("Thank you", text))
    deps.wake_outbox()


def register(app: App, deps: Deps) -> None:
    forms = {
        ids.MENTOR_VOLUNTEER_MODAL: handle_volunteer_form,
        ids.MENTOR_FIND_MODAL: handle_find_form,
        ids.MENTOR_PROFILE_MODAL: handle_profile_form,
        ids.MENTOR_WRAP_UP_MODAL: handle_wrap_up_form,
    }

    def form_listener(handler):
        # Bolt passes listeners arguments by name, so the handler is bound here, not as a default.
        def form(ack, body, view, context):
            try:
                handler(deps, ack, body, view, context)
            except Exception:
                log.exception("a Mentor Center form failed")
                first = next(iter((view.get("state") or {}).get("values") or {}), ids.MENTOR_IN_ROLE)
                ack(**form_errors({first: "Sorry, this could not be saved just now. Please try again in a minute."}))

        return form

    for callback_id, handler in forms.items():
        app.view(callback_id)(form_listener(handler))

    @app.view(ids.MENTOR_BROADCAST_MODAL)
    def broadcast_form(ack, body, view, context, client):
        handle_broadcast_form(deps, ack, body, view, context, client)
