"""The sample organisation the playground starts with, and `--demo`: content seeded by driving the
real Knowhow through the workspace (slash commands, thread replies, the Accept-as-answer shortcut,
modal submissions), never by writing to its database."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# An Enterprise Grid organisation of two workspaces, one per office. Knowhow is installed
# org-wide: its one bot token speaks for both (auth.test names the organisation and the first).
ENTERPRISE_ID = "E0ACMEORG1"
ENTERPRISE_NAME = "Acme"
LONDON = "T0LONDON01"
SINGAPORE = "T0SINGAPR1"
TEAM_ID = LONDON  # the workspace auth.test names for the org-wide installation
BOT_USER_ID = "U0KNOWHOW1"
BOT_ID = "B0KNOWHOW1"

# London's channels, Singapore's, and those the two offices share (Grid shared channels). The Q&A
# channel is shared: KNOWHOW_QA_CHANNEL is one channel for the whole process, so both offices ask there.
QA_CHANNEL = "C0QANDA001"
ANNOUNCEMENTS_CHANNEL = "C0ANNOUNCE"
GENERAL_CHANNEL = "C0GENERAL1"
EXPERT_CHANNEL = "C0EXPERT01"
MANAGERS_CHANNEL = "C0MANAGERS"
SG_GENERAL_CHANNEL = "C0SGGENRL1"
SG_ENGINEERING_CHANNEL = "C0SGENGIN1"
HELP_CHANNEL = "C0HELPIT01"  # a help channel (`/ask channels add`): questions asked there plainly


@dataclass(frozen=True)
class Office:
    """A workspace of the organisation."""

    id: str
    name: str
    domain: str  # <domain>.slack.com: where its permalinks point


OFFICES: tuple[Office, ...] = (
    Office(LONDON, "Acme London", "acme-london"),
    Office(SINGAPORE, "Acme Singapore", "acme-singapore"),
)
BOTH = (LONDON, SINGAPORE)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    real_name: str
    title: str
    tz: str
    tz_label: str
    location: str
    color: str
    years_in_role: int | None = None
    is_admin: bool = False  # a Slack workspace admin (users.info says so)
    knowhow_admin: bool = False  # listed in KNOWHOW_ADMINS instead
    teams: tuple[str, ...] = (LONDON,)  # the workspaces they are in (a Grid user id is one across them)


PEOPLE: tuple[Person, ...] = (
    Person(
        "U0ALICE001",
        "alice",
        "Alice Moreau",
        "Head of Learning & Development",
        "Europe/London",
        "Greenwich Mean Time",
        "London",
        "#4a90d9",
        6,
        is_admin=True,
        teams=BOTH,
    ),
    Person(
        "U0BEN00001",
        "ben",
        "Ben Okafor",
        "Engineering Manager",
        "Africa/Lagos",
        "West Africa Time",
        "Lagos",
        "#e0a030",
        0,
    ),  # promoted last month
    Person(
        "U0CHLOE001",
        "chloe",
        "Chloé Dubois",
        "Engineering Manager",
        "Europe/Paris",
        "Central European Time",
        "Paris",
        "#9b59b6",
        8,
    ),
    Person(
        "U0DEVIKA01",
        "devika",
        "Devika Rao",
        "Senior Software Engineer",
        "Asia/Kolkata",
        "India Standard Time",
        "Bangalore",
        "#27ae60",
        3,
        teams=(SINGAPORE,),
    ),
    Person(
        "U0EMMA0001",
        "emma",
        "Emma Schmidt",
        "Product Manager",
        "Europe/Berlin",
        "Central European Time",
        "Berlin",
        "#e74c3c",
        4,
    ),
    Person(
        "U0FELIX001",
        "felix",
        "Felix Wong",
        "Data Scientist",
        "Asia/Singapore",
        "Singapore Standard Time",
        "Singapore",
        "#16a085",
        2,
        teams=(SINGAPORE,),
    ),
    Person(
        "U0GRACE001",
        "grace",
        "Grace Kim",
        "Director of Engineering",
        "America/New_York",
        "Eastern Standard Time",
        "New York",
        "#c0392b",
        12,
        teams=BOTH,
    ),
    Person(
        "U0HUGO0001",
        "hugo",
        "Hugo Silva",
        "Software Engineer",
        "America/Sao_Paulo",
        "Brasilia Standard Time",
        "São Paulo",
        "#2980b9",
        1,
    ),
    Person(
        "U0ISLA0001",
        "isla",
        "Isla Murphy",
        "People Partner",
        "Europe/Dublin",
        "Greenwich Mean Time",
        "Dublin",
        "#8e44ad",
        5,
        knowhow_admin=True,
    ),
    Person(
        "U0JAMES001",
        "james",
        "James Carter",
        "Sales Manager",
        "America/Los_Angeles",
        "Pacific Standard Time",
        "San Francisco",
        "#d35400",
        5,
    ),
    Person(
        "U0KEIKO001",
        "keiko",
        "Keiko Tanaka",
        "UX Designer",
        "Asia/Tokyo",
        "Japan Standard Time",
        "Tokyo",
        "#f39c12",
        3,
        teams=(SINGAPORE,),
    ),
    Person(
        "U0LIAM0001",
        "liam",
        "Liam Nguyen",
        "Support Engineer",
        "Australia/Sydney",
        "Australian Eastern Time",
        "Sydney",
        "#1abc9c",
        2,
        teams=(SINGAPORE,),
    ),
)

MANAGERS = ("U0ALICE001", "U0BEN00001", "U0CHLOE001", "U0GRACE001", "U0ISLA0001", "U0JAMES001")
EVERYONE = tuple(p.id for p in PEOPLE)


def people_of(team: str) -> tuple[str, ...]:
    """The people of a workspace (those of both offices included)."""
    return tuple(p.id for p in PEOPLE if team in p.teams)


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    topic: str
    members: tuple[str, ...]
    is_private: bool = False
    bot_member: bool = False  # Knowhow was invited (the README asks for it in the Q&A channel)
    team: str = LONDON  # the workspace it was created in
    shared_with: tuple[str, ...] = ()  # the organisation's other workspaces it is shared with


CHANNELS: tuple[Channel, ...] = (
    Channel(
        QA_CHANNEL,
        "ask-anything",
        "Questions for the whole company: /ask puts them here",
        EVERYONE,
        bot_member=True,
        shared_with=(SINGAPORE,),
    ),
    Channel(ANNOUNCEMENTS_CHANNEL, "announcements", "News for both offices", EVERYONE, shared_with=(SINGAPORE,)),
    Channel(GENERAL_CHANNEL, "general", "The London office: announcements and chat", people_of(LONDON)),
    Channel(
        EXPERT_CHANNEL,
        "ask-the-expert",
        "Ask the Expert sessions: an hour with someone who knows",
        people_of(LONDON),
    ),
    Channel(
        HELP_CHANNEL,
        "help-it",
        "IT help: just ask. When earlier answers cover your question, Knowhow shows them to you privately",
        people_of(LONDON),
    ),
    Channel(
        MANAGERS_CHANNEL,
        "people-managers",
        "A private room for people managers",
        MANAGERS,
        is_private=True,
    ),
    Channel(
        SG_GENERAL_CHANNEL,
        "general",
        "The Singapore office: announcements and chat",
        people_of(SINGAPORE),
        team=SINGAPORE,
    ),
    Channel(
        SG_ENGINEERING_CHANNEL,
        "apac-engineering",
        "Engineering in Asia-Pacific",
        ("U0DEVIKA01", "U0FELIX001", "U0GRACE001", "U0LIAM0001"),
        team=SINGAPORE,
    ),
)


def general_of(user_id: str) -> str:
    """The #general of a person's first workspace."""
    return GENERAL_CHANNEL if person(user_id).teams[0] == LONDON else SG_GENERAL_CHANNEL


def admins() -> list[str]:
    """KNOWHOW_ADMINS: the people who are admins for Knowhow without being Slack admins."""
    return [p.id for p in PEOPLE if p.knowhow_admin]


def person(user_id: str) -> Person:
    return next(p for p in PEOPLE if p.id == user_id)


# -- the demo -----------------------------------------------------------------------------------

# Each question is asked from the asker's own #general and posted in the shared Q&A channel; people
# of either office answer in its thread.
QUESTIONS: tuple[dict[str, Any], ...] = (
    {
        "asker": "U0HUGO0001",  # London
        "text": "How do we run a blameless post-mortem after a production incident?",
        "replies": [
            (
                "U0GRACE001",
                'Write the timeline first, facts only, and ask "what made this easy to get wrong?" '
                'rather than "who". We keep a template in the engineering handbook.',
            ),
            ("U0CHLOE001", "Invite everyone involved, and have someone who was not on call run the meeting."),
        ],
        "accept": 0,  # the asker accepts the first reply with the Accept-as-answer shortcut
    },
    {
        "asker": "U0BEN00001",  # London
        "text": "What should I cover in my first one-to-ones as a newly promoted manager?",
        "replies": [
            (
                "U0CHLOE001",
                "Ask what they want from you, how they like feedback, and what they would change. "
                "Listen more than you talk; agree a regular slot.",
            ),
            ("U0GRACE001", "Keep a shared doc per person so nothing gets lost between meetings."),
        ],
        "accept": None,
    },
    {
        "asker": "U0KEIKO001",  # Singapore, answered from London
        "text": "Any tips for writing a conference talk proposal?",
        "replies": [("U0EMMA0001", "Lead with what the audience will take away, in one sentence.")],
        "accept": None,
    },
)

# Singapore asks what London already answered: before posting it, Knowhow shows Liam the London
# question and its accepted answer, with a link into Acme London (he has not chosen yet).
SUGGESTED = {"asker": "U0LIAM0001", "text": "How should we run a post-mortem after a production incident?"}

MENTOR_TOPICS = ("Leadership", "Career growth", "Public speaking")
VOLUNTEERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("U0CHLOE001", ("Leadership", "Career growth"), "Happy to talk about the first year as a manager."),
    ("U0GRACE001", ("Leadership",), "Managing managers, hiring, growing senior engineers."),
    ("U0JAMES001", ("Public speaking", "Leadership"), "Pitches, demos and keeping a room's attention."),
)
# A protégé in Singapore matched with a mentor in London, and introduced in a group DM.
MATCH = {
    "protege": "U0DEVIKA01",
    "mentor": "U0CHLOE001",
    "topic": "Leadership",
    "goal": "I lead our team's projects and want to move into engineering management next year.",
    "target_role": "Engineering Manager",
}


def _button(message: dict[str, Any], action_id: str, value_end: str = "") -> tuple[str, dict[str, Any]] | None:
    """(block_id, button) of the first button `action_id` in a stored message whose value ends so."""
    for i, block in enumerate(message.get("blocks") or []):
        for element in [*(block.get("elements") or []), block.get("accessory")]:
            if (
                isinstance(element, dict)
                and element.get("action_id") == action_id
                and str(element.get("value", "")).endswith(value_end)
            ):
                return block.get("block_id") or f"auto-{i}", element
    return None


def _click_in_dm(workspace, user: str, action_id: str, value_end: str = "", timeout: float = 30.0) -> None:
    """`user` clicks button `action_id` on the latest of Knowhow's messages in their DM that has one."""
    dm = workspace.dm_of(user)

    def found():
        for message in reversed(workspace.messages.get(dm, [])):
            hit = _button(message, action_id, value_end)
            if hit:
                return message["ts"], hit
        return None

    ts, (block_id, button) = workspace.wait_until(found, timeout)
    where = {"type": "message", "channel": dm, "ts": ts}
    workspace.block_action(user, where, block_id=block_id, action_id=action_id, value=button.get("value"))


def set_up(workspace, *, timeout: float = 30.0) -> None:
    """What the sample company's admins did before anyone arrived, through Knowhow as they would:
    #help-it is a help channel (`/ask channels add`), so a question asked there plainly is met with
    earlier answers that cover it (with --demo, "How should we run a post-mortem after an incident?")."""
    admin = next(p.id for p in PEOPLE if p.is_admin)
    workspace.slash_command(admin, HELP_CHANNEL, "/ask channels add #help-it")
    workspace.wait_for_ephemeral(admin, HELP_CHANNEL, "now a help channel", timeout=timeout)


def seed_demo(workspace, *, session_in_seconds: int = 120, session_minutes: int = 15, timeout: float = 30.0) -> None:
    """Drive Knowhow through the workspace as the sample people would: a few answered questions (one
    accepted, one asked in Singapore and answered from London), a question from Singapore that
    Knowhow answers with London's (a suggestion, before posting), an Ask the Expert session
    starting in about two minutes, mentoring volunteers, and a protégé in Singapore introduced to a
    mentor in London."""
    workspace.demo = True
    admin = next(p.id for p in PEOPLE if p.is_admin)
    knowhow_admin = admins()[0]

    # Questions, answered in their threads; the first answer accepted by its asker.
    accepted = []
    for q in QUESTIONS:
        where = general_of(q["asker"])
        workspace.slash_command(q["asker"], where, "/ask " + q["text"])
        post = workspace.wait_for_bot_message(QA_CHANNEL, q["text"], timeout=timeout)
        # Knowhow records where the question went after Slack answers the post, and tells the asker
        # then; a reply before that would not be taken as an answer.
        workspace.wait_for_ephemeral(q["asker"], where, "p" + post["ts"].replace(".", ""), timeout=timeout)
        replies = [workspace.post_message(user, QA_CHANNEL, text, thread_ts=post["ts"]) for user, text in q["replies"]]
        if q["accept"] is not None:
            workspace.wait_for_delivered(replies[q["accept"]], timeout=timeout)
            workspace.shortcut(q["asker"], "accept_answer", QA_CHANNEL, replies[q["accept"]])
            accepted.append(post["ts"])
    for ts in accepted:  # the post shows it once the outbox has updated it
        workspace.wait_until(lambda: "Resolved" in workspace.text_of(QA_CHANNEL, ts), timeout=timeout)  # noqa: B023 (waited for here)

    # Singapore asks what London answered: Knowhow suggests London's answer, linked into London.
    london = next(o for o in OFFICES if o.id == LONDON)
    where = general_of(SUGGESTED["asker"])
    workspace.slash_command(SUGGESTED["asker"], where, "/ask " + SUGGESTED["text"])
    workspace.wait_for_ephemeral(SUGGESTED["asker"], where, f"https://{london.domain}.slack.com/", timeout=timeout)

    # Ask the Expert: the channel hosts sessions, and one starts in a couple of minutes.
    workspace.slash_command(admin, EXPERT_CHANNEL, "/expert channels add #ask-the-expert")
    workspace.slash_command(admin, EXPERT_CHANNEL, "/expert schedule")
    modal = workspace.modal_of(admin)
    if modal is None:
        raise RuntimeError("/expert schedule opened no form")
    start = int(time.time()) + session_in_seconds
    answer = workspace.submit_view(
        admin,
        modal["id"],
        workspace.fill(
            modal["view"],
            {
                "topic": "Growing into your first management role",
                "experts": ["U0GRACE001", "U0CHLOE001"],
                "channel": EXPERT_CHANNEL,
                "start": start,
                "minutes": str(session_minutes),
            },
        ),
    )
    if answer.get("errors"):
        raise RuntimeError(f"the session could not be scheduled: {answer['errors']}")

    # Mentoring: admins curate each workspace's list of topics (matched across the organisation by
    # name), colleagues volunteer through the form.
    for curator, where in ((knowhow_admin, GENERAL_CHANNEL), (admin, SG_GENERAL_CHANNEL)):
        for topic in MENTOR_TOPICS:
            workspace.slash_command(curator, where, f"/mentor topics add {topic}")
    for user_id, topics, note in VOLUNTEERS:
        where = general_of(user_id)
        workspace.slash_command(user_id, where, "/mentor volunteer")
        modal = workspace.modal_of(user_id)
        if modal is None:
            raise RuntimeError("/mentor volunteer opened no form")
        who = person(user_id)
        answers = {
            "mentor_topics": list(topics),
            "mentor_capacity": "2",
            "mentor_note": note,
            "mentor_years": str(who.years_in_role or 0),
            "mentor_location": who.location,
        }
        answer = workspace.submit_view(user_id, modal["id"], workspace.fill(modal["view"], answers, by_text=True))
        if answer.get("errors"):
            raise RuntimeError(f"{who.name} could not volunteer: {answer['errors']}")
        workspace.close_all(user_id)

    # A protégé in Singapore asks for a mentor, chooses one in London, who accepts: introduced.
    protege, mentor = MATCH["protege"], MATCH["mentor"]
    workspace.slash_command(protege, general_of(protege), "/mentor find")
    modal = workspace.modal_of(protege)
    if modal is None:
        raise RuntimeError("/mentor find opened no form")
    who = person(protege)
    answers = {
        "mentor_topic": MATCH["topic"],
        "mentor_goal": MATCH["goal"],
        "mentor_role_pref": "target",
        "mentor_target_role": MATCH["target_role"],
        "mentor_years": str(who.years_in_role or 0),
        "mentor_location": who.location,
    }
    answer = workspace.submit_view(protege, modal["id"], workspace.fill(modal["view"], answers, by_text=True))
    if answer.get("errors"):
        raise RuntimeError(f"{who.name} could not ask for a mentor: {answer['errors']}")
    workspace.close_all(protege)
    _click_in_dm(workspace, protege, "mentor_choose", ":" + mentor, timeout)
    _click_in_dm(workspace, mentor, "mentor_accept", "", timeout)
    workspace.wait_until(
        lambda: any(
            {protege, mentor} <= set(members) and workspace.messages.get(channel)
            for channel, members in workspace.group_dms.items()
        ),
        timeout,
    )
