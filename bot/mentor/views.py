"""The Mentor Center's modals as a person opens them: their profile (with what Slack says of
them) read fresh, the view built, and opened or pushed."""

from __future__ import annotations

import logging

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from bot.blockkit import private
from bot.deps import Deps
from bot.mentor import modals
from core import mentoring
from core.clock import utcnow
from core.mentoring import SlackPerson
from storage.db import session_scope

log = logging.getLogger(__name__)


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


def profile_of(deps: Deps, client, team_id: str, user_id: str) -> mentoring.Profile:
    """The person's profile, its time zone refreshed from Slack."""
    person = slack_person(client, user_id)
    with session_scope(deps.engine) as session:
        return mentoring.ensure_profile(session, team_id=team_id, user_id=user_id, slack=person, now=utcnow())


def center_view(deps: Deps, client, team_id: str, user_id: str) -> dict:
    profile = profile_of(deps, client, team_id, user_id)
    with session_scope(deps.engine) as session:
        return modals.center(mentoring.status(session, team_id=team_id, user_id=user_id, profile=profile))


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


def open_modal(ack: Ack, client, trigger_id: str, view: dict, what: str) -> None:
    """Open a modal in answer to a command; when Slack refuses, the command's answer says so."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("/mentor: %s could not be opened (%s)", what, (exc.response.data or {}).get("error"))
        ack(**private(f"Sorry, {what} could not open just now. Please try `/mentor` again."))
        return
    ack()
