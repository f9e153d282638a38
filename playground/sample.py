"""The sample organisation the playground starts with, and `--demo`: content seeded by driving the
real Knowhow through the workspace (slash commands, thread replies, the Accept-as-answer shortcut,
modal submissions), never by writing to its database."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

TEAM_ID = "T0PLAYGRND"
TEAM_NAME = "Acme (playground)"
TEAM_DOMAIN = "acme-playground"
BOT_USER_ID = "U0KNOWHOW1"
BOT_ID = "B0KNOWHOW1"

QA_CHANNEL = "C0QANDA001"
EXPERT_CHANNEL = "C0EXPERT01"
GENERAL_CHANNEL = "C0GENERAL1"
MANAGERS_CHANNEL = "C0MANAGERS"


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
        "U0KEIKO001", "keiko", "Keiko Tanaka", "UX Designer", "Asia/Tokyo", "Japan Standard Time", "Tokyo", "#f39c12", 3
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
    ),
)

MANAGERS = ("U0ALICE001", "U0BEN00001", "U0CHLOE001", "U0GRACE001", "U0ISLA0001", "U0JAMES001")
EVERYONE = tuple(p.id for p in PEOPLE)


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    topic: str
    members: tuple[str, ...]
    is_private: bool = False
    bot_member: bool = False  # Knowhow was invited (the README asks for it in the Q&A channel)


CHANNELS: tuple[Channel, ...] = (
    Channel(GENERAL_CHANNEL, "general", "Company-wide announcements and chat", EVERYONE),
    Channel(
        QA_CHANNEL, "ask-anything", "Questions for the whole company: /ask puts them here", EVERYONE, bot_member=True
    ),
    Channel(EXPERT_CHANNEL, "ask-the-expert", "Ask the Expert sessions: an hour with someone who knows", EVERYONE),
    Channel(MANAGERS_CHANNEL, "people-managers", "A private room for people managers", MANAGERS, is_private=True),
)


def admins() -> list[str]:
    """KNOWHOW_ADMINS: the people who are admins for Knowhow without being Slack admins."""
    return [p.id for p in PEOPLE if p.knowhow_admin]


def person(user_id: str) -> Person:
    return next(p for p in PEOPLE if p.id == user_id)


# -- the demo -----------------------------------------------------------------------------------

QUESTIONS: tuple[dict[str, Any], ...] = (
    {
        "asker": "U0DEVIKA01",
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
        "asker": "U0BEN00001",
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
        "asker": "U0HUGO0001",
        "text": "Any tips for writing a conference talk proposal?",
        "replies": [("U0EMMA0001", "Lead with what the audience will take away, in one sentence.")],
        "accept": None,
    },
)

MENTOR_TOPICS = ("Leadership", "Career growth", "Public speaking")
VOLUNTEERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("U0CHLOE001", ("Leadership", "Career growth"), "Happy to talk about the first year as a manager."),
    ("U0GRACE001", ("Leadership",), "Managing managers, hiring, growing senior engineers."),
    ("U0JAMES001", ("Public speaking", "Leadership"), "Pitches, demos and keeping a room's attention."),
)


def seed_demo(workspace, *, session_in_seconds: int = 120, session_minutes: int = 15, timeout: float = 30.0) -> None:
    """Drive Knowhow through the workspace as the sample people would: a few answered questions (one
    accepted), an Ask the Expert session starting in about two minutes, and mentoring volunteers."""
    admin = next(p.id for p in PEOPLE if p.is_admin)
    knowhow_admin = admins()[0]

    # Questions, answered in their threads; the first answer accepted by its asker.
    accepted = []
    for q in QUESTIONS:
        workspace.slash_command(q["asker"], GENERAL_CHANNEL, "/ask " + q["text"])
        post = workspace.wait_for_bot_message(QA_CHANNEL, q["text"], timeout=timeout)
        # Knowhow records where the question went after Slack answers the post, and tells the asker
        # then; a reply before that would not be taken as an answer.
        workspace.wait_for_ephemeral(q["asker"], GENERAL_CHANNEL, "p" + post["ts"].replace(".", ""), timeout=timeout)
        replies = [workspace.post_message(user, QA_CHANNEL, text, thread_ts=post["ts"]) for user, text in q["replies"]]
        if q["accept"] is not None:
            workspace.wait_for_delivered(replies[q["accept"]], timeout=timeout)
            workspace.shortcut(q["asker"], "accept_answer", QA_CHANNEL, replies[q["accept"]])
            accepted.append(post["ts"])
    for ts in accepted:  # the post shows it once the outbox has updated it
        workspace.wait_until(lambda: "Resolved" in workspace.text_of(QA_CHANNEL, ts), timeout=timeout)  # noqa: B023 (waited for here)

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

    # Mentoring: an admin curates the topics, colleagues volunteer through the form.
    for topic in MENTOR_TOPICS:
        workspace.slash_command(knowhow_admin, GENERAL_CHANNEL, f"/mentor topics add {topic}")
    for user_id, topics, note in VOLUNTEERS:
        workspace.slash_command(user_id, GENERAL_CHANNEL, "/mentor volunteer")
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
