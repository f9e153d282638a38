"""Block Kit for the Mentor Center's modals: the Center itself and its forms (volunteer, find a
mentor, profile, a call for volunteers, the end-of-term wrap-up). Everything here is seen by one
person."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.blockkit import button, context, option, plain, section
from bot.mentor.blocks import PRIVATE_NOTE, long_date, topic_label
from bot.text import mention, shown
from core import mentoring
from core.mentoring import (
    FROM_FIELD,
    FROM_TZ,
    MentorshipInfo,
    MentorshipState,
    Profile,
    RequestState,
    Status,
    TopicInfo,
)

View = dict[str, Any]


def input_block(
    block_id: str, label: str, element: dict, *, optional: bool = False, hint: str | None = None
) -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def text_input(
    block_id: str,
    label: str,
    initial: str | None = None,
    *,
    multiline: bool = False,
    optional: bool = False,
    max_length: int = 100,
    hint: str | None = None,
    placeholder: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return input_block(block_id, label, element, optional=optional, hint=hint)


# -- the Mentor Center ------------------------------------------------------------------------


def location_source(profile: Profile) -> str | None:
    """Where a location Knowhow took from Slack came from, so the person can see why and correct it."""
    source = profile.location_source or ""
    if source.startswith(FROM_FIELD):
        return f"from your Slack profile's {shown(source[len(FROM_FIELD) :])} field"
    if source == FROM_TZ:
        return f"from your Slack time zone, {shown(profile.tz)}" if profile.tz else "from your Slack time zone"
    return None


def profile_line(profile: Profile) -> str:
    facts = [shown(profile.role) if profile.role else "_role not given_"]
    if profile.years_in_role is not None:
        facts.append(
            "less than a year in the role"
            if profile.years_in_role < 1
            else f"{profile.years_in_role} year{'s' if profile.years_in_role != 1 else ''} in the role"
        )
    if profile.location:
        where = location_source(profile)
        facts.append(
            shown(profile.location) + (f" _({where}: edit your profile if you are elsewhere)_" if where else "")
        )
    else:
        facts.append("_location not given_")
    if profile.tz:
        facts.append(f"time zone {shown(profile.tz)}")
    return " · ".join(facts)


REQUEST_STATE = {
    RequestState.WAITING: "nobody fits yet: you will hear as soon as someone does",
    RequestState.CHOOSING: "choose one of the candidates in your direct messages from Knowhow",
    RequestState.ASKING: "waiting for the mentor you chose to answer",
}


def center(status: Status, *, notice: str | None = None) -> View:
    blocks: list[dict] = [section(f":warning: {notice}")] if notice else []
    blocks += [
        section(
            "Find a mentor among your colleagues, whatever their office, or offer to be one. "
            "Knowhow introduces you privately; the mentoring itself happens between the two of you."
        ),
        {"type": "divider"},
        section(f"*Your profile*\n{profile_line(status.profile)}", button("Edit profile", ids.MENTOR_OPEN_PROFILE)),
    ]
    if status.volunteer is None:
        blocks.append(
            section(
                "*Mentoring others*\nYou do not offer to mentor yet.",
                button("Volunteer as a mentor", ids.MENTOR_OPEN_VOLUNTEER, style="primary"),
            )
        )
    else:
        offer = status.volunteer
        taken = len(status.mentoring)
        lines = [
            "*Mentoring others*",
            "Topics: " + (", ".join(shown(topic_label(t)) for t in status.volunteer_topics) or "none"),
            f"Places: {taken} of {offer.capacity} taken"
            + (" · *paused*: no new matches (`/mentor resume`)" if offer.paused else ""),
        ]
        blocks.append(section("\n".join(lines), button("Change my offer", ids.MENTOR_OPEN_VOLUNTEER)))
        for m in status.mentoring:
            what = (
                f"{mention(m.protege_id, start=True)} asked you to mentor them in *{shown(m.topic)}*: waiting for your answer (by {long_date(m.answer_by)})"
                if m.state == MentorshipState.PROPOSED
                else f"mentoring {mention(m.protege_id)} in *{shown(m.topic)}* until {long_date(m.ends_at)}"
            )
            blocks.append(context(what))
        blocks.append(context("`/mentor pause` stops new matches, `/mentor leave` withdraws your offer."))
    blocks.append({"type": "divider"})
    blocks.append(
        section(
            "*Finding a mentor*\n" + ("" if status.requests or status.mentored else "You have no request open."),
            button("Find a mentor", ids.MENTOR_OPEN_FIND, style=None if status.requests else "primary"),
        )
    )
    for r in status.requests:
        blocks.append(
            section(
                f"*{shown(r.topic)}*: {REQUEST_STATE.get(r.state, r.state)}",
                button("Withdraw", ids.MENTOR_WITHDRAW, str(r.request_id), confirm=_confirm_withdraw()),
            )
        )
    for m in status.mentored:
        blocks.append(
            context(
                f"{mention(m.mentor_id, start=True)} mentors you in *{shown(m.topic)}* until {long_date(m.ends_at)}"
            )
        )
    blocks.append(context(PRIVATE_NOTE))
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_CENTER,
        "title": plain("Mentor Center"),
        "close": plain("Close"),
        "blocks": blocks,
    }


def _confirm_withdraw() -> dict:
    return {
        "title": plain("Withdraw this request?"),
        "text": plain("Knowhow stops looking for a mentor for it."),
        "confirm": plain("Withdraw"),
        "deny": plain("Keep it"),
    }


def _profile_inputs(profile: Profile) -> list[dict]:
    return [
        {"type": "header", "text": plain("About you")},
        text_input(
            ids.MENTOR_IN_ROLE,
            "Your role",
            profile.role,
            optional=True,
            hint="From your Slack title; change it if it says little.",
        ),
        text_input(
            ids.MENTOR_IN_YEARS,
            "Years in this role",
            None if profile.years_in_role is None else str(profile.years_in_role),
            optional=True,
            max_length=2,
            placeholder="e.g. 3",
        ),
        text_input(
            ids.MENTOR_IN_LOCATION,
            "Your location",
            profile.location,
            optional=True,
            hint=(
                f"{where[0].upper()}{where[1:]}; change it if you are elsewhere. "
                if (where := location_source(profile))
                else ""
            )
            + "Your office or city. Matches can be in any location.",
        ),
    ]


def _topic_options(listed: list[TopicInfo]) -> list[dict]:
    return [option(topic_label(t), str(t.id)) for t in listed[:100]]


def volunteer_form(
    listed: list[TopicInfo], profile: Profile, *, chosen: list[int], capacity: int = 1, note: str | None = None
) -> View:
    options = _topic_options(listed)
    blocks: list[dict] = [
        section(
            "Offer to mentor colleagues in topics you know. Knowhow suggests you to people who ask, "
            "and asks you before any introduction: you can always say no."
        )
    ]
    if options:
        element: dict[str, Any] = {
            "type": "multi_static_select",
            "options": options,
            "max_selected_items": mentoring.MAX_TOPICS,
            "placeholder": plain("Choose topics"),
        }
        initial = [o for o in options if int(o["value"]) in chosen]
        if initial:
            element["initial_options"] = initial
        blocks.append(input_block(ids.MENTOR_IN_TOPICS, "Topics", element, optional=True))
    blocks.append(
        text_input(
            ids.MENTOR_IN_SUGGEST,
            "Suggest a topic" if options else "Topic",
            optional=bool(options),
            max_length=50,
            hint="A topic not on the list yet. It is added as a suggestion."
            if options
            else "The list is empty: name the first topic.",
        )
    )
    capacities = [
        option(f"{n} protégé{'s' if n > 1 else ''} at once", str(n)) for n in range(1, mentoring.MAX_CAPACITY + 1)
    ]
    blocks.append(
        input_block(
            ids.MENTOR_IN_CAPACITY,
            "How many protégés at once",
            {
                "type": "static_select",
                "options": capacities,
                "initial_option": capacities[max(min(capacity, len(capacities)), 1) - 1],
            },
        )
    )
    blocks.append(
        text_input(
            ids.MENTOR_IN_NOTE,
            "A note for your protégés",
            note,
            multiline=True,
            optional=True,
            max_length=mentoring.MAX_NOTE_CHARS,
            hint="Shown to a protégé only once you accept them.",
        )
    )
    blocks += _profile_inputs(profile)
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_VOLUNTEER_MODAL,
        "title": plain("Volunteer as a mentor"),
        "submit": plain("Volunteer"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def find_form(listed: list[TopicInfo], profile: Profile) -> View:
    options = _topic_options(listed)
    blocks: list[dict] = [
        section(
            "Ask for a mentor. This request is private: it is never posted in a channel. "
            "Knowhow shows you up to three colleagues who could help, and you choose."
        )
    ]
    if options:
        blocks.append(
            input_block(
                ids.MENTOR_IN_TOPIC,
                "Topic",
                {"type": "static_select", "options": options, "placeholder": plain("Choose a topic")},
                optional=True,
            )
        )
    blocks.append(
        text_input(
            ids.MENTOR_IN_SUGGEST, "Or suggest a topic" if options else "Topic", optional=bool(options), max_length=50
        )
    )
    blocks.append(
        text_input(
            ids.MENTOR_IN_GOAL,
            "What do you want to achieve?",
            multiline=True,
            max_length=mentoring.MAX_GOAL_CHARS,
            placeholder="e.g. I was just promoted to lead a team and want to get one-to-ones right",
        )
    )
    where = [option("Any location", "any"), option("My location", "same")]
    blocks.append(
        input_block(
            ids.MENTOR_IN_LOCATION_PREF,
            "Where",
            {"type": "radio_buttons", "options": where, "initial_option": where[0]},
        )
    )
    roles = [
        option("Anyone experienced in the topic", "any"),
        option("Someone in a role like mine", "mine"),
        option("Someone in the role I am moving into", "target"),
    ]
    blocks.append(
        input_block(
            ids.MENTOR_IN_ROLE_PREF, "Who", {"type": "radio_buttons", "options": roles, "initial_option": roles[0]}
        )
    )
    blocks.append(
        text_input(
            ids.MENTOR_IN_TARGET_ROLE,
            "The role you are moving into",
            optional=True,
            placeholder="e.g. Engineering Manager",
        )
    )
    blocks += _profile_inputs(profile)
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_FIND_MODAL,
        "title": plain("Find a mentor"),
        "submit": plain("Find a mentor"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def profile_form(profile: Profile) -> View:
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_PROFILE_MODAL,
        "title": plain("Your mentoring profile"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            *_profile_inputs(profile)[1:],
            context("Your time zone comes from Slack: " + (shown(profile.tz) if profile.tz else "not set") + "."),
        ],
    }


def done_view(title: str, text: str) -> View:
    return {
        "type": "modal",
        "title": plain(title),
        "close": plain("Close"),
        "blocks": [section(text), context(PRIVATE_NOTE)],
    }


def broadcast_form(listed: list[TopicInfo], channel_id: str | None) -> View:
    options = _topic_options(listed)
    blocks: list[dict] = [
        section(
            "Post a call for volunteers in a channel: the programme's goals, the commitment, and how many "
            "people are looking for a mentor (counts only; nobody is named)."
        )
    ]
    if options:
        blocks.append(
            input_block(ids.MENTOR_IN_TOPIC, "Topic", {"type": "static_select", "options": options}, optional=True)
        )
    blocks.append(
        text_input(
            ids.MENTOR_IN_SUGGEST, "Or a new topic" if options else "Topic", optional=bool(options), max_length=50
        )
    )
    blocks.append(
        text_input(
            ids.MENTOR_IN_GOALS,
            "The programme's goals",
            multiline=True,
            max_length=mentoring.MAX_GOAL_CHARS,
            placeholder="e.g. Help new managers find their feet in their first year",
        )
    )
    blocks.append(text_input(ids.MENTOR_IN_WEEKS, "Weeks", str(mentoring.DEFAULT_WEEKS), max_length=2))
    blocks.append(text_input(ids.MENTOR_IN_HOURS, "Hours a month", "2", max_length=2))
    select: dict[str, Any] = {
        "type": "conversations_select",
        "filter": {"include": ["public"], "exclude_bot_users": True},
    }
    if channel_id and channel_id[0] == "C":
        select["initial_conversation"] = channel_id
    blocks.append(input_block(ids.MENTOR_IN_CHANNEL, "Channel", select))
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_BROADCAST_MODAL,
        "title": plain("Call for volunteers"),
        "submit": plain("Post"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def wrap_up_form(m: MentorshipInfo, user_id: str) -> View:
    other = m.protege_id if user_id == m.mentor_id else m.mentor_id
    ratings = [option(f"{n}", str(n)) for n in range(1, 6)]
    decisions = [
        option("Finish: we are done", "finish"),
        option(f"Extend by {mentoring.EXTENSION_WEEKS} weeks", "extend"),
    ]
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_WRAP_UP_MODAL,
        "private_metadata": json.dumps({"m": m.id}),
        "title": plain("How did it go?"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": [
            section(
                f"Your mentorship with {mention(other)} in *{shown(m.topic)}*. Your answer is private: nobody else sees it."
            ),
            input_block(
                ids.MENTOR_IN_RATING,
                "How did it go? (1 = not well, 5 = very well)",
                {"type": "radio_buttons", "options": ratings},
                optional=True,
            ),
            text_input(
                ids.MENTOR_IN_WORD,
                "A word about it",
                multiline=True,
                optional=True,
                max_length=mentoring.MAX_NOTE_CHARS,
            ),
            # Nothing preselected: finishing ends it for both, so each person picks.
            input_block(
                ids.MENTOR_IN_DECISION,
                "What next",
                {"type": "radio_buttons", "options": decisions},
                hint="Finishing ends the mentorship for both of you; the other person is told.",
            ),
        ],
    }
