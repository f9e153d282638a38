"""The Mentor Center's modals as a person opens them: their profile (with what Slack says of
them) read fresh, the view built, and opened or pushed."""

from __future__ import annotations

import logging
from dataclasses import replace

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from bot.ackbudget import SlackSlow, briefly
from bot.blockkit import private
from bot.deps import Deps
from bot.mentor import modals
from core import mentoring
from core.clock import utcnow
from core.mentoring import SlackPerson
from storage.db import session_scope

log = logging.getLogger(__name__)


# The labels of a workspace's custom profile fields that say where someone is, best first.
LOCATION_LABELS = ("location", "office", "office location", "work location", "city", "based in", "site")


def location_field(deps: Deps, client, team_id: str) -> tuple[str, str] | None:
    """The workspace's custom profile field that says where someone is (team.profile.get, the
    `users.profile:read` scope), as (id, label); None when it has none. Remembered a while."""
    key = ("location-field", client.token, team_id)
    known = deps.ack_budget.memory.get(key)
    if known is not None:
        return known or None
    fields = (client.team_profile_get().get("profile") or {}).get("fields") or []
    by_label = {(f.get("label") or "").strip().lower(): f for f in fields if not f.get("is_hidden")}
    best = next((by_label[label] for label in LOCATION_LABELS if label in by_label), None)
    found = (best["id"], best["label"].strip()) if best else ()
    deps.ack_budget.memory.put(key, found)
    return found or None


def slack_person(deps: Deps, client, team_id: str, user_id: str) -> SlackPerson | None:
    """Title and time zone from users.info, and where the person is from the workspace's location
    field (users.profile.get: users.info has no custom fields); None when Slack cannot say (the
    profile keeps what it has), or not in time: before the ack, the modal to open after it needs
    the rest of the budget. Without the custom field's answer the rest still counts."""
    try:
        with briefly(client):
            user = client.users_info(user=user_id).get("user") or {}
    except SlackSlow as exc:
        log.info("users.info for %s did not come in time (%s): the profile stays as it is", user_id, exc)
        return None
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, (exc.response.data or {}).get("error"))
        return None
    person = SlackPerson(
        title=(user.get("profile") or {}).get("title") or None,
        tz=user.get("tz"),
        tz_offset=int(user.get("tz_offset") or 0),
    )
    try:
        with briefly(client):
            field = location_field(deps, client, team_id)
            if field is None:
                return person
            values = (client.users_profile_get(user=user_id).get("profile") or {}).get("fields") or {}
    except (SlackSlow, SlackApiError) as exc:
        log.info("the location field of %s was not read (%s): the location stays as it is", user_id, exc)
        return replace(person, fields_read=False)
    value = ((values.get(field[0]) or {}).get("value") or "").strip()
    return replace(person, location=value or None, location_field=field[1] if value else None)


def profile_of(deps: Deps, client, team_id: str, user_id: str) -> mentoring.Profile:
    """The person's profile, its time zone (and a location taken from Slack) refreshed."""
    person = slack_person(deps, client, team_id, user_id)
    with session_scope(deps.engine) as session:
        return mentoring.ensure_profile(session, team_id=team_id, user_id=user_id, slack=person, now=utcnow())


def center_view(deps: Deps, client, team_id: str, user_id: str, *, notice: str | None = None) -> dict:
    """The Mentor Center as it stands; `notice`: a word for the person at its top."""
    profile = profile_of(deps, client, team_id, user_id)
    with session_scope(deps.engine) as session:
        return modals.center(
            mentoring.status(session, team_id=team_id, user_id=user_id, profile=profile), notice=notice
        )


def volunteer_view(deps: Deps, client, team_id: str, user_id: str, topic_id: int | None = None) -> dict:
    profile = profile_of(deps, client, team_id, user_id)
    with session_scope(deps.engine) as session:
        status = mentoring.status(session, team_id=team_id, user_id=user_id, profile=profile)
        chosen = [t.id for t in status.volunteer_topics] + ([topic_id] if topic_id else [])
        offer = status.volunteer
        return modals.volunteer_form(
            mentoring.topic_list(session, team_id=team_id),
            profile,
            chosen=chosen,
            capacity=offer.capacity if offer else 1,
            note=offer.note if offer else None,
        )


def find_view(deps: Deps, client, team_id: str, user_id: str) -> dict:
    profile = profile_of(deps, client, team_id, user_id)
    with session_scope(deps.engine) as session:
        return modals.find_form(mentoring.topic_list(session, team_id=team_id), profile)


def open_modal(ack: Ack, client, trigger_id: str, view: dict, what: str, again: str = "/mentor") -> None:
    """Open a modal in answer to a command (`client` on the ack's budget: the trigger_id expires
    with the 3 seconds); when Slack refuses, or does not answer in time, the answer says so."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackSlow as exc:
        log.warning("/mentor: Slack did not open %s in time (%s)", what, exc)
        ack(**private(not_in_time(what, f"Please run `{again}` again in a moment.")))
        return
    except SlackApiError as exc:
        log.warning("/mentor: %s could not be opened (%s)", what, (exc.response.data or {}).get("error"))
        ack(**private(f"Sorry, {what} could not open just now. Please try `/mentor` again."))
        return
    ack()


def not_in_time(what: str, again: str) -> str:
    """What a person is told when Slack did not open a form before its trigger expired."""
    return f"Slack did not open {what} in time. {again}"
