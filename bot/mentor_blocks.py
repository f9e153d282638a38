"""Block Kit for the Mentor Center: pure functions from core's plain values to views and
messages. Everything here but `call` goes to one person (a modal or a direct message); `call` is
the only channel post, and it carries counts only, never a name."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot import ids
from bot.text import shown
from core import mentoring
from core.mentoring import Demand, MentorshipInfo, OnOffer, Profile, Status, TopicInfo
from core.privacy import count_text

View = dict[str, Any]
Message = dict[str, Any]

HELP = "\n".join(
    [
        "*Mentor Center:* `/mentor`",
        "`/mentor` opens the Mentor Center: your profile, your offer to mentor, your requests and mentorships.",
        "`/mentor volunteer` offers to mentor in topics you know; `/mentor find` asks for a mentor. Both are private.",
        "`/mentor pause` stops new matches for you as a mentor, `/mentor resume` restarts them, "
        "`/mentor leave` withdraws your offer (mentorships already running carry on).",
        "`/mentor topics` lists the mentoring topics. Admins: `/mentor topics add <topic>`, `/mentor topics remove <topic>`, "
        "and `/mentor broadcast` to call for volunteers in a channel.",
        "`/mentor scoreboard` shows what is happening across the workspace (admins: `/mentor scoreboard settings` for the weekly post).",
        "Knowhow introduces a mentor and a protégé privately; the mentoring itself happens between you and is never recorded.",
    ]
)

PRIVATE_NOTE = "Only you can see this. Requests, candidates and matches only ever travel by direct message."
FIRST_CONVERSATION = [
    "what each of you hopes to get out of the next weeks",
    "how often and where you will meet (30 to 60 minutes every two weeks works for many)",
    "one situation the protégé is facing right now",
]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:150], "emoji": True}


def _section(text: str, accessory: dict | None = None) -> dict[str, Any]:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
    if accessory:
        block["accessory"] = accessory
    return block


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def _button(
    text: str, action_id: str, value: str = "", style: str | None = None, confirm: dict | None = None
) -> dict[str, Any]:
    button = {"type": "button", "text": _plain(text), "action_id": action_id}
    if value:  # Slack refuses an empty value ("must be more than 0 characters"): leave it out
        button["value"] = value
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _date(at: datetime) -> str:
    """A date each reader sees in their own time zone."""
    return f"<!date^{int(at.timestamp())}^{{date_long}}|{at:%d %B %Y}>"


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def _input(
    block_id: str, label: str, element: dict, *, optional: bool = False, hint: str | None = None
) -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _text_input(
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
        element["placeholder"] = _plain(placeholder)
    return _input(block_id, label, element, optional=optional, hint=hint)


def topic_label(topic: TopicInfo) -> str:
    return topic.name if topic.curated else f"{topic.name} (suggested)"


def unlisted_requested(names: list[str]) -> str:
    """For admins under `/mentor topics`: topics protégés named in requests that are not on the list."""
    return (
        "\n\n*Asked for, not on the list* (only admins see this; `/mentor topics add <topic>` lists one)\n"
        + "\n".join(f"• {shown(n)}" for n in names)
    )


def private(text: str) -> Message:
    return {"response_type": "ephemeral", "text": text}


# -- the Mentor Center ------------------------------------------------------------------------


def _profile_line(profile: Profile) -> str:
    facts = [shown(profile.role) if profile.role else "_role not given_"]
    if profile.years_in_role is not None:
        facts.append(
            "less than a year in the role"
            if profile.years_in_role < 1
            else f"{profile.years_in_role} year{'s' if profile.years_in_role != 1 else ''} in the role"
        )
    facts.append(shown(profile.location) if profile.location else "_location not given_")
    if profile.tz:
        facts.append(f"time zone {shown(profile.tz)}")
    return " · ".join(facts)


REQUEST_STATE = {
    "waiting": "nobody fits yet: you will hear as soon as someone does",
    "choosing": "choose one of the candidates in your direct messages from Knowhow",
    "asking": "waiting for the mentor you chose to answer",
}


def center(status: Status) -> View:
    blocks: list[dict] = [
        _section(
            "Find a mentor among your colleagues, whatever their office, or offer to be one. "
            "Knowhow introduces you privately; the mentoring itself happens between the two of you."
        ),
        {"type": "divider"},
        _section(f"*Your profile*\n{_profile_line(status.profile)}", _button("Edit profile", ids.MENTOR_OPEN_PROFILE)),
    ]
    if status.volunteer is None:
        blocks.append(
            _section(
                "*Mentoring others*\nYou do not offer to mentor yet.",
                _button("Volunteer as a mentor", ids.MENTOR_OPEN_VOLUNTEER, style="primary"),
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
        blocks.append(_section("\n".join(lines), _button("Change my offer", ids.MENTOR_OPEN_VOLUNTEER)))
        for m in status.mentoring:
            what = (
                f"<@{m.protege_id}> asked you to mentor them in *{shown(m.topic)}*: waiting for your answer (by {_date(m.answer_by)})"
                if m.state == "proposed"
                else f"mentoring <@{m.protege_id}> in *{shown(m.topic)}* until {_date(m.ends_at)}"
            )
            blocks.append(_context(what))
        blocks.append(_context("`/mentor pause` stops new matches, `/mentor leave` withdraws your offer."))
    blocks.append({"type": "divider"})
    blocks.append(
        _section(
            "*Finding a mentor*\n" + ("" if status.requests or status.mentored else "You have no request open."),
            _button("Find a mentor", ids.MENTOR_OPEN_FIND, style=None if status.requests else "primary"),
        )
    )
    for r in status.requests:
        blocks.append(
            _section(
                f"*{shown(r.topic)}*: {REQUEST_STATE.get(r.state, r.state)}",
                _button("Withdraw", ids.MENTOR_WITHDRAW, str(r.request_id), confirm=_confirm_withdraw()),
            )
        )
    for m in status.mentored:
        blocks.append(_context(f"<@{m.mentor_id}> mentors you in *{shown(m.topic)}* until {_date(m.ends_at)}"))
    blocks.append(_context(PRIVATE_NOTE))
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_CENTER,
        "title": _plain("Mentor Center"),
        "close": _plain("Close"),
        "blocks": blocks,
    }


def _confirm_withdraw() -> dict:
    return {
        "title": _plain("Withdraw this request?"),
        "text": _plain("Knowhow stops looking for a mentor for it."),
        "confirm": _plain("Withdraw"),
        "deny": _plain("Keep it"),
    }


def _profile_inputs(profile: Profile) -> list[dict]:
    return [
        {"type": "header", "text": _plain("About you")},
        _text_input(
            ids.MENTOR_IN_ROLE,
            "Your role",
            profile.role,
            optional=True,
            hint="From your Slack title; change it if it says little.",
        ),
        _text_input(
            ids.MENTOR_IN_YEARS,
            "Years in this role",
            None if profile.years_in_role is None else str(profile.years_in_role),
            optional=True,
            max_length=2,
            placeholder="e.g. 3",
        ),
        _text_input(
            ids.MENTOR_IN_LOCATION,
            "Your location",
            profile.location,
            optional=True,
            hint="Your office or city. Matches can be in any location.",
        ),
    ]


def _topic_options(listed: list[TopicInfo]) -> list[dict]:
    return [_option(topic_label(t), str(t.id)) for t in listed[:100]]


def volunteer_form(
    listed: list[TopicInfo], profile: Profile, *, chosen: list[int], capacity: int = 1, note: str | None = None
) -> View:
    options = _topic_options(listed)
    blocks: list[dict] = [
        _section(
            "Offer to mentor colleagues in topics you know. Knowhow suggests you to people who ask, "
            "and asks you before any introduction: you can always say no."
        )
    ]
    if options:
        element: dict[str, Any] = {
            "type": "multi_static_select",
            "options": options,
            "max_selected_items": mentoring.MAX_TOPICS,
            "placeholder": _plain("Choose topics"),
        }
        initial = [o for o in options if int(o["value"]) in chosen]
        if initial:
            element["initial_options"] = initial
        blocks.append(_input(ids.MENTOR_IN_TOPICS, "Topics", element, optional=True))
    blocks.append(
        _text_input(
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
        _option(f"{n} protégé{'s' if n > 1 else ''} at once", str(n)) for n in range(1, mentoring.MAX_CAPACITY + 1)
    ]
    blocks.append(
        _input(
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
        _text_input(
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
        "title": _plain("Volunteer as a mentor"),
        "submit": _plain("Volunteer"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def find_form(listed: list[TopicInfo], profile: Profile) -> View:
    options = _topic_options(listed)
    blocks: list[dict] = [
        _section(
            "Ask for a mentor. This request is private: it is never posted in a channel. "
            "Knowhow shows you up to three colleagues who could help, and you choose."
        )
    ]
    if options:
        blocks.append(
            _input(
                ids.MENTOR_IN_TOPIC,
                "Topic",
                {"type": "static_select", "options": options, "placeholder": _plain("Choose a topic")},
                optional=True,
            )
        )
    blocks.append(
        _text_input(
            ids.MENTOR_IN_SUGGEST, "Or suggest a topic" if options else "Topic", optional=bool(options), max_length=50
        )
    )
    blocks.append(
        _text_input(
            ids.MENTOR_IN_GOAL,
            "What do you want to achieve?",
            multiline=True,
            max_length=mentoring.MAX_GOAL_CHARS,
            placeholder="e.g. I was just promoted to lead a team and want to get one-to-ones right",
        )
    )
    where = [_option("Any location", "any"), _option("My location", "same")]
    blocks.append(
        _input(
            ids.MENTOR_IN_LOCATION_PREF,
            "Where",
            {"type": "radio_buttons", "options": where, "initial_option": where[0]},
        )
    )
    roles = [
        _option("Anyone experienced in the topic", "any"),
        _option("Someone in a role like mine", "mine"),
        _option("Someone in the role I am moving into", "target"),
    ]
    blocks.append(
        _input(ids.MENTOR_IN_ROLE_PREF, "Who", {"type": "radio_buttons", "options": roles, "initial_option": roles[0]})
    )
    blocks.append(
        _text_input(
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
        "title": _plain("Find a mentor"),
        "submit": _plain("Find a mentor"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def profile_form(profile: Profile) -> View:
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_PROFILE_MODAL,
        "title": _plain("Your mentoring profile"),
        "submit": _plain("Save"),
        "close": _plain("Cancel"),
        "blocks": [
            *_profile_inputs(profile)[1:],
            _context("Your time zone comes from Slack: " + (shown(profile.tz) if profile.tz else "not set") + "."),
        ],
    }


def done_view(title: str, text: str) -> View:
    return {
        "type": "modal",
        "title": _plain(title),
        "close": _plain("Close"),
        "blocks": [_section(text), _context(PRIVATE_NOTE)],
    }


def broadcast_form(listed: list[TopicInfo], channel_id: str | None) -> View:
    options = _topic_options(listed)
    blocks: list[dict] = [
        _section(
            "Post a call for volunteers in a channel: the programme's goals, the commitment, and how many "
            "people are looking for a mentor (counts only; nobody is named)."
        )
    ]
    if options:
        blocks.append(
            _input(ids.MENTOR_IN_TOPIC, "Topic", {"type": "static_select", "options": options}, optional=True)
        )
    blocks.append(
        _text_input(
            ids.MENTOR_IN_SUGGEST, "Or a new topic" if options else "Topic", optional=bool(options), max_length=50
        )
    )
    blocks.append(
        _text_input(
            ids.MENTOR_IN_GOALS,
            "The programme's goals",
            multiline=True,
            max_length=mentoring.MAX_GOAL_CHARS,
            placeholder="e.g. Help new managers find their feet in their first year",
        )
    )
    blocks.append(_text_input(ids.MENTOR_IN_WEEKS, "Weeks", str(mentoring.DEFAULT_WEEKS), max_length=2))
    blocks.append(_text_input(ids.MENTOR_IN_HOURS, "Hours a month", "2", max_length=2))
    select: dict[str, Any] = {
        "type": "conversations_select",
        "filter": {"include": ["public"], "exclude_bot_users": True},
    }
    if channel_id and channel_id[0] == "C":
        select["initial_conversation"] = channel_id
    blocks.append(_input(ids.MENTOR_IN_CHANNEL, "Channel", select))
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_BROADCAST_MODAL,
        "title": _plain("Call for volunteers"),
        "submit": _plain("Post"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def wrap_up_form(m: MentorshipInfo, user_id: str) -> View:
    other = m.protege_id if user_id == m.mentor_id else m.mentor_id
    ratings = [_option(f"{n}", str(n)) for n in range(1, 6)]
    decisions = [
        _option("Finish: we are done", "finish"),
        _option(f"Extend by {mentoring.EXTENSION_WEEKS} weeks", "extend"),
    ]
    return {
        "type": "modal",
        "callback_id": ids.MENTOR_WRAP_UP_MODAL,
        "private_metadata": json.dumps({"m": m.id}),
        "title": _plain("How did it go?"),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "blocks": [
            _section(
                f"Your mentorship with <@{other}> in *{shown(m.topic)}*. Your answer is private: nobody else sees it."
            ),
            _input(
                ids.MENTOR_IN_RATING,
                "How did it go? (1 = not well, 5 = very well)",
                {"type": "radio_buttons", "options": ratings},
                optional=True,
            ),
            _text_input(
                ids.MENTOR_IN_WORD,
                "A word about it",
                multiline=True,
                optional=True,
                max_length=mentoring.MAX_NOTE_CHARS,
            ),
            # Nothing preselected: finishing ends it for both, so each person picks.
            _input(
                ids.MENTOR_IN_DECISION,
                "What next",
                {"type": "radio_buttons", "options": decisions},
                hint="Finishing ends the mentorship for both of you; the other person is told.",
            ),
        ],
    }


# -- direct messages --------------------------------------------------------------------------


def candidates(offer: OnOffer, *, again: bool, gone: bool = False) -> Message:
    lead = (
        "The mentor you chose cannot take this on. "
        if again
        else "Someone on your list of possible mentors can no longer mentor, so here is a new list. "
        if gone
        else ""
    ) + f"Colleagues who could mentor you in *{shown(offer.topic)}*. Choose one, and Knowhow asks them privately:"
    blocks = [_section(lead)]
    for mentor_id, why in offer.candidates:
        blocks.append(
            _section(
                f"<@{mentor_id}>\n{shown(why)}",
                _button("Choose", ids.MENTOR_CHOOSE, f"{offer.request_id}:{offer.round}:{mentor_id}", style="primary"),
            )
        )
    blocks.append(
        _context(
            "Only you can see these names. Whoever you choose has 3 days to answer; if they cannot, you choose again."
        )
    )
    return {"text": f"Mentors who could help you in {offer.topic}", "blocks": blocks}


def waiting(topic: str, *, again: bool, gone: bool = False) -> Message:
    text = (
        (
            "Nobody on your list of possible mentors can take this on any more, and nobody else"
            if gone
            else "The mentor you chose cannot take this on, and nobody else"
            if again
            else "Nobody"
        )
        + f" fits your request in *{shown(topic)}* right now. It stays open: Knowhow writes to you as soon as a suitable volunteer appears."
    )
    return {
        "text": text,
        "blocks": [_section(text), _context("`/mentor` shows your requests; you can withdraw one there.")],
    }


def asked(mentor_id: str, answer_by: datetime) -> Message:
    text = f"Knowhow asked <@{mentor_id}> privately. They have until {_date(answer_by)} to answer; you will hear either way."
    return {"text": text, "blocks": [_section(text)]}


def ask_mentor(m: MentorshipInfo) -> Message:
    text = (
        f"<@{m.protege_id}> would like you as their mentor in *{shown(m.topic)}*, for {m.weeks} weeks.\n"
        f">{shown(m.goal)[:2500]}"
    )
    return {
        "text": f"Would you mentor someone in {m.topic}?",
        "blocks": [
            _section(text),
            {
                "type": "actions",
                "block_id": f"mentor_answer_{m.id}",
                "elements": [
                    _button("Accept", ids.MENTOR_ACCEPT, str(m.id), style="primary"),
                    _button("Decline", ids.MENTOR_DECLINE, str(m.id)),
                ],
            },
            _context(
                f"Please answer by {_date(m.answer_by)}. Declining needs no reason and nobody else is told who declined."
            ),
        ],
    }


def answered(text: str) -> Message:
    return {"text": text, "blocks": [_section(text)], "replace_original": True}


def introduction(m: MentorshipInfo) -> Message:
    lines = [
        f"<@{m.mentor_id}>, meet <@{m.protege_id}>. <@{m.mentor_id}> has agreed to mentor <@{m.protege_id}> in *{shown(m.topic)}*.",
        f"*What <@{m.protege_id}> wants to achieve*\n>{shown(m.goal)[:2000]}",
        f"*How long*: {m.weeks} weeks, until {_date(m.ends_at)}. Knowhow checks in with each of you halfway and at the end, privately.",
    ]
    if m.note:
        lines.append(f"*A note from <@{m.mentor_id}>*\n>{shown(m.note)[:800]}")
    lines.append("*For a first conversation*\n" + "\n".join(f"• {s}" for s in FIRST_CONVERSATION))
    return {
        "text": f"An introduction: mentoring in {m.topic}",
        "blocks": [_section(line) for line in lines]
        + [_context("Knowhow reads nothing of this conversation; it is yours.")],
    }


def lapsed(m: MentorshipInfo) -> Message:
    text = (
        f"<@{m.protege_id}>'s request for you to mentor them in *{shown(m.topic)}* had no answer in 3 days, so it has lapsed: "
        f"<@{m.protege_id}> has been told, and Knowhow is looking for another mentor for them. Nothing else is needed from you."
    )
    return {"text": text, "blocks": [_section(text)]}


def ended(m: MentorshipInfo, by: str) -> Message:
    """To the other person, when one of the two finished or stopped the mentorship."""
    if m.state == "stopped":
        text = (
            f"<@{by}> has ended your mentorship in *{shown(m.topic)}*, so it is over for both of you. "
            "Nobody else is told. Thank you for trying it; `/mentor` is there when you want another."
        )
    else:
        text = (
            f"<@{by}> has marked your mentorship in *{shown(m.topic)}* as finished, so it is completed for both of you. "
            "You can still say how it went with the *How did it go?* button in Knowhow's end-of-term message; your answer stays private."
        )
    return {"text": text, "blocks": [_section(text)]}


def halfway(m: MentorshipInfo, user_id: str) -> Message:
    other = m.protege_id if user_id == m.mentor_id else m.mentor_id
    return {
        "text": "Halfway through your mentorship: have you met?",
        "blocks": [
            _section(f"You are halfway through your mentorship with <@{other}> in *{shown(m.topic)}*. Have you met?"),
            {
                "type": "actions",
                "block_id": f"mentor_met_{m.id}",
                "elements": [
                    _button("Yes", f"{ids.MENTOR_MET}_yes", str(m.id), style="primary"),
                    _button("Not yet", f"{ids.MENTOR_MET}_not_yet", str(m.id)),
                    _button(
                        "We've stopped",
                        f"{ids.MENTOR_MET}_stopped",
                        str(m.id),
                        confirm={
                            "title": _plain("End the mentorship?"),
                            "text": _plain("It ends for both of you; nobody is told why."),
                            "confirm": _plain("End it"),
                            "deny": _plain("Go back"),
                        },
                    ),
                ],
            },
            _context("Your answer is private."),
        ],
    }


def the_end(m: MentorshipInfo, user_id: str) -> Message:
    other = m.protege_id if user_id == m.mentor_id else m.mentor_id
    return {
        "text": "Your mentorship has reached its end: how did it go?",
        "blocks": [
            _section(
                f"Your {m.weeks} weeks of mentoring with <@{other}> in *{shown(m.topic)}* are over. How did it go? "
                f"You can finish, or extend by {mentoring.EXTENSION_WEEKS} weeks.",
                _button("How did it go?", ids.MENTOR_OPEN_WRAP_UP, str(m.id), style="primary"),
            ),
            _context("Your answer is private. Without an answer, the mentorship counts as completed in two weeks."),
        ],
    }


# -- the channel post -------------------------------------------------------------------------


def call(topic: str, goals: str, weeks: int, hours: int, demand: Demand, threshold: int, topic_id: int) -> Message:
    """A call for volunteers. Counts only, each behind the privacy threshold; no names."""
    seeking, volunteers = count_text(demand.seeking, threshold), count_text(demand.volunteers, threshold)
    lines = [
        f"*Become a mentor in {shown(topic)}*",
        shown(goals)[:2000],
        f"*The commitment*: {weeks} weeks, about {hours} hour{'s' if hours != 1 else ''} a month, at times you agree together.",
        f"*Right now*: {seeking[0].upper() + seeking[1:]} {'person is' if seeking == '1' else 'people are'} looking for a mentor "
        f"in {shown(topic)}; {volunteers} {'colleague volunteers' if volunteers == '1' else 'colleagues volunteer'} with a place free.",
    ]
    return {
        "text": f"Become a mentor in {topic}",
        "blocks": [
            _section("\n\n".join(lines)),
            {
                "type": "actions",
                "block_id": "mentor_call",
                "elements": [
                    _button("Volunteer", ids.MENTOR_OPEN_VOLUNTEER, str(topic_id), style="primary"),
                ],
            },
            _context(
                "Volunteering opens a private form. Knowhow asks you before any introduction, and you can pause or leave at any time."
            ),
        ],
        "unfurl_links": False,
    }
