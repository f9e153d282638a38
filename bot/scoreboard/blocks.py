"""Block Kit and the picture (the chart) for the scoreboard: pure functions from core.scoreboard's
Board and Trend. Counts arrive as core.privacy lets them be shown; nothing here names a protégé."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from bot import ids
from bot.blockkit import Message, context, date_token, option, plain, private, said, section
from bot.text import mention, shown
from core import privacy
from core.scoreboard import DAYS, ORGANISATION, WORKSPACE, Board, Figure, Schedule, Trend

TOPICS_SHOWN = 15


def short_date(at: datetime) -> str:
    """A week's first or last day, each reader's own time zone (1 Dec 2026)."""
    return date_token(at, "{date_short}", "%d %b %Y")


def shown_figure(f: Figure) -> str:
    if f.change is None or f.change == 0:
        return f"*{f.text}*" + (" (=)" if f.change == 0 else "")
    return f"*{f.text}* ({'▲' if f.change > 0 else '▼'}{abs(f.change)})"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "none yet"
    if seconds < 3600:
        return f"{max(seconds // 60, 1)} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _none(figures) -> bool:
    """Every count zero (and shown so): the section reads "None yet" instead of a row of zeros."""
    return all(f.value == 0 for f in figures)


def board_blocks(b: Board, *, title: str) -> list[dict]:
    q, s, m = b.questions, b.sessions, b.mentoring
    blocks: list[dict] = [
        {"type": "header", "text": plain(title)},
        context(
            f"{short_date(b.week_start)} to {short_date(b.week_end)}"
            + (f" · the whole organisation ({b.workspaces} workspaces)" if b.workspaces > 1 else "")
            + (" · changes against the week before" if b.has_previous else "")
        ),
    ]
    if _none([*m.values(), *(f for _, t in b.topics for f in t.values())]):
        mentoring_lines = ["*Mentoring*", "None yet."]
        if b.topics:
            names = ", ".join(shown(name) for name, _ in b.topics[:TOPICS_SHOWN])
            more = f" and {len(b.topics) - TOPICS_SHOWN} more" if len(b.topics) > TOPICS_SHOWN else ""
            mentoring_lines.append(f"Topics on the list: {names}{more}.")
        blocks.append(section("\n".join(mentoring_lines)))
    else:
        mentoring_lines = [
            "*Mentoring*",
            f"Looking for a mentor: {shown_figure(m['seeking'])} · volunteers with a place free: {shown_figure(m['volunteers'])}",
            f"Active pairs: {shown_figure(m['active'])} · completed this week: {shown_figure(m['completed'])}",
            f"From protégé to mentor: {shown_figure(m['protege_to_mentor_total'])} in all, {shown_figure(m['protege_to_mentor_week'])} this week",
        ]
        blocks.append(section("\n".join(mentoring_lines)))
        if b.topics:
            rows = [
                f"• *{shown(name)}*: {shown_figure(t['seeking'])} looking, {shown_figure(t['volunteers'])} volunteering, "
                f"{shown_figure(t['active'])} active, {shown_figure(t['completed'])} completed"
                for name, t in b.topics[:TOPICS_SHOWN]
            ]
            if len(b.topics) > TOPICS_SHOWN:
                rows.append(f"…and {len(b.topics) - TOPICS_SHOWN} more topics (`/mentor topics` lists them all).")
            blocks.append(section("\n".join(rows)))
    help_line = help_channels_line(b)
    if _none(q.values()) and b.oldest_open_days is None and help_line is None:
        question_lines = ["*Questions*", "None yet."]
    else:
        question_lines = [
            "*Questions*",
            f"Asked: {shown_figure(q['asked'])} · answered: {shown_figure(q['answered'])} · resolved: {shown_figure(q['resolved'])}",
            f"Answered within a day: {shown_figure(q['answered_within_day'])} · median time to a first answer: *{duration(b.median_first_answer_seconds)}*",
            f"Answered before being asked (an earlier answer was enough): {shown_figure(q['deflected'])}",
            "Oldest question still waiting for an answer: "
            + (
                f"*{b.oldest_open_days} day{'s' if b.oldest_open_days != 1 else ''}*"
                if b.oldest_open_days is not None
                else "*none*"
            ),
            *([help_line] if help_line else []),
        ]
    blocks.append(section("\n".join(question_lines)))
    blocks += lesson_blocks(b)
    if _none(s.values()):
        session_lines = ["*Ask the Expert*", "None yet."]
    else:
        session_lines = [
            "*Ask the Expert*",
            f"Sessions held: {shown_figure(s['held'])} · questions: {shown_figure(s['questions'])} · handled: {shown_figure(s['handled'])}",
            f"Deferred answers kept: {shown_figure(s['deferrals_kept'])} · overdue: {shown_figure(s['deferrals_overdue'])}",
        ]
    blocks.append(section("\n".join(session_lines)))
    if b.helpers:
        thanks = ", ".join(f"{mention(user)} ({n} accepted answer{'s' if n != 1 else ''})" for user, n in b.helpers)
        blocks.append(section(f":raised_hands: Thank you, {thanks}."))
    return blocks


def lesson_blocks(b: Board) -> list[dict]:
    """Threads saved as lessons ("Save as a lesson") and their topics; nothing for a week counted
    before lessons were."""
    if b.lessons.value is None:
        return []
    lines = ["*Lessons saved from conversations*"]
    if b.lessons.value == 0:
        lines.append("None yet: *Save as a lesson* in a message's ⋯ menu keeps a thread's answer for everyone.")
    else:
        lines.append(f"Saved: {shown_figure(b.lessons)}")
        if b.lesson_topics:
            lines.append("By topic: " + ", ".join(f"{shown(name)} {shown_figure(f)}" for name, f in b.lesson_topics))
    return [section("\n".join(lines))]


def help_channels_line(b: Board) -> str | None:
    """Questions asked in help channels that earlier lessons answered, in all and per topic (the
    first TOPICS_SHOWN); None when there were none (a workspace without help channels sees nothing)."""
    total = b.help.get("deflected")
    if total is None or not total.value:
        return None
    line = f"Answered in help channels from earlier lessons: {shown_figure(total)}"
    if b.help_topics:
        parts = [f"{shown(name)} {shown_figure(f)}" for name, f in b.help_topics[:TOPICS_SHOWN]]
        more = f" and {len(b.help_topics) - TOPICS_SHOWN} more" if len(b.help_topics) > TOPICS_SHOWN else ""
        line += " (" + ", ".join(parts) + more + ")"
    return line


def privacy_note(threshold: int) -> str:
    """What the counts hide, and why (core.privacy's rule). Nothing to say when nothing is hidden."""
    hidden = privacy.hidden_range(threshold)
    if hidden is None:
        return ""
    return (
        f"To single no one out, a count of {hidden} people looking for, offering or receiving mentoring reads "
        f'"fewer than {threshold}", and a topic\'s count that would give one of those away reads "not shown". '
        "Questions and sessions are counted as they are."
    )


def weekly_post(b: Board, threshold: int) -> Message:
    blocks = board_blocks(b, title="This week in Knowhow")
    blocks.append(
        context(
            " ".join(
                filter(
                    None,
                    [
                        privacy_note(threshold),
                        "`/mentor find` asks for a mentor, `/mentor volunteer` offers to be one, `/ask` asks a question.",
                    ],
                )
            )
        )
    )
    return {"text": "This week in Knowhow", "blocks": blocks, "unfurl_links": False}


def post_failed(channel_id: str, reason: str) -> Message:
    text = (
        f"This week's scoreboard could not be posted in <#{channel_id}>: {shown(reason)}. "
        "If it is a private or archived channel, choose another with `/mentor scoreboard settings` "
        "(or invite Knowhow to it); next week's goes out as usual."
    )
    return said(text)


def on_demand(b: Board, threshold: int) -> Message:
    blocks = board_blocks(b, title="Knowhow right now")
    blocks.append(
        context(
            " ".join(
                filter(
                    None,
                    [
                        "The last seven days, against the last weekly scoreboard.",
                        privacy_note(threshold),
                        "Only you can see this.",
                    ],
                )
            )
        )
    )
    return private("Knowhow right now", blocks)


SCOPE_OPTIONS = {
    ORGANISATION: "The whole organisation (every workspace)",
    WORKSPACE: "This workspace only",
}


def settings_form(plan: Schedule, *, workspaces: int = 1) -> dict:
    """The admin's form. With an organisation of several `workspaces`, it also asks whose figures
    the post shows (outside Enterprise Grid there is no choice to make)."""
    days = [option(d, str(i)) for i, d in enumerate(DAYS)]
    scopes = [option(text, value) for value, text in SCOPE_OPTIONS.items()]
    whose = [
        {
            "type": "input",
            "block_id": ids.SCOREBOARD_IN_SCOPE,
            "label": plain("Figures"),
            "element": {
                "type": "radio_buttons",
                "options": scopes,
                "initial_option": scopes[list(SCOPE_OPTIONS).index(plan.scope)],
                "action_id": ids.SCOREBOARD_IN_SCOPE,
            },
            "hint": plain(f"Your organisation has {workspaces} workspaces in Knowhow."),
        }
    ]
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "filter": {"include": ["public"], "exclude_bot_users": True},
    }
    if plan.channel_id:
        channel["initial_conversation"] = plan.channel_id
    return {
        "type": "modal",
        "callback_id": ids.SCOREBOARD_SETTINGS_MODAL,
        "title": plain("Weekly scoreboard"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": plan.tz,
        "blocks": [
            section(
                "Knowhow posts a scoreboard once a week: what people are learning, asking and offering, to recruit the next participants."
            ),
            {
                "type": "input",
                "block_id": ids.SCOREBOARD_IN_CHANNEL,
                "label": plain("Channel"),
                "element": {**channel, "action_id": ids.SCOREBOARD_IN_CHANNEL},
            },
            {
                "type": "input",
                "block_id": ids.SCOREBOARD_IN_DAY,
                "label": plain("Day"),
                "element": {
                    "type": "static_select",
                    "options": days,
                    "initial_option": days[plan.weekday],
                    "action_id": ids.SCOREBOARD_IN_DAY,
                },
            },
            {
                "type": "input",
                "block_id": ids.SCOREBOARD_IN_TIME,
                "label": plain("Time"),
                "element": {
                    "type": "timepicker",
                    "initial_time": f"{plan.hour:02d}:{plan.minute:02d}",
                    "timezone": plan.tz,
                    "action_id": ids.SCOREBOARD_IN_TIME,
                },
            },
            context(f"Times are in {shown(plan.tz)}."),
            *(whose if workspaces > 1 else []),
        ],
    }


def trend_png(t: Trend) -> bytes:
    """The last weeks as two large, phone-legible panels: questions, and mentoring."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [f"{w:%d %b}" for w in t.week_ends]
    fig, axes = plt.subplots(2, 1, figsize=(6, 7.5), dpi=160, sharex=True)
    panels = (
        ("Questions", ("Questions asked", "Questions resolved")),
        ("Mentoring", ("People seeking a mentor", "Volunteers with a place")),
    )
    for ax, (title, names) in zip(axes, panels):
        for name, style in zip(names, ("-o", "--s")):
            values = [float("nan") if v is None else v for v in t.series[name]]
            ax.plot(range(len(labels)), values, style, linewidth=2.5, markersize=6, label=name)
        ax.set_title(title, fontsize=16, loc="left", fontweight="bold")
        ax.legend(fontsize=11, loc="upper left", frameon=False)
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(labelsize=11)
        ax.set_ylim(bottom=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[-1].set_xticks(range(len(labels)))
    axes[-1].set_xticklabels(labels, rotation=45, ha="right")
    hidden = privacy.hidden_range(t.threshold)
    if hidden is not None:
        note = f"Weeks with {hidden} people looking for or offering mentoring are left out."
        fig.text(0.01, 0.005, note, fontsize=9, color="#555555")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()
