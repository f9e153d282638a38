"""Block Kit for help channels: pure functions from plain values to message bodies."""

from __future__ import annotations

import json

from bot import ids
from bot.blockkit import Message, button, context, private, section
from bot.text import excerpt, flatten_links, neutralise_mentions
from core.helpchannels import Chosen, HelpChannelInfo

INTRO = "*Colleagues may have answered this before.* Only you can see this."


def suggestion(*, channel_id: str, thread_ts: str, lessons) -> Message:
    """Earlier lessons for a question asked in a help channel, shown privately to its asker, with
    *This answers it* on each, then *Not quite* and *Don't suggest to me*. Nobody is mentioned."""
    blocks: list[dict] = [section(INTRO)]
    for lesson in lessons:
        title = excerpt(neutralise_mentions(lesson.text), 200)
        if lesson.permalink:
            title = f"<{lesson.permalink}|{flatten_links(title)}>"
        label = "Accepted answer" if lesson.accepted else "Answer"
        blocks.append(section(f"*{title}*\n> _{label}:_ " + excerpt(neutralise_mentions(lesson.answer), 280)))
        value = json.dumps({"c": channel_id, "t": thread_ts, "by": lesson.question_id})
        blocks.append(
            {"type": "actions", "elements": [button("This answers it", ids.HELP_ANSWERS_IT, value, style="primary")]}
        )
    value = json.dumps({"c": channel_id, "t": thread_ts})
    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                button("Not quite", ids.HELP_NOT_QUITE, value),
                button("Don't suggest to me", ids.HELP_STOP, value),
            ],
        }
    )
    blocks.append(context("Colleagues can still answer in the thread. `/ask suggestions off` stops these for you."))
    return private("Colleagues may have answered this before", blocks)


CHOSEN = {
    Chosen.COUNTED: "Glad it helped. It counts as answered from an earlier lesson: thank you for saying so.",
    Chosen.NOTED: "Thanks for saying so. Colleagues can still answer in the thread.",
    Chosen.STOPPED: (
        "Knowhow won't suggest earlier answers to you in help channels any more. "
        "`/ask suggestions on` turns them back on."
    ),
    Chosen.ALREADY: "You already chose for this question.",
    Chosen.NOT_YOURS: "Only the person who asked can choose here.",
    Chosen.UNKNOWN: "This suggestion is no longer open.",
}


def chosen(value: Chosen) -> Message:
    return private(CHOSEN[value])


def save_offer(*, channel_id: str, thread_ts: str, answer_ts: str) -> Message:
    """To an asker who marked a colleague's reply in a help channel: keep it as a lesson?"""
    text = "*You marked an answer.* Save it as a lesson, so the next person who asks finds it? Only you can see this."
    value = json.dumps({"c": channel_id, "t": thread_ts, "a": answer_ts})
    return private(
        "Save this answer as a lesson?",
        [section(text), {"type": "actions", "elements": [button("Save as a lesson", ids.LESSON_SAVE_OFFER, value)]}],
    )


HOW = (
    "`/ask channels add #help-it` (admins) makes a channel a help channel: when someone asks there and earlier "
    "lessons cover it, Knowhow shows them to the asker privately. `/ask channels pause #help-it` and "
    "`/ask channels resume #help-it` turn that off and on, `/ask channels remove #help-it` ends it."
)


def listing(channels: list[HelpChannelInfo]) -> Message:
    if not channels:
        return private("No help channels yet. " + HOW)
    lines = [f"• <#{c.channel_id}>" + (" (paused: Knowhow says nothing there)" if c.paused else "") for c in channels]
    return private("*Help channels*, where Knowhow points people who ask to earlier lessons:\n" + "\n".join(lines))


def suggestions_setting(off: bool, changed: bool) -> Message:
    if off:
        return private(
            ("No more" if changed else "Already no")
            + " suggestions of earlier lessons for you in help channels. `/ask suggestions on` turns them back on."
        )
    return private(
        ("Suggestions are on again" if changed else "Suggestions are on")
        + ": when you ask in a help channel and earlier lessons cover it, Knowhow shows them to you privately."
    )
