"""`/expert topics`: the topics a person can help with, whether they are invited to help, and
whether the weekly scoreboard may thank them by name. The rules are in `core.expertise`."""

from __future__ import annotations

from bot.blockkit import private
from bot.deps import Deps
from bot.text import shown
from core import expertise, topics
from core.expertise import DeclareOutcome
from storage.db import session_scope

TOPICS_HELP = "\n".join(
    [
        "*Say what you can help with:* `/expert topics`",
        "`/expert topics add kubernetes` lists you as someone who knows a topic. When a question in it is "
        "posted with `/ask`, you may be invited in its thread, and you can accept answers to it.",
        "`/expert topics remove kubernetes` takes a topic off your list.",
        "`/expert topics pause` stops invitations to help (your topics stay); `/expert topics resume` restarts them.",
        "`/expert topics thanks on` lets the weekly scoreboard thank you by name for accepted answers (`off` stops it; off by default).",
        "`/expert topics` shows your topics: those you listed and those Knowhow learned from your answers.",
    ]
)


def _show(name: str) -> str:
    return f"*{shown(name)}*"


def topics_command(deps: Deps, team_id: str, user_id: str, words: str) -> dict:
    """What `/expert topics <words>` answers (privately)."""
    action, _, rest = words.strip().partition(" ")
    action, rest = action.lower(), rest.strip()
    with session_scope(deps.engine) as session:
        if action in ("", "list"):
            return private(_profile_text(session, team_id, user_id))
        if action in ("help", "?"):
            return private(TOPICS_HELP)
        if action in ("pause", "resume"):
            changed = expertise.set_paused(session, team_id=team_id, user_id=user_id, paused=action == "pause")
            if action == "pause":
                return private(
                    "Invitations to help are paused. Your topics stay on your profile; `/expert topics resume` restarts them."
                    if changed
                    else "Invitations to help were already paused. `/expert topics resume` restarts them."
                )
            return private("Invitations to help are back on." if changed else "Invitations to help are already on.")
        if action == "thanks":
            choice = rest.lower()
            if choice not in ("on", "off"):
                on = expertise.is_thanked(session, team_id=team_id, user_id=user_id)
                return private(
                    f"The weekly scoreboard {'thanks you by name' if on else 'does not name you'} for accepted answers. "
                    "`/expert topics thanks on` or `off` changes that."
                )
            changed = expertise.set_thanked(session, team_id=team_id, user_id=user_id, thanked=choice == "on")
            if choice == "on":
                return private(
                    "The weekly scoreboard may now thank you by name when your answers are accepted. `/expert topics thanks off` stops it."
                    if changed
                    else "You already agreed to be thanked by name."
                )
            return private(
                "The weekly scoreboard will not name you." if changed else "The weekly scoreboard does not name you."
            )
        if action in ("add", "remove"):
            if not rest:
                return private(f"Say which topic, for example `/expert topics {action} kubernetes`.")
            try:
                if action == "add":
                    done = expertise.declare(session, team_id=team_id, user_id=user_id, raw_topic=rest)
                else:
                    done = expertise.withdraw(session, team_id=team_id, user_id=user_id, raw_topic=rest)
            except topics.TopicError as exc:
                return private(f"{exc} Try again, for example `/expert topics {action} kubernetes`.")
            return private(_declared_text(done))
    return private(f"I don't know `/expert topics {shown(action)}`.\n\n" + TOPICS_HELP)


def _declared_text(done: expertise.Declared) -> str:
    name = _show(done.topic)
    return {
        DeclareOutcome.ADDED: f"Added {name} to your topics. You may be invited to help with questions about it.",
        DeclareOutcome.ALREADY: f"{name} is already on your topics.",
        DeclareOutcome.REMOVED: f"Removed {name} from your topics.",
        DeclareOutcome.NOT_LISTED: f"{name} is not on your topics. `/expert topics` shows them.",
        DeclareOutcome.TOO_MANY: f"You already list {expertise.MAX_DECLARED_TOPICS} topics; remove one before adding {name}.",
    }[done.outcome]


def _profile_text(session, team_id: str, user_id: str) -> str:
    standings = expertise.profile(session, team_id=team_id, user_id=user_id)
    paused = expertise.is_paused(session, team_id=team_id, user_id=user_id)
    if not standings:
        lines = [
            "You have no topics yet. `/expert topics add <topic>` lists one; answering questions with topics adds them too."
        ]
    else:
        lines = ["*Your topics*"]
        for s in standings:
            facts = []
            if s.declared:
                facts.append("listed by you")
            if s.answers:
                facts.append(
                    f"{s.answers} answer{'s' if s.answers != 1 else ''}"
                    + (f", {s.accepted} accepted" if s.accepted else "")
                )
            lines.append(f"• {_show(s.topic)}: " + "; ".join(facts))
    if paused:
        lines.append("Invitations to help are *paused* (`/expert topics resume`).")
    elif standings:
        lines.append("You may be invited to help with questions in these topics (`/expert topics pause` stops that).")
    return "\n".join(lines)
