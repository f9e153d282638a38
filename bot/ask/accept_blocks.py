"""Block Kit for accepting an answer: the form listing a question's answers, and what each
outcome says."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.blockkit import Message, context, plain, private, section
from bot.text import answer_excerpt, clip, excerpt, mention, neutralise_mentions
from core import accepting

# Slack's most for an option's text, and for its description.
OPTION_LIMIT = 75


def accept_modal(*, question_id: int, question_text: str, answers) -> dict[str, Any]:
    """Pick the answer that solved the question: `answers` are (message_ts, author_id, text, accepted),
    in thread order. Each is offered with who wrote it and the start of its text (the rest of it
    below, as far as Slack's 75 characters go); the one accepted already is chosen."""
    offered, total = accepting.choices(answers)
    options = []
    initial = None
    for choice in offered:
        author = f"{mention(choice.author_id, start=True)}: "
        head, rest = clip(answer_excerpt(choice.text) or "(no text)", OPTION_LIMIT - len(author))
        entry: dict[str, Any] = {"text": {"type": "mrkdwn", "text": author + head}, "value": choice.message_ts}
        if rest:
            entry["description"] = {"type": "mrkdwn", "text": clip(rest, OPTION_LIMIT)[0]}
        options.append(entry)
        if choice.accepted:
            initial = entry
    element: dict[str, Any] = {"type": "radio_buttons", "action_id": ids.ACCEPT_MODAL_ANSWER, "options": options}
    if initial:
        element["initial_option"] = initial
    blocks: list[dict[str, Any]] = [
        section("*" + excerpt(neutralise_mentions(question_text), 280) + "*"),
        {
            "type": "input",
            "block_id": ids.ACCEPT_MODAL_ANSWER,
            "label": plain("The answer that solved it"),
            "element": element,
        },
    ]
    if total > len(offered):
        blocks.append(
            context(
                f"The {len(offered)} latest of {total} answers. To accept another, use *Accept as answer* "
                "in its ⋯ menu in the thread."
            )
        )
    blocks.append(
        context(
            "The question then shows it as resolved, with a link to it, and the answer is marked "
            ":white_check_mark: in the thread."
        )
    )
    return {
        "type": "modal",
        "callback_id": ids.ACCEPT_MODAL,
        "private_metadata": json.dumps({"q": question_id}),
        "title": plain("Accept an answer"),
        "submit": plain("Accept"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


ACCEPT_MESSAGES = {
    "accepted": (
        ":white_check_mark: Accepted. The question now shows it as resolved, with a link to this answer, "
        "and the answer is marked :white_check_mark: in its thread."
    ),
    "already": "That answer is already the accepted one.",
    "not_allowed": (
        "Sorry, only the person who asked, an expert in the question's topics or a Knowhow admin can accept "
        "an answer. If this answer solved it for you, a reaction or a reply in the thread tells the asker."
    ),
    "not_a_question": "That message is not a reply to a question asked with `/ask`, so there is nothing to accept.",
    "not_an_answer": "That message is not counted as an answer to the question, so it cannot be accepted.",
    "deleted": "That answer was deleted, so it cannot be accepted.",
    "no_answers": "This question has no answers yet. Once someone replies in its thread, you can accept one.",
    "failed": "Sorry, that could not be saved just now. Please try again in a minute.",
    # Slack did not open the form before its trigger expired (or did not say in time who may accept).
    "slow": "Slack did not open the form in time. Please click the button again in a moment.",
    "slow_form": "Slack is slow to confirm who may accept this just now. Please submit again in a moment.",
}


def accept_result(outcome: str) -> Message:
    return private(ACCEPT_MESSAGES[outcome])


def accept_result_view(outcome: str) -> dict[str, Any]:
    """The form, once sent: the same words the shortcut answers with."""
    return {
        "type": "modal",
        "title": plain("Accept an answer"),
        "close": plain("Close"),
        "blocks": [section(ACCEPT_MESSAGES[outcome])],
    }
