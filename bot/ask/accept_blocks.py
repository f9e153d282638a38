"""Block Kit for accepting an answer: the form listing a question's answers, and what each
outcome says."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.blockkit import Message, option, plain, private, section
from bot.text import excerpt, neutralise_mentions


def accept_modal(*, question_id: int, question_text: str, answers) -> dict[str, Any]:
    """Pick the answer that solved the question: `answers` are (message_ts, author_id, text, accepted)."""
    options = []
    initial = None
    for ts, _author, text, accepted in answers[:100]:
        choice = option(excerpt(text, 75) or "(no text)", ts)
        options.append(choice)
        if accepted:
            initial = choice
    element: dict[str, Any] = {"type": "static_select", "action_id": ids.ACCEPT_MODAL_ANSWER, "options": options}
    if initial:
        element["initial_option"] = initial
    return {
        "type": "modal",
        "callback_id": ids.ACCEPT_MODAL,
        "private_metadata": json.dumps({"q": question_id}),
        "title": plain("Accept an answer"),
        "submit": plain("Accept"),
        "close": plain("Cancel"),
        "blocks": [
            section("*" + excerpt(neutralise_mentions(question_text), 280) + "*"),
            {
                "type": "input",
                "block_id": ids.ACCEPT_MODAL_ANSWER,
                "label": plain("The answer that solved it"),
                "element": element,
            },
        ],
    }


ACCEPT_MESSAGES = {
    "accepted": ":white_check_mark: Accepted. The question now shows it as resolved, with a link to this answer.",
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
    "slow": "Slack did not open the form in time. Please click *Accept an answer* again in a moment.",
    "slow_form": "Slack is slow to confirm who may accept this just now. Please submit again in a moment.",
}


def accept_result(outcome: str) -> Message:
    return private(ACCEPT_MESSAGES[outcome])
