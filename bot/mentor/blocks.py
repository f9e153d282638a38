"""Block Kit for the Mentor Center's messages: pure functions from core's plain values to what
one person reads in a direct message or a command's answer, and the one channel post, `call`,
which carries counts only, never a name. The modals are in bot.mentor.modals."""

from __future__ import annotations

from datetime import datetime

from bot import ids
from bot.blockkit import Message, button, context, on, plain, said, section
from bot.text import mention, shown
from core import mentoring
from core.mentoring import MentorshipInfo, MentorshipState, OnOffer, TopicInfo
from core.scoreboard import TopicDemand
from storage.erasure import FORMER_MEMBER

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
        "`/mentor retention` shows how long Knowhow keeps what it no longer needs (admins change it).",
        "Knowhow introduces a mentor and a protégé privately; the mentoring itself happens between you and is never recorded.",
    ]
)

PRIVATE_NOTE = "Only you can see this. Requests, candidates and matches only ever travel by direct message."
FIRST_CONVERSATION = [
    "what each of you hopes to get out of the next weeks",
    "how often and where you will meet (30 to 60 minutes every two weeks works for many)",
    "one situation the protégé is facing right now",
]


def long_date(at: datetime) -> str:
    """A date each reader sees in their own time zone, in Knowhow's one style (bot.blockkit)."""
    return on(at)


def topic_label(topic: TopicInfo) -> str:
    return topic.name if topic.curated else f"{topic.name} (suggested)"


def unlisted_requested(names: list[str]) -> str:
    """For admins under `/mentor topics`: topics protégés named in requests that are not on the list."""
    return (
        "\n\n*Asked for, not on the list* (only admins see this; `/mentor topics add <topic>` lists one)\n"
        + "\n".join(f"• {shown(n)}" for n in names)
    )


# -- direct messages --------------------------------------------------------------------------


def candidates(offer: OnOffer, *, again: bool, gone: bool = False) -> Message:
    lead = (
        "The mentor you chose cannot take this on. "
        if again
        else "Someone on your list of possible mentors can no longer mentor, so here is a new list. "
        if gone
        else ""
    ) + f"Colleagues who could mentor you in *{shown(offer.topic)}*. Choose one, and Knowhow asks them privately:"
    blocks = [section(lead)]
    for mentor_id, why in offer.candidates:
        blocks.append(
            section(
                f"{mention(mentor_id, start=True)}\n{shown(why)}",
                button("Choose", ids.MENTOR_CHOOSE, f"{offer.request_id}:{offer.round}:{mentor_id}", style="primary"),
            )
        )
    blocks.append(
        context(
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
        **said(text, context("`/mentor` shows your requests; you can withdraw one there.")),
    }


def asked(mentor_id: str, answer_by: datetime) -> Message:
    text = f"Knowhow asked {mention(mentor_id)} privately. They have until {long_date(answer_by)} to answer; you will hear either way."
    return said(text)


def asked_now(m: MentorshipInfo) -> Message:
    """The protégé's message about the mentor they asked, as it stands now: it never still says
    "you will hear" once they have."""
    if m.state == MentorshipState.PROPOSED:
        return asked(m.mentor_id, m.answer_by)
    if m.state in (MentorshipState.ACTIVE, MentorshipState.COMPLETED, MentorshipState.STOPPED):
        text = (
            f":tada: {mention(m.mentor_id)} accepted to mentor you in *{shown(m.topic)}*. "
            "Knowhow introduced you to each other in a conversation with both of you."
        )
    elif m.state in (MentorshipState.DECLINED, MentorshipState.EXPIRED):
        text = (
            f"{mention(m.mentor_id, start=True)} cannot take this on. Knowhow has written to you again with what comes next; "
            "`/mentor` shows where your request stands."
        )
    else:
        text = "This request has moved on. `/mentor` shows where it stands."
    return said(text)


def ask_mentor(m: MentorshipInfo) -> Message:
    text = (
        f"{mention(m.protege_id, start=True)} would like you as their mentor in *{shown(m.topic)}*, for {m.weeks} weeks.\n"
        f">{shown(m.goal)[:2500]}"
    )
    return {
        "text": f"Would you mentor someone in {m.topic}?",
        "blocks": [
            section(text),
            {
                "type": "actions",
                "block_id": f"mentor_answer_{m.id}",
                "elements": [
                    button("Accept", ids.MENTOR_ACCEPT, str(m.id), style="primary"),
                    button("Decline", ids.MENTOR_DECLINE, str(m.id)),
                ],
            },
            context(
                f"Please answer by {long_date(m.answer_by)}. Declining needs no reason and nobody else is told who declined."
            ),
        ],
    }


def answered(text: str) -> Message:
    return {**said(text), "replace_original": True}


def introduction(m: MentorshipInfo) -> Message:
    lines = [
        f"{mention(m.protege_id, start=True)}, meet {mention(m.mentor_id)}, who has agreed to mentor you in *{shown(m.topic)}*.",
        f"*The goal*\n>{shown(m.goal)[:2000]}",
        f"*How long*: {m.weeks} weeks, until {long_date(m.ends_at)}. Knowhow checks in with each of you halfway and at the end, privately.",
    ]
    if m.note:
        lines.append(f"*A note from your mentor*\n>{shown(m.note)[:800]}")
    lines.append("*For a first conversation*\n" + "\n".join(f"• {s}" for s in FIRST_CONVERSATION))
    return {
        "text": f"An introduction: mentoring in {m.topic}",
        "blocks": [section(line) for line in lines]
        + [context("Knowhow reads nothing of this conversation; it is yours.")],
    }


def lapsed(m: MentorshipInfo) -> Message:
    text = (
        f"{mention(m.protege_id, start=True)}'s request for you to mentor them in *{shown(m.topic)}* had no answer in 3 days, so it has lapsed: "
        f"{mention(m.protege_id, start=True)} has been told, and Knowhow is looking for another mentor for them. Nothing else is needed from you."
    )
    return said(text)


def ended(m: MentorshipInfo, by: str) -> Message:
    """To the other person, when one of the two finished or stopped the mentorship, or when
    Knowhow forgot one of them (their account was deactivated: core.erasure)."""
    if by == FORMER_MEMBER:
        if m.protege_id == FORMER_MEMBER:
            after = "Your place as a mentor is free again: Knowhow may propose you to someone else."
        else:
            after = "`/mentor find` looks for another mentor when you want one."
        text = (
            f"Your mentorship in *{shown(m.topic)}* has ended: the other person's Slack account was deactivated, "
            f"so Knowhow has forgotten them. {after}"
        )
    elif m.state == MentorshipState.STOPPED:
        text = (
            f"{mention(by, start=True)} has ended your mentorship in *{shown(m.topic)}*, so it is over for both of you. "
            "Nobody else is told. Thank you for trying it; `/mentor` is there when you want another."
        )
    else:
        text = (
            f"{mention(by, start=True)} has marked your mentorship in *{shown(m.topic)}* as finished, so it is completed for both of you. "
            "You can still say how it went with the *How did it go?* button in Knowhow's end-of-term message; your answer stays private."
        )
    return said(text)


def halfway(m: MentorshipInfo, user_id: str) -> Message:
    other = m.protege_id if user_id == m.mentor_id else m.mentor_id
    return {
        "text": "Halfway through your mentorship: have you met?",
        "blocks": [
            section(
                f"You are halfway through your mentorship with {mention(other)} in *{shown(m.topic)}*. Have you met?"
            ),
            {
                "type": "actions",
                "block_id": f"mentor_met_{m.id}",
                "elements": [
                    button("Yes", f"{ids.MENTOR_MET}_yes", str(m.id), style="primary"),
                    button("Not yet", f"{ids.MENTOR_MET}_not_yet", str(m.id)),
                    button(
                        "We've stopped",
                        f"{ids.MENTOR_MET}_stopped",
                        str(m.id),
                        confirm={
                            "title": plain("End the mentorship?"),
                            "text": plain("It ends for both of you; nobody is told why."),
                            "confirm": plain("End it"),
                            "deny": plain("Go back"),
                        },
                    ),
                ],
            },
            context("Your answer is private."),
        ],
    }


def the_end(m: MentorshipInfo, user_id: str) -> Message:
    other = m.protege_id if user_id == m.mentor_id else m.mentor_id
    return {
        "text": "Your mentorship has reached its end: how did it go?",
        "blocks": [
            section(
                f"Your {m.weeks} weeks of mentoring with {mention(other)} in *{shown(m.topic)}* are over. How did it go? "
                f"You can finish, or extend by {mentoring.EXTENSION_WEEKS} weeks.",
                button("How did it go?", ids.MENTOR_OPEN_WRAP_UP, str(m.id), style="primary"),
            ),
            context("Your answer is private. Without an answer, the mentorship counts as completed in two weeks."),
        ],
    }


# -- the channel post -------------------------------------------------------------------------


def right_now(d: TopicDemand) -> str:
    """What helps recruit: that people are looking for a mentor in the topic (a count only when
    the scoreboard shows it), that they wait when no volunteer has a place free, and, with nobody
    looking yet, that the first to ask can be matched at once. Never how many volunteers have a
    place free: supply that exceeds demand only tells a volunteer they are not needed."""
    topic = shown(d.topic)
    if d.seeking.value == 0:
        return (
            f"Colleagues ask for a mentor in {topic} with `/mentor find`. Volunteer now, "
            "and the first to ask can be introduced to you straight away."
        )
    if d.seeking.value is None:  # some, behind the threshold: said without a count
        looking = f"Colleagues are looking for a mentor in {topic}"
    else:
        looking = (
            f"{d.seeking.text} {'person is' if d.seeking.value == 1 else 'people are'} looking for a mentor in {topic}"
        )
    if d.volunteers.value == 0:
        return f"{looking}, and no volunteer has a place free: they are waiting for one."
    return f"{looking}."


def call(goals: str, weeks: int, hours: int, demand: TopicDemand, topic_id: int) -> Message:
    """A call for volunteers: the topic's demand as the scoreboard shows it
    (core.scoreboard.topic_demand), said to recruit; no names."""
    topic = demand.topic
    lines = [
        f"*Become a mentor in {shown(topic)}*",
        shown(goals)[:2000],
        f"*The commitment*: {weeks} weeks, about {hours} hour{'s' if hours != 1 else ''} a month, at times you agree together.",
        f"*Right now*: {right_now(demand)}",
    ]
    return {
        "text": f"Become a mentor in {topic}",
        "blocks": [
            section("\n\n".join(lines)),
            {
                "type": "actions",
                "block_id": "mentor_call",
                "elements": [
                    button("Volunteer", ids.MENTOR_OPEN_VOLUNTEER, str(topic_id), style="primary"),
                ],
            },
            context(
                "Volunteering opens a private form. Knowhow asks you before any introduction, and you can pause or leave at any time."
            ),
        ],
        "unfurl_links": False,
    }
