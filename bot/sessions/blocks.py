"""Block Kit for Ask the Expert sessions: pure functions from plain values to message bodies.
Every time a person reads is a `<!date^...>` token, so each sees their own time zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot import ids
from bot.blockkit import DATE, SECTION_LIMIT, Message, button, context, date_token, day, plain, section
from bot.text import chunks, excerpt, mention, neutralise_mentions


def when(moment: datetime, fmt: str = DATE + " at {time}") -> str:
    """A session's time: to the minute, in each reader's time zone (bot.blockkit's one style)."""
    return date_token(moment, fmt)


def _experts(experts) -> str:
    return ", ".join(mention(e) for e in experts)


def _topic(topic: str) -> str:
    return neutralise_mentions(topic)


HELP = "\n".join(
    [
        "*Ask the Expert sessions*: an expert (or a panel) answers questions in a designated channel for an hour.",
        "`/expert schedule` plans a session (topic, experts, channel, start, duration).",
        "`/expert start <topic>` opens one now, here, for an hour (`/expert who-can-start` says who may); `/expert close` closes the one open here.",
        "`/expert list` shows upcoming and open sessions; `/expert cancel <number>` cancels one.",
        "`/expert channels add|remove|list` chooses the channels that host sessions (admins).",
        "`/expert topics` says what you can help with.",
        "`/expert outbox` lists the messages Knowhow could not send, to retry them (admins).",
    ]
)


def announcement(info, *, cancelled: bool = False, missed: bool = False) -> Message:
    head = f":studio_microphone: *Ask the Expert: {_topic(info.topic)}*"
    lines = [
        head,
        f"With {_experts(info.experts)}, {when(info.starts_at)} to {when(info.ends_at, '{time}')}, here in <#{info.channel_id}>.",
        "Drop in at your desk and post your question in the channel while it is open; the experts answer in its thread.",
    ]
    if cancelled:
        lines = [f"~{line}~" for line in lines] + ["This session was cancelled."]
    elif missed:
        lines.append("_This session did not take place._")
    return {
        "text": f"Ask the Expert: {_topic(info.topic)}",
        "blocks": [section("\n".join(lines))],
        "unfurl_links": False,
    }


def opened(info) -> Message:
    text = (
        f":large_green_circle: *Ask the Expert is open: {_topic(info.topic)}*\n"
        f"{_experts(info.experts)} answer until {when(info.ends_at, '{time}')}. "
        "Post your question as a message in this channel (or use `/ask` here); answers come in its thread. "
        "Questions not answered in the session are answered later, by a date the experts set."
    )
    return {"text": f"Ask the Expert is open: {_topic(info.topic)}", "blocks": [section(text)], "unfurl_links": False}


def summary(result, *, now: datetime) -> Message:
    info = result.session
    lines = [
        f":checkered_flag: *Ask the Expert is closed: {_topic(info.topic)}* (with {_experts(info.experts)})",
        f"Questions asked: *{result.asked}* · answered in the session: *{result.answered_in_window}*"
        + (f" · answered since: *{result.answered_later}*" if result.answered_later else ""),
    ]
    if result.deferred:
        lines.append("*Deferred*")
        for q in result.deferred:
            late = " :warning: overdue" if q.overdue else ""
            lines.append(
                f"• {excerpt(neutralise_mentions(q.text), 120)} — {mention(q.deferred_by)} will answer by {day(q.deferred_to)}{late}"
            )
    if result.open:
        lines.append("*Left open*" if result.chased else "*Not answered yet*")
        for q in result.open:
            lines.append(f"• {excerpt(neutralise_mentions(q.text), 120)}")
    if not result.asked:
        lines.append("No questions this time.")
    body = "\n".join(lines)
    sections = [section(piece) for piece in chunks(body, SECTION_LIMIT)][:48]  # Slack: 50 blocks a message
    return {
        "text": f"Ask the Expert is closed: {_topic(info.topic)}",
        "blocks": [*sections, context(f"Updated {when(now)} as answers come in.")],
        "unfurl_links": False,
    }


def expert_list(info, questions, links: dict[int, str | None], *, viewer: str, last_call: bool) -> Message:
    """Privately, to one expert of the session: its questions, each as it stands now and from
    their side. One still open has a date picker to defer it; one they promised shows its date (the
    picker moves it); one another expert promised says who and by when, with *Take it over*: a
    question is owed by one expert at a time. Updated in place as that changes."""
    still_open = sum(not q.answered and not q.deferred_to for q in questions)
    if last_call:
        intro = f"*Last call* for the Ask the Expert session on *{_topic(info.topic)}*: " + (
            f"{still_open} of these {'is' if still_open == 1 else 'are'} still neither answered nor deferred."
            if still_open
            else "each of these is now answered or deferred. Thank you!"
        )
    else:
        intro = f"The Ask the Expert session on *{_topic(info.topic)}* is closed. Please answer each of these in its thread, or defer it to a date."
    blocks: list[dict[str, Any]] = [section(intro)]
    for q in questions[:45]:
        link = links.get(q.id) or q.permalink
        title = excerpt(neutralise_mentions(q.text), 200)
        answer = f" · <{link}|Answer in the thread>" if link else ""
        late = " :warning: overdue" if q.overdue else ""
        accessory: dict[str, Any] | None
        if q.answered:
            state, accessory = ":white_check_mark: Answered", None
        elif q.deferred_by == viewer:
            state = f":hourglass_flowing_sand: You will answer it by {day(q.deferred_to)}{late}"
            # The picker shows the promised day; picking another moves it.
            accessory = _date_picker(initial=q.deferred_to)
        elif q.deferred_by:
            state = f":hourglass_flowing_sand: {mention(q.deferred_by)} will answer it by {day(q.deferred_to)}{late}"
            accessory = button(
                "Take it over",
                ids.SESSION_TAKE_OVER,
                value=f"{q.id}:{q.deferred_by}",
                confirm={
                    "title": plain("Take this question over?"),
                    "text": plain(
                        "You will answer it instead, by the same date (you can move it after). The expert "
                        "who promised it is told privately, and the note in its thread names you."
                    ),
                    "confirm": plain("Take it over"),
                    "deny": plain("Cancel"),
                },
            )
        else:
            # No initial date: Slack sends the action only when the date changes, so a preset
            # day could never be chosen.
            state, accessory = "", _date_picker()
        text = f"{title}\n_Asked by {mention(q.asker_id)}_{answer}" + (f"\n{state}" if state else "")
        blocks.append({"block_id": f"defer:{q.id}", **section(text, accessory=accessory)})
    if len(questions) > 45:
        blocks.append(
            context(f"…and {len(questions) - 45} more: the closing summary in <#{info.channel_id}> lists them all.")
        )
    blocks.append(
        context(
            "Pick a date to defer a question: it is noted in its thread, and you are reminded at 9:00 that day. "
            "A question is owed by one expert at a time: to answer one another expert promised, take it over."
        )
    )
    text = f"Questions from the Ask the Expert session on {_topic(info.topic)}"
    return {"text": f"Last call: q{text[1:]}" if last_call else text, "blocks": blocks}


def _date_picker(initial: date | None = None) -> dict[str, Any]:
    picker = {"type": "datepicker", "action_id": ids.SESSION_DEFER, "placeholder": plain("Defer to date")}
    if initial is not None:
        picker["initial_date"] = initial.isoformat()
    return picker


def deferred_note(expert_id: str, due: date, taken_from: str | None = None) -> Message:
    """The one note in a deferred question's thread: who answers it by when (updated in place)."""
    taken = f" (taking it over from {mention(taken_from)})" if taken_from and taken_from != expert_id else ""
    return {"text": f":hourglass_flowing_sand: {mention(expert_id)} will answer this by {day(due)}{taken}."}


def taken_over(expert_id: str, question_text: str, link: str | None, due: date) -> Message:
    """To the expert whose promise another expert took over."""
    where = f" <{link}|The question>." if link else ""
    return {
        "text": (
            f"{mention(expert_id, start=True)} took over “{excerpt(neutralise_mentions(question_text), 200)}” from you: "
            f"they will answer it by {day(due)}, so you no longer owe it.{where}"
        )
    }


def held(holder: str, due: date) -> str:
    """An expert tried to defer a question another expert of the panel has already promised."""
    return (
        f"{mention(holder, start=True)} has already promised to answer this by {day(due)}, so it stays theirs. "
        "If you will answer it instead, use *Take it over* in your list: they are told."
    )


def reminder(question_text: str, link: str | None, due: date) -> Message:
    where = f" <{link}|Answer it in the thread>." if link else ""
    return {
        "text": f":alarm_clock: You promised to answer this by {day(due)}: “{excerpt(neutralise_mentions(question_text), 200)}”.{where}"
    }


def missed(info) -> Message:
    return {
        "text": (
            f"The Ask the Expert session on *{_topic(info.topic)}* ({when(info.starts_at)}) did not take place: "
            "Knowhow was not running for the whole window. Schedule it again with `/expert schedule`."
        )
    }


def _channel_option(channel_id: str, name: str | None) -> dict[str, Any]:
    # An option's text is plain (a channel link would show as typed), so the channel by its name.
    return {"text": plain(f"#{name}"[:75] if name else f"Channel {channel_id}"), "value": channel_id}


def schedule_modal(
    *, channels: list[tuple[str, str | None]], channel_id: str, organiser_id: str, start: datetime
) -> dict[str, Any]:
    """The scheduling form. Its channel picker offers only `channels`, those that host sessions
    (id, name), `channel_id` chosen first; Slack's conversation pickers cannot be held to a list."""
    options = [_channel_option(c, name) for c, name in channels[:100]]  # Slack: 100 options at most
    initial = next((o for o in options if o["value"] == channel_id), options[0])
    return {
        "type": "modal",
        "callback_id": ids.SESSION_MODAL,
        "title": plain("Schedule a session"),
        "submit": plain("Schedule"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "topic",
                "label": plain("Topic"),
                "element": {"type": "plain_text_input", "action_id": "topic", "max_length": 150},
            },
            {
                "type": "input",
                "block_id": "experts",
                "label": plain("Experts"),
                "element": {
                    "type": "multi_users_select",
                    "action_id": "experts",
                    "initial_users": [organiser_id],
                    "max_selected_items": 10,
                },
            },
            {
                "type": "input",
                "block_id": "channel",
                "label": plain("Channel"),
                "hint": plain("The channels that host sessions. An admin adds one with /expert channels add."),
                "element": {
                    "type": "static_select",
                    "action_id": "channel",
                    "options": options,
                    "initial_option": initial,
                },
            },
            {
                "type": "input",
                "block_id": "start",
                "label": plain("Starts"),
                "hint": plain("In your own time zone."),
                "element": {
                    "type": "datetimepicker",
                    "action_id": "start",
                    "initial_date_time": int(start.timestamp()),
                },
            },
            {
                "type": "input",
                "block_id": "minutes",
                "label": plain("Duration (minutes)"),
                "element": {
                    "type": "number_input",
                    "action_id": "minutes",
                    "is_decimal_allowed": False,
                    "min_value": "1",
                    "max_value": "240",
                    "initial_value": "60",
                },
            },
        ],
    }


def session_line(info) -> str:
    state = {"open": ":large_green_circle: open now", "scheduled": ":calendar: scheduled"}.get(
        info.state.value, info.state.value
    )
    return (
        f"*#{info.id}* {_topic(info.topic)} in <#{info.channel_id}>, {when(info.starts_at)}"
        f" for {int((info.ends_at - info.starts_at).total_seconds() // 60)} min, with {_experts(info.experts)} ({state})"
    )
