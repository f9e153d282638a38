"""The Mentor Center's Slack edge: `/mentor` and its subcommands, the Mentor Center modal and its
forms, the buttons in direct messages (choose, accept or decline, check-ins), the calls for
volunteers, and the outbox senders for everything it says. The rules are in `core.mentoring`.

Privacy is built into where things go: requests, candidates, answers and ratings only ever
travel in a modal or a direct message to the person concerned; the one channel post (a call for
volunteers) carries counts behind the privacy threshold.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot import ids
from bot import mentor_blocks as mb
from bot.admins import is_admin
from bot.delivery import post_joining, update_message
from bot.deps import Deps
from bot.edge import said_on_failure, team_of
from bot.outbox import SendContext
from bot.text import neutralise_mentions, shown, unescape
from core import mentoring, topics
from core.clock import utcnow
from core.mentoring import MentorError, Offered, SlackPerson
from notify import home, kinds
from storage import outbox
from storage.db import session_scope
from storage.models import MentorRequest, Mentorship, OutboxMessage, VolunteerTopic
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


# -- queueing what to say -------------------------------------------------------------------------


def _enqueue(session: Session, team_id: str, key: str, kind: str, **payload) -> bool:
    return outbox.enqueue(session, team_id=team_id, dedupe_key=key, kind=kind, payload=payload)


def queue_offers(session: Session, team_id: str, offered: Offered, *, again: bool = False, gone: bool = False) -> None:
    """Each new round of candidates goes to its protégé by direct message, once. `again`: the
    mentor they chose cannot take it on; `gone`: someone on their list can no longer mentor."""
    for request_id, round_ in offered.rounds:
        _enqueue(
            session,
            team_id,
            f"mentor-request:{request_id}:round:{round_}",
            kinds.OUTBOX_MENTOR_CANDIDATES,
            request_id=request_id,
            round=round_,
            again=again,
            gone=gone,
        )
        row = session.get(MentorRequest, request_id)
        home.queue_refresh(session, team_id, row.protege_id if row else "")


UNSENT_WITHIN = timedelta(days=1)  # well inside the outbox's week of memory (jobs.KEEP_SENT_FOR)


def queue_unsent_offers(session: Session, team_id: str | None = None) -> int:
    """The safety net: every request whose current round of candidates was never queued (a place
    freed by a check-in or the sweep offers candidates to waiting requests) gets it queued. Only
    rounds offered in the last day: the outbox forgets sent rows after a week, and an old round
    must not be sent again."""
    query = select(MentorRequest.team_id, MentorRequest.id, MentorRequest.round).where(
        MentorRequest.state == "choosing", MentorRequest.updated_at >= utcnow() - UNSENT_WITHIN
    )
    if team_id is not None:
        query = query.where(MentorRequest.team_id == team_id)
    rows = session.exec(query).all()
    if not rows:
        return 0
    keys = {f"mentor-request:{rid}:round:{rnd}": (team, rid, rnd) for team, rid, rnd in rows}
    queued = set(session.exec(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(list(keys)))))
    for key, (team, rid, rnd) in keys.items():
        if key not in queued:
            _enqueue(session, team, key, kinds.OUTBOX_MENTOR_CANDIDATES, request_id=rid, round=rnd, again=False)
    return len(keys) - len(queued)


def queue_after_proposal_ended(session: Session, team_id: str, mentorship_id: int, offered: Offered) -> None:
    """A proposal was declined, lapsed or withdrawn: fresh candidates, or a word that the request waits."""
    if offered.rounds:
        queue_offers(session, team_id, offered, again=True)
        return
    if mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id) is not None:
        _enqueue(
            session,
            team_id,
            f"mentorship:{mentorship_id}:waiting",
            kinds.OUTBOX_MENTOR_WAITING,
            mentorship_id=mentorship_id,
        )


def queue_after_leaving(session: Session, team_id: str, left: mentoring.Left) -> None:
    """A mentor left: each protégé whose proposal to them ended, or whose list of candidates had
    nobody else on it, gets fresh candidates or a word that the request waits."""
    for mentorship_id, offered in left.proposals:
        queue_after_proposal_ended(session, team_id, mentorship_id, offered)
    for request_id, offered in left.emptied:
        if offered.rounds:
            queue_offers(session, team_id, offered, gone=True)
            continue
        row = session.get(MentorRequest, request_id)
        _enqueue(
            session,
            team_id,
            f"mentor-request:{request_id}:round:{row.round}:emptied",
            kinds.OUTBOX_MENTOR_WAITING,
            request_id=request_id,
            gone=True,
        )
        home.queue_refresh(session, team_id, row.protege_id)


def queue_ended(session: Session, team_id: str, mentorship_id: int, by: str, state: str) -> None:
    """One person finished or stopped the mentorship: the other is told, privately, once."""
    info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
    if info is None or by not in (info.mentor_id, info.protege_id):
        return
    other = info.protege_id if by == info.mentor_id else info.mentor_id
    _enqueue(
        session,
        team_id,
        f"mentorship:{mentorship_id}:ended",
        kinds.OUTBOX_MENTOR_ENDED,
        mentorship_id=mentorship_id,
        user_id=other,
        by=by,
        state=state,
    )


def _state_of(session: Session, team_id: str, mentorship_id: int) -> str | None:
    info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
    return info.state if info else None


def queue_demand(session: Session, team_id: str, topic_ids) -> None:
    """The demand in these topics changed: every call for volunteers about them is updated."""
    for call_id, version in mentoring.bump_calls(session, team_id=team_id, topic_ids=list(set(topic_ids))):
        _enqueue(
            session, team_id, f"mentor-call:{call_id}:v{version}", kinds.OUTBOX_MENTOR_CALL_REFRESH, call_id=call_id
        )


def _offer_topics(session: Session, team_id: str, user_id: str) -> list[int]:
    return list(
        session.exec(
            select(VolunteerTopic.topic_id).where(VolunteerTopic.team_id == team_id, VolunteerTopic.user_id == user_id)
        )
    )


# -- reading Slack ------------------------------------------------------------------------------


def slack_person(client, user_id: str) -> SlackPerson | None:
    """Title and time zone from users.info; None when Slack cannot say (the profile keeps what it has)."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, (exc.response.data or {}).get("error"))
        return None
    return SlackPerson(
        title=(user.get("profile") or {}).get("title") or None,
        tz=user.get("tz"),
        tz_offset=int(user.get("tz_offset") or 0),
    )


def _profile(deps: Deps, client, team_id: str, user_id: str) -> mentoring.Profile:
    person = slack_person(client, user_id)
    with session_scope(deps.engine) as session:
        return mentoring.ensure_profile(session, team_id=team_id, user_id=user_id, slack=person, now=utcnow())


def center_view(deps: Deps, client, team_id: str, user_id: str) -> dict:
    profile = _profile(deps, client, team_id, user_id)
    with session_scope(deps.engine) as session:
        return mb.center(mentoring.status(session, team_id=team_id, user_id=user_id, profile=profile))


def volunteer_view(deps: Deps, client, team_id: str, user_id: str, topic_id: int | None = None) -> dict:
    profile = _profile(deps, client, team_id, user_id)
    with session_scope(deps.engine) as session:
        status = mentoring.status(session, team_id=team_id, user_id=user_id, profile=profile)
        chosen = [t.id for t in status.volunteer_topics] + ([topic_id] if topic_id else [])
        offer = status.volunteer
        return mb.volunteer_form(
            mentoring.topic_list(session, team_id=team_id),
            profile,
            chosen=chosen,
            capacity=offer.capacity if offer else 1,
            note=offer.note if offer else None,
        )


def find_view(deps: Deps, client, team_id: str, user_id: str) -> dict:
    profile = _profile(deps, client, team_id, user_id)
    with session_scope(deps.engine) as session:
        return mb.find_form(mentoring.topic_list(session, team_id=team_id), profile)


# -- /mentor --------------------------------------------------------------------------------------


def _open(ack: Ack, client, trigger_id: str, view: dict, what: str) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("/mentor: %s could not be opened (%s)", what, (exc.response.data or {}).get("error"))
        ack(**mb.private(f"Sorry, {what} could not open just now. Please try `/mentor` again."))
        return
    ack()


def handle_command(deps: Deps, ack: Ack, command: dict, context: BoltContext, client) -> None:
    text = (command.get("text") or "").strip()
    first, _, rest = text.partition(" ")
    first, rest = first.lower(), rest.strip()
    team_id, user_id, trigger = team_of(context, command), command["user_id"], command.get("trigger_id")
    now = utcnow()
    if first in ("help", "?"):
        ack(**mb.private(mb.HELP))
    elif first == "":
        _open(ack, client, trigger, center_view(deps, client, team_id, user_id), "the Mentor Center")
    elif first == "volunteer":
        _open(ack, client, trigger, volunteer_view(deps, client, team_id, user_id), "the form")
    elif first == "find":
        _open(ack, client, trigger, find_view(deps, client, team_id, user_id), "the form")
    elif first == "profile":
        _open(ack, client, trigger, mb.profile_form(_profile(deps, client, team_id, user_id)), "the form")
    elif first in ("pause", "resume"):
        with session_scope(deps.engine) as session:
            changed = mentoring.set_paused(session, team_id=team_id, user_id=user_id, paused=first == "pause", now=now)
            if changed:
                queue_unsent_offers(session, team_id)
                queue_demand(session, team_id, _offer_topics(session, team_id, user_id))
        if changed is None:
            ack(**mb.private("You do not offer to mentor, so there is nothing to pause. `/mentor volunteer` offers."))
        elif first == "pause":
            ack(
                **mb.private(
                    "Paused: you will get no new matches. Mentorships already running carry on. `/mentor resume` restarts matching."
                    if changed
                    else "You were already paused. `/mentor resume` restarts matching."
                )
            )
        else:
            ack(
                **mb.private(
                    "Resumed: you can be matched again." if changed else "You are not paused: you can be matched."
                )
            )
        deps.wake_outbox()
    elif first == "leave":
        with session_scope(deps.engine) as session:
            topic_ids = _offer_topics(session, team_id, user_id)
            left = mentoring.leave(session, team_id=team_id, user_id=user_id, now=now)
            queue_after_leaving(session, team_id, left)
            queue_unsent_offers(session, team_id)
            queue_demand(session, team_id, topic_ids)
            home.queue_refresh(session, team_id, user_id)
        if not left.was_volunteer:
            ack(**mb.private("You do not offer to mentor, so there is nothing to leave."))
        else:
            running = (
                f" Your {left.running} running mentorship{'s' if left.running != 1 else ''} carr{'y' if left.running != 1 else 'ies'} on: "
                'nothing ends without you saying so (the halfway check-in has "We\'ve stopped").'
                if left.running
                else ""
            )
            ack(
                **mb.private(
                    "You no longer offer to mentor, and will get no new matches."
                    + running
                    + " `/mentor volunteer` offers again whenever you like."
                )
            )
        deps.wake_outbox()
    elif first == "topics":
        ack(**topics_command(deps, client, team_id, user_id, unescape(rest)))
    elif first == "scoreboard":
        from bot.listeners import scoreboard

        scoreboard.command(deps, ack, command, context, client, rest)
    elif first == "broadcast":
        if not is_admin(deps, client, user_id):
            ack(
                **mb.private(
                    "Only workspace admins call for volunteers. Ask one, or share `/mentor volunteer` with colleagues yourself."
                )
            )
            return
        with session_scope(deps.engine) as session:
            listed = mentoring.topic_list(session, team_id=team_id)
        _open(ack, client, trigger, mb.broadcast_form(listed, command.get("channel_id")), "the form")
    else:
        ack(**mb.private(f"I don't know `/mentor {neutralise_mentions(first)}`.\n\n" + mb.HELP))


def topics_command(deps: Deps, client, team_id: str, user_id: str, words: str) -> dict:
    action, _, rest = words.partition(" ")
    action, rest = action.lower(), rest.strip()
    if action in ("", "list"):
        with session_scope(deps.engine) as session:
            listed = mentoring.topic_list(session, team_id=team_id)
            asked = mentoring.unlisted_requested(session, team_id=team_id)
        # Admins also see the topics protégés named in their requests, to curate them (names only).
        unlisted = mb.unlisted_requested(asked) if asked and is_admin(deps, client, user_id) else ""
        if not listed:
            return mb.private(
                "No mentoring topics yet. Admins add them with `/mentor topics add <topic>`; anyone can suggest one in the forms."
                + unlisted
            )
        return mb.private(
            "*Mentoring topics*\n" + "\n".join(f"• {shown(mb.topic_label(t))}" for t in listed) + unlisted
        )
    if action not in ("add", "remove"):
        return mb.private(
            f"I don't know `/mentor topics {shown(action)}`. Try `/mentor topics`, or (admins) `/mentor topics add <topic>`."
        )
    if not rest:
        return mb.private(f"Say which topic, for example `/mentor topics {action} Leadership`.")
    if not is_admin(deps, client, user_id):
        return mb.private(
            "Only workspace admins curate the mentoring topics. You can suggest a topic in the volunteer or find-a-mentor form."
        )
    with session_scope(deps.engine) as session:
        if action == "add":
            try:
                topic, changed = mentoring.add_topic(session, team_id=team_id, raw=rest, user_id=user_id, curated=True)
            except topics.TopicError as exc:
                return mb.private(f"{exc} Try again, for example `/mentor topics add Leadership`.")
            return mb.private(
                f"*{shown(topic.name)}* is on the mentoring list."
                if changed
                else f"*{shown(topic.name)}* was already on the list."
            )
        name = mentoring.remove_topic(session, team_id=team_id, raw=rest)
    if name is None:
        return mb.private(f"*{shown(rest)}* is not on the mentoring list. `/mentor topics` shows it.")
    return mb.private(f"Removed *{shown(name)}* from the list. Offers and requests already in it carry on.")


# -- forms ----------------------------------------------------------------------------------------


def _values(view: dict) -> dict:
    return (view.get("state") or {}).get("values") or {}


def _value(values: dict, block_id: str) -> dict:
    return (values.get(block_id) or {}).get(block_id) or {}


def _text(values: dict, block_id: str) -> str:
    return (_value(values, block_id).get("value") or "").strip()


def _selected(values: dict, block_id: str) -> str | None:
    option = _value(values, block_id).get("selected_option")
    return option.get("value") if option else None


def _errors(ack: Ack, errors: dict[str, str]) -> None:
    ack(response_action="errors", errors=errors)


def _save_profile_from(session: Session, values: dict, team_id: str, user_id: str, now: datetime) -> None:
    years_text = _text(values, ids.MENTOR_IN_YEARS)
    if years_text and not years_text.isdigit():
        raise MentorError("Years in your role should be a whole number, such as 3.", "years")
    mentoring.save_profile(
        session,
        team_id=team_id,
        user_id=user_id,
        role=_text(values, ids.MENTOR_IN_ROLE),
        location=_text(values, ids.MENTOR_IN_LOCATION),
        years_in_role=int(years_text) if years_text else None,
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
    chosen = [int(o["value"]) for o in value.get("selected_options") or []]
    if value.get("selected_option"):
        chosen.append(int(value["selected_option"]["value"]))
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
            before = _offer_topics(session, team_id, user_id)
            chosen = _topics_from(session, values, team_id, user_id, ids.MENTOR_IN_TOPICS)
            if not chosen:
                raise MentorError("Choose at least one topic, or suggest one.", "topics")
            done = mentoring.volunteer(
                session,
                team_id=team_id,
                user_id=user_id,
                topic_ids=chosen,
                capacity=int(_selected(values, ids.MENTOR_IN_CAPACITY) or 1),
                note=_text(values, ids.MENTOR_IN_NOTE),
                now=now,
            )
            queue_offers(session, team_id, done)
            queue_demand(session, team_id, before + chosen)
            home.queue_refresh(session, team_id, user_id)
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
    ack(response_action="update", view=mb.done_view("Thank you", "\n\n".join(lines)))
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
            queue_offers(session, team_id, done)
            queue_demand(session, team_id, chosen)
            home.queue_refresh(session, team_id, user_id)
    except MentorError as exc:
        _errors(ack, _field_error(exc, values, ids.MENTOR_IN_TOPIC))
        return
    topic = f"*{shown(done.topic)}*"
    text = {
        mentoring.RequestOutcome.OFFERED: f"Knowhow found colleagues who could mentor you in {topic}. They are in your direct messages from Knowhow: choose one, and Knowhow asks them privately.",
        mentoring.RequestOutcome.WAITING: f"Nobody fits your request in {topic} yet. It stays open, and Knowhow writes to you as soon as a suitable volunteer appears.",
        mentoring.RequestOutcome.ALREADY: f"You already have an open request in {topic}. `/mentor` shows where it stands.",
    }[done.outcome]
    ack(response_action="update", view=mb.done_view("Find a mentor", text))
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
    ack(response_action="update", view=mb.done_view("Profile saved", f"*Your profile*\n{mb._profile_line(profile)}"))


def handle_broadcast_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext, client) -> None:
    team_id, user_id, values = team_of(context, body), body["user"]["id"], _values(view)
    if not is_admin(deps, client, user_id):
        _errors(ack, {ids.MENTOR_IN_GOALS: "Only workspace admins call for volunteers."})
        return
    channel = _value(values, ids.MENTOR_IN_CHANNEL).get("selected_conversation")
    weeks, hours = _text(values, ids.MENTOR_IN_WEEKS), _text(values, ids.MENTOR_IN_HOURS)
    try:
        if not weeks.isdigit():
            raise MentorError("Weeks should be a whole number, such as 12.", "weeks")
        if not hours.isdigit():
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
                weeks=int(weeks),
                hours_per_month=int(hours),
                channel_id=channel,
                created_by=user_id,
                request_key=f"view:{view.get('id')}",
                now=utcnow(),
            )
            _enqueue(session, team_id, f"mentor-call:{call_id}:post", kinds.OUTBOX_MENTOR_CALL, call_id=call_id)
    except MentorError as exc:
        errors = _field_error(exc, values, ids.MENTOR_IN_TOPIC)
        _errors(ack, {ids.MENTOR_IN_CHANNEL: str(exc)} if not channel else errors)
        return
    ack(
        response_action="update",
        view=mb.done_view(
            "Call for volunteers",
            f"The call is being posted in <#{channel}>. Its counts stay current as people sign up.",
        ),
    )
    deps.wake_outbox()


def handle_wrap_up_form(deps: Deps, ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    team_id, user_id, values = team_of(context, body), body["user"]["id"], _values(view)
    mentorship_id = int(json.loads(view.get("private_metadata") or "{}").get("m", 0))
    rating, decision = _selected(values, ids.MENTOR_IN_RATING), _selected(values, ids.MENTOR_IN_DECISION)
    if decision not in ("finish", "extend"):
        _errors(ack, {ids.MENTOR_IN_DECISION: "Choose whether to finish or to extend."})
        return
    try:
        with session_scope(deps.engine) as session:
            before = _state_of(session, team_id, mentorship_id)
            state = mentoring.wrap_up(
                session,
                team_id=team_id,
                mentorship_id=mentorship_id,
                user_id=user_id,
                rating=int(rating) if rating else None,
                word=_text(values, ids.MENTOR_IN_WORD),
                extend=decision == "extend",
                now=utcnow(),
            )
            if state == "completed" and before == "active":
                queue_ended(session, team_id, mentorship_id, user_id, state)
            if state == "completed":
                queue_unsent_offers(session, team_id)
                queue_demand(session, team_id, [_topic_of(session, mentorship_id)])
                info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
                home.queue_refresh(session, team_id, info.mentor_id, info.protege_id)
    except MentorError as exc:
        _errors(ack, _field_error(exc, values, ids.MENTOR_IN_RATING))
        return
    text = {
        "completed": "Thank you. The mentorship is completed for both of you. Your answer stays private.",
        "active": f"Thank you. The mentorship goes on for {mentoring.EXTENSION_WEEKS} more weeks; Knowhow checks in at the new end.",
    }.get(state or "", "This mentorship is already over. Thank you all the same.")
    ack(response_action="update", view=mb.done_view("Thank you", text))
    deps.wake_outbox()


def _request_of(session: Session, mentorship_id: int) -> int:
    return session.get(Mentorship, mentorship_id).request_id


def _topic_of(session: Session, mentorship_id: int) -> int:
    return session.get(Mentorship, mentorship_id).topic_id


# -- buttons --------------------------------------------------------------------------------------


def _action(body: dict) -> dict:
    return (body.get("actions") or [{}])[0]


def handle_open_form(deps: Deps, ack: Ack, body: dict, context: BoltContext, client) -> None:
    """A button that opens a form: pushed over the Mentor Center, or opened from a message (the
    Volunteer button on a call for volunteers)."""
    ack()
    action, team_id, user_id = _action(body), team_of(context, body), body["user"]["id"]
    kind = action.get("action_id")
    if kind == ids.MENTOR_OPEN_VOLUNTEER:
        value = action.get("value") or ""
        view = volunteer_view(deps, client, team_id, user_id, int(value) if value.isdigit() else None)
    elif kind == ids.MENTOR_OPEN_FIND:
        view = find_view(deps, client, team_id, user_id)
    elif kind == ids.MENTOR_OPEN_PROFILE:
        view = mb.profile_form(_profile(deps, client, team_id, user_id))
    else:  # MENTOR_OPEN_WRAP_UP, from a direct message
        with session_scope(deps.engine) as session:
            info = mentoring.mentorship(session, team_id=team_id, mentorship_id=int(action.get("value") or 0))
        if info is None or user_id not in (info.mentor_id, info.protege_id):
            return
        view = mb.wrap_up_form(info, user_id)
    if (body.get("view") or {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_withdraw(deps: Deps, ack: Ack, body: dict, context: BoltContext, client) -> None:
    ack()
    team_id, user_id = team_of(context, body), body["user"]["id"]
    request_id = int(_action(body).get("value") or 0)
    with session_scope(deps.engine) as session:
        topic_id = mentoring.topic_of_request(session, team_id=team_id, request_id=request_id)
        if mentoring.withdraw_request(
            session, team_id=team_id, request_id=request_id, protege_id=user_id, now=utcnow()
        ):
            queue_unsent_offers(session, team_id)  # a proposal it ended freed the mentor's place
            queue_demand(session, team_id, [topic_id])
            home.queue_refresh(session, team_id, user_id)
    client.views_update(view_id=body["view"]["id"], view=center_view(deps, client, team_id, user_id))
    deps.wake_outbox()


def handle_choose(deps: Deps, ack: Ack, body: dict, context: BoltContext, respond) -> None:
    ack()
    team_id, user_id = team_of(context, body), body["user"]["id"]
    request_id, round_, mentor_id = (_action(body).get("value") or "0:0:").split(":", 2)
    with session_scope(deps.engine) as session:
        chosen = mentoring.choose(
            session, team_id=team_id, request_id=int(request_id), protege_id=user_id, mentor_id=mentor_id, now=utcnow()
        )
        if chosen.outcome is mentoring.ChooseOutcome.ASKED:
            _enqueue(
                session,
                team_id,
                f"mentorship:{chosen.mentorship_id}:ask",
                kinds.OUTBOX_MENTOR_ASK,
                mentorship_id=chosen.mentorship_id,
            )
            info = mentoring.mentorship(session, team_id=team_id, mentorship_id=chosen.mentorship_id)
            home.queue_refresh(session, team_id, user_id, mentor_id)
        elif chosen.outcome is mentoring.ChooseOutcome.GONE:
            queue_offers(session, team_id, chosen, again=True)
            if not chosen.rounds:
                _enqueue(
                    session,
                    team_id,
                    f"mentor-request:{request_id}:gone-waiting:{round_}",
                    kinds.OUTBOX_MENTOR_WAITING,
                    request_id=int(request_id),
                )
    if chosen.outcome is mentoring.ChooseOutcome.ASKED:
        respond(**mb.answered(mb.asked(mentor_id, info.answer_by)["text"]))
    elif chosen.outcome is mentoring.ChooseOutcome.GONE:
        respond(
            **mb.answered(
                "That colleague can no longer take a protégé. Knowhow is looking again; a new message follows."
            )
        )
    else:
        respond(**mb.answered("This list is out of date. `/mentor` shows where your request stands."))
    deps.wake_outbox()


def handle_answer(deps: Deps, ack: Ack, body: dict, context: BoltContext, respond) -> None:
    ack()
    team_id, user_id = team_of(context, body), body["user"]["id"]
    action = _action(body)
    mentorship_id = int(action.get("value") or 0)
    accept = action.get("action_id") == ids.MENTOR_ACCEPT
    with session_scope(deps.engine) as session:
        done = mentoring.answer(
            session, team_id=team_id, mentorship_id=mentorship_id, mentor_id=user_id, accept=accept, now=utcnow()
        )
        info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
        if done.outcome is mentoring.AnswerOutcome.ACCEPTED:
            _enqueue(
                session,
                team_id,
                f"mentorship:{mentorship_id}:intro",
                kinds.OUTBOX_MENTOR_INTRO,
                mentorship_id=mentorship_id,
            )
        elif done.outcome is mentoring.AnswerOutcome.DECLINED:
            queue_after_proposal_ended(session, team_id, mentorship_id, done)
            queue_unsent_offers(session, team_id)  # the freed place may suit a request that was waiting
        if done.outcome is not mentoring.AnswerOutcome.STALE:
            queue_demand(session, team_id, [_topic_of(session, mentorship_id)])
            home.queue_refresh(session, team_id, info.mentor_id, info.protege_id)
    if done.outcome is mentoring.AnswerOutcome.ACCEPTED:
        respond(
            **mb.answered(
                f"You accepted. Knowhow is opening a conversation with you and <@{info.protege_id}> to introduce you."
            )
        )
    elif done.outcome is mentoring.AnswerOutcome.DECLINED:
        respond(
            **mb.answered(
                "You declined. The request goes back to its author to choose someone else; no reason is given."
            )
        )
    else:
        respond(
            **mb.answered(
                "This request has moved on (it was answered, withdrawn or ran out of time). Nothing more is needed."
            )
        )
    deps.wake_outbox()


def handle_met(deps: Deps, ack: Ack, body: dict, context: BoltContext, respond) -> None:
    ack()
    team_id, user_id = team_of(context, body), body["user"]["id"]
    action = _action(body)
    met = action.get("action_id", "")[len(ids.MENTOR_MET) + 1 :]
    mentorship_id = int(action.get("value") or 0)
    with session_scope(deps.engine) as session:
        before = _state_of(session, team_id, mentorship_id)
        state = mentoring.check_in(
            session, team_id=team_id, mentorship_id=mentorship_id, user_id=user_id, met=met, now=utcnow()
        )
        if state == "stopped" and before == "active" and met == "stopped":
            queue_ended(session, team_id, mentorship_id, user_id, state)
        if state == "stopped":
            queue_unsent_offers(session, team_id)
            queue_demand(session, team_id, [_topic_of(session, mentorship_id)])
            info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
            home.queue_refresh(session, team_id, info.mentor_id, info.protege_id)
    text = {
        "yes": "Good to hear. Knowhow checks in again at the end.",
        "not_yet": "Thanks. There is still time: a short first meeting is a good start.",
        "stopped": "The mentorship has ended for both of you. Thank you for trying it; `/mentor` is there when you want another.",
    }
    respond(
        **mb.answered(text.get(met, "Thanks.") if state else "This mentorship is already over. Thank you all the same.")
    )
    deps.wake_outbox()


# -- senders --------------------------------------------------------------------------------------


class _Sender:
    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        log.warning("%s for %s failed for good: %s", item.kind, item.dedupe_key, reason)


def _mentorship(ctx: SendContext, item: OutboxItem) -> mentoring.MentorshipInfo | None:
    with session_scope(ctx.engine) as session:
        return mentoring.mentorship(session, team_id=item.team_id, mentorship_id=item.payload["mentorship_id"])


class Candidates(_Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            offer = mentoring.on_offer(session, team_id=item.team_id, request_id=item.payload["request_id"])
        if offer is None or offer.state != "choosing" or offer.round != item.payload["round"] or not offer.candidates:
            return None  # a later round replaced it, or the protégé already chose
        ctx.client.chat_postMessage(
            channel=offer.protege_id,
            **mb.candidates(offer, again=item.payload.get("again", False), gone=item.payload.get("gone", False)),
        )
        return None


class Waiting(_Sender):
    def send(self, ctx, item):
        with session_scope(ctx.engine) as session:
            if "mentorship_id" in item.payload:
                info = mentoring.mentorship(session, team_id=item.team_id, mentorship_id=item.payload["mentorship_id"])
                request_id = _request_of(session, info.id) if info else None
            else:
                request_id = item.payload["request_id"]
            offer = mentoring.on_offer(session, team_id=item.team_id, request_id=request_id) if request_id else None
        if offer is None or offer.state != "waiting":
            return None
        ctx.client.chat_postMessage(
            channel=offer.protege_id, **mb.waiting(offer.topic, again=True, gone=item.payload.get("gone", False))
        )
        return None


class Ask(_Sender):
    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.state == "proposed":
            ctx.client.chat_postMessage(channel=info.mentor_id, **mb.ask_mentor(info))
        return None


class Intro(_Sender):
    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is None or info.state != "active" or info.group_channel:
            return None
        channel = ctx.client.conversations_open(users=f"{info.mentor_id},{info.protege_id}")["channel"]["id"]
        ctx.client.chat_postMessage(channel=channel, **mb.introduction(info))
        return lambda session: mentoring.set_group_channel(
            session, team_id=item.team_id, mentorship_id=info.id, channel_id=channel
        )


class Lapsed(_Sender):
    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.state == "expired":
            ctx.client.chat_postMessage(channel=info.mentor_id, **mb.lapsed(info))
        return None


class CheckIn(_Sender):
    def __init__(self, build):
        self.build = build

    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.state == "active":
            ctx.client.chat_postMessage(channel=item.payload["user_id"], **self.build(info, item.payload["user_id"]))
        return None


class Ended(_Sender):
    def send(self, ctx, item):
        info = _mentorship(ctx, item)
        if info is not None and info.state in ("completed", "stopped"):
            ctx.client.chat_postMessage(channel=item.payload["user_id"], **mb.ended(info, item.payload["by"]))
        return None


def _call_message(ctx: SendContext, item: OutboxItem):
    with session_scope(ctx.engine) as session:
        call = mentoring.get_call(session, team_id=item.team_id, call_id=item.payload["call_id"])
        if call is None:
            return None, None
        demand = mentoring.demand(session, team_id=item.team_id, topic_id=call.topic_id)
        message = mb.call(
            demand.topic,
            call.goals,
            call.weeks,
            call.hours_per_month,
            demand,
            ctx.settings.privacy_threshold,
            call.topic_id,
        )
        return (call.channel_id, call.message_ts, call.created_by), message


class Call(_Sender):
    def send(self, ctx, item):
        where, message = _call_message(ctx, item)
        if where is None or where[1]:
            return None
        channel, _, admin = where
        try:
            ts = post_joining(ctx, channel, message)["ts"]
        except SlackApiError as exc:
            error = (exc.response.data or {}).get("error")
            if error not in (
                "method_not_supported_for_channel_type",
                "is_private",
                "channel_not_found",
                "is_archived",
                "not_in_channel",
            ):
                raise
            ctx.client.chat_postMessage(
                channel=admin,
                text=f"Your call for volunteers could not be posted in <#{channel}> ({error}). "
                "Calls go in public channels Knowhow can join; run `/mentor broadcast` again and choose one.",
            )
            return None
        return lambda session: mentoring.set_call_post(
            session, team_id=item.team_id, call_id=item.payload["call_id"], ts=ts
        )


class CallRefresh(_Sender):
    def send(self, ctx, item):
        where, message = _call_message(ctx, item)
        if where is not None:
            update_message(ctx, where[0], where[1], message)
        return None


SENDERS = {
    kinds.OUTBOX_MENTOR_CANDIDATES: Candidates(),
    kinds.OUTBOX_MENTOR_WAITING: Waiting(),
    kinds.OUTBOX_MENTOR_ASK: Ask(),
    kinds.OUTBOX_MENTOR_INTRO: Intro(),
    kinds.OUTBOX_MENTOR_LAPSED: Lapsed(),
    kinds.OUTBOX_MENTOR_HALFWAY: CheckIn(mb.halfway),
    kinds.OUTBOX_MENTOR_END: CheckIn(mb.the_end),
    kinds.OUTBOX_MENTOR_ENDED: Ended(),
    kinds.OUTBOX_MENTOR_CALL: Call(),
    kinds.OUTBOX_MENTOR_CALL_REFRESH: CallRefresh(),
}


# -- the sweep (scheduler/jobs.py) --------------------------------------------------------------


def sweep(session: Session, now: datetime) -> int:
    """What time moves on: proposals that lapsed, halfway and end-of-term check-ins, terms nobody
    answered, and any round of candidates not yet queued. Idempotent: each is claimed once."""
    changed = 0
    touched: dict[str, set[int]] = {}
    for team_id, mentorship_id, offered in mentoring.expire_proposals(session, now=now):
        _enqueue(
            session,
            team_id,
            f"mentorship:{mentorship_id}:lapsed",
            kinds.OUTBOX_MENTOR_LAPSED,
            mentorship_id=mentorship_id,
        )
        queue_after_proposal_ended(session, team_id, mentorship_id, offered)
        touched.setdefault(team_id, set()).add(_topic_of(session, mentorship_id))
        changed += 1
    for kind, claimed in (
        (kinds.OUTBOX_MENTOR_HALFWAY, mentoring.due_halfway(session, now=now)),
        (kinds.OUTBOX_MENTOR_END, mentoring.due_end(session, now=now)),
    ):
        for team_id, mentorship_id in claimed:
            info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
            stamp = f"{info.ends_at:%Y%m%d}" if kind == kinds.OUTBOX_MENTOR_END else "1"
            for user in (info.mentor_id, info.protege_id):
                _enqueue(
                    session,
                    team_id,
                    f"mentorship:{mentorship_id}:{kind}:{stamp}:{user}",
                    kind,
                    mentorship_id=mentorship_id,
                    user_id=user,
                )
            changed += 1
    for team_id, mentorship_id in mentoring.finish_unanswered(session, now=now):
        touched.setdefault(team_id, set()).add(_topic_of(session, mentorship_id))
        changed += 1
    changed += queue_unsent_offers(session)
    for team_id, topic_ids in touched.items():
        queue_demand(session, team_id, topic_ids)
    return changed


def register(app: App, deps: Deps) -> None:
    @app.command(ids.MENTOR_COMMAND)
    def mentor_command(ack, command, context, client):
        try:
            handle_command(deps, ack, command, context, client)
        except Exception:
            log.exception("/mentor failed")
            ack(**mb.private("Sorry, that could not be done just now. Please try again in a minute."))

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
                ack(
                    response_action="errors",
                    errors={first: "Sorry, this could not be saved just now. Please try again in a minute."},
                )

        return form

    for callback_id, handler in forms.items():
        app.view(callback_id)(form_listener(handler))

    @app.view(ids.MENTOR_BROADCAST_MODAL)
    def broadcast_form(ack, body, view, context, client):
        handle_broadcast_form(deps, ack, body, view, context, client)

    def open_form(ack, body, context, client, respond):
        with said_on_failure(respond, "the form"):
            handle_open_form(deps, ack, body, context, client)

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
