"""The App Home tab: the person's own picture, the workspace's scoreboard, and buttons for the
main actions. Pure functions from core.home's Picture and core.scoreboard's Board."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blockkit import button, context, day, section
from bot.scoreboard import blocks as sbb
from bot.text import excerpt, flatten_links, mention, neutralise_mentions, shown
from core.home import InSession, Picture
from core.scoreboard import Board

QUESTION_STATE = {
    "held": "waiting for you to choose whether to post it",
    "pending": "being posted",
    "failed": "could not be posted",
    "deflected": "answered by an earlier question",
    "expired": "not posted: nobody chose within a week",
}
POST_STATE = {"open": "open", "answered": "answered", "resolved": "resolved"}
MENTOR_STATE = {"proposed": "they asked you: waiting for your answer (in your DMs)", "active": "active"}
REQUEST_STATE = {
    "waiting": "waiting for a volunteer",
    "choosing": "choose a candidate (in your DMs)",
    "asking": "waiting for the mentor's answer",
}


def _question(text: str) -> str:
    return excerpt(neutralise_mentions(flatten_links(text)), 120)


def _linked(text: str, permalink: str | None) -> str:
    title = _question(text)
    return f"<{permalink}|{title}>" if permalink else title


def _in_session(standing: InSession) -> str:
    """A question asked in an expert session, as the session counts it."""
    if standing.answered:
        return "answered"
    if standing.deferred_to and standing.deferred_by:
        late = ", overdue" if standing.overdue else ""
        return f"{mention(standing.deferred_by, start=True)} will answer by {day(standing.deferred_to)}{late}"
    return "open"


def lessons_saved(p: Picture) -> list[dict]:
    """The threads the person saved as lessons (none: nothing said)."""
    if not p.lessons_saved:
        return []
    n = p.lessons_saved
    return [section(f"*Lessons you saved*: {n} thread{'s' if n != 1 else ''} kept for colleagues to find")]


def home(p: Picture, board: Board, threshold: int) -> dict[str, Any]:
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Knowhow"}},
        section("Learn from your colleagues: ask the whole organisation, find a mentor, or offer to be one."),
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [
                button("Ask a question", ids.HOME_ASK, style="primary"),
                button("Find a mentor", ids.MENTOR_OPEN_FIND),
                button("Volunteer as a mentor", ids.MENTOR_OPEN_VOLUNTEER),
            ],
        },
        {"type": "divider"},
        section(f"*Your questions* ({p.asked} asked)"),
    ]
    if p.questions:
        lines = []
        for q in p.questions:
            if q.lesson:
                state = "saved as a lesson"
            elif q.session is not None:
                state = _in_session(q.session)
            elif q.status == "posted":
                state = POST_STATE.get(q.shown_state, q.shown_state)
            else:
                state = QUESTION_STATE.get(q.status, q.status)
            lines.append(f"• {_linked(q.text, q.permalink)} — _{state}_")
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(context("None yet. `/ask` puts a question to your colleagues."))
    blocks.append(section(f"*Your answers*: {p.answers} given, {p.accepted} accepted"))
    blocks += lessons_saved(p)
    if p.owed:
        lines = [
            f"• {_linked(o.text, o.permalink)} — due {day(o.due)}" + (" (*overdue*)" if o.overdue else "")
            for o in p.owed
        ]
        blocks.append(section("*Answers you promised in expert sessions*\n" + "\n".join(lines)))
    blocks.append(
        section(
            "*Topics you are listed in*: "
            + (", ".join(shown(t) for t in p.topics) if p.topics else "none (`/expert topics add`)")
        )
    )
    m = p.mentoring
    if m is not None:
        lines = []
        if m.volunteer is not None:
            lines.append(
                f"You mentor in {', '.join(shown(t.name) for t in m.volunteer_topics)}"
                + (" (*paused*)" if m.volunteer.paused else "")
                + f": {len(m.mentoring)} of {m.volunteer.capacity} places taken"
            )
        lines += [
            f"• Mentoring {mention(x.protege_id)} in {shown(x.topic)}: {MENTOR_STATE.get(x.state, x.state)}"
            for x in m.mentoring
        ]
        lines += [f"• Your request in {shown(r.topic)}: {REQUEST_STATE.get(r.state, r.state)}" for r in m.requests]
        lines += [f"• Mentored by {mention(x.mentor_id)} in {shown(x.topic)}" for x in m.mentored]
        if lines:
            blocks.append(section("*Your mentoring* (only you see this)\n" + "\n".join(lines)))
    blocks.append({"type": "divider"})
    blocks += sbb.board_blocks(board, title="Across the workspace")
    blocks.append(context(f"The last seven days. {sbb.privacy_note(threshold)}"))
    return {"type": "home", "blocks": blocks[:100]}
