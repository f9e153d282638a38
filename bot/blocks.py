"""Block Kit builders: pure functions from plain values to message bodies (text + blocks)."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.ids import ASK_SEARCH_MORE
from bot.text import chunks, excerpt, flatten_links, neutralise_mentions, shown

SECTION_LIMIT = 3000  # Slack's limit for a section's text
Message = dict[str, Any]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def ask_help(qa_channel_id: str | None) -> Message:
    where = f"<#{qa_channel_id}>" if qa_channel_id else "the Q&A channel (an admin still has to choose it)"
    lines = [
        "*Ask your colleagues with* `/ask`",
        "`/ask How do I get access to the staging database?` posts your question in "
        f"{where}, credited to you, where anyone can answer in the thread.",
        "`/ask` on its own opens a form: add details and topics, or ask anonymously.",
        "Before posting, Knowhow shows you earlier questions that may already answer yours.",
        "Every question and its answers are kept, so the next person with the same problem finds them. "
        "The asker (or a topic expert) marks the answer that solved it: the button on the question, "
        "or *Accept as answer* in a reply's ⋯ menu.",
        "`/ask search expenses policy` finds earlier questions and their answers.",
        "`/expert topics add kubernetes` says what you can help with; you may be invited to such questions.",
        "`/ask help` shows this message. Only you can see it.",
    ]
    return {"response_type": "ephemeral", "text": lines[0], "blocks": [_section("\n".join(lines))]}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def ask_modal(*, channel_id: str | None) -> dict[str, Any]:
    """The form `/ask` opens when it has no text."""
    return {
        "type": "modal",
        "callback_id": ids.ASK_MODAL,
        "private_metadata": json.dumps({"c": channel_id}),
        "title": _plain("Ask your colleagues"),
        "submit": _plain("Ask"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.ASK_MODAL_QUESTION,
                "label": _plain("Your question"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.ASK_MODAL_QUESTION,
                    "max_length": 3000,
                    "placeholder": _plain("How do I get access to the staging database?"),
                },
            },
            {
                "type": "input",
                "block_id": ids.ASK_MODAL_DETAILS,
                "optional": True,
                "label": _plain("Details"),
                "hint": _plain("What you tried, what you expected, error messages."),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.ASK_MODAL_DETAILS,
                    "multiline": True,
                    "max_length": 3000,
                },
            },
            {
                "type": "input",
                "block_id": ids.ASK_MODAL_TOPICS,
                "optional": True,
                "label": _plain("Topics"),
                "hint": _plain(
                    "Pick existing topics or type a new one. They help the right people find your question."
                ),
                "element": {
                    "type": "multi_external_select",
                    "action_id": ids.ASK_MODAL_TOPICS,
                    "min_query_length": 0,
                    "max_selected_items": 5,
                    "placeholder": _plain("kubernetes, expenses, onboarding…"),
                },
            },
            {
                "type": "input",
                "block_id": ids.ASK_MODAL_ANONYMOUS,
                "optional": True,
                "label": _plain("Privacy"),
                "element": {
                    "type": "checkboxes",
                    "action_id": ids.ASK_MODAL_ANONYMOUS,
                    "options": [
                        {
                            "text": _plain("Ask anonymously"),
                            "description": _plain(
                                "The channel won't see who asked. You still get every update privately."
                            ),
                            "value": "anonymous",
                        }
                    ],
                },
            },
        ],
    }


NEW_TOPIC_PREFIX = "new:"
TOPIC_PREFIX = "topic:"


def topic_options(existing: list[str], typed: str | None) -> dict[str, Any]:
    """Options for the topics picker: existing topics, and what was typed (None: nothing new
    to offer) as a new one."""
    options = [{"text": _plain(name[:75]), "value": TOPIC_PREFIX + name} for name in existing[:99]]
    typed = " ".join((typed or "").split())[:50]
    if typed:
        options.append({"text": _plain(f"New topic: {typed}"[:75]), "value": NEW_TOPIC_PREFIX + typed})
    return {"options": options[:100]}


def _question_attribution(asker_id: str, anonymous: bool) -> str:
    return "Asked anonymously" if anonymous else f"Asked by <@{asker_id}>"


def ask_modal_errors(errors: dict[str, str]) -> dict[str, Any]:
    return {"response_action": "errors", "errors": errors}


def ask_no_channel() -> Message:
    text = (
        "Questions can't be posted yet: no Q&A channel is set. "
        "Ask a Knowhow admin to set `KNOWHOW_QA_CHANNEL` to the channel's id and invite the bot there."
    )
    return {"response_type": "ephemeral", "text": text}


def ask_too_long(limit: int, text: str) -> Message:
    return {
        "response_type": "ephemeral",
        "text": (
            f"Your question is {len(text):,} characters; the limit is {limit:,}. "
            "Shorten it and try again. Here it is so nothing is lost:\n```" + neutralise_mentions(text[:limit]) + "```"
        ),
    }


def ask_not_saved(text: str) -> Message:
    return {
        "response_type": "ephemeral",
        "text": (
            "Sorry, your question could not be saved just now. Please try again in a minute. "
            "Here it is so nothing is lost:\n```" + neutralise_mentions(text) + "```"
        )[:3900],
    }


def ask_received(channel_id: str) -> Message:
    return {"response_type": "ephemeral", "text": f"Got it: posting your question in <#{channel_id}>…"}


POST_STATES = {
    "open": ":grey_question: Open · Answer in the thread",
    "answered": ":speech_balloon: Answered · More answers welcome in the thread",
    "resolved": ":white_check_mark: Resolved",
}


def question_post(
    *,
    asker_id: str,
    text: str,
    question_id: int | None = None,
    anonymous: bool = False,
    details: str | None = None,
    topics: list[str] | tuple[str, ...] = (),
    state: str = "open",
    accepted_author: str | None = None,
    accepted_link: str | None = None,
) -> Message:
    """The question as the bot posts it (and updates it): the asker's words made inert, who asked
    (or that it was anonymous), its topics, and its state."""
    safe = neutralise_mentions(text)
    blocks = [_section(piece) for piece in chunks(safe, SECTION_LIMIT)]
    if details:
        blocks += [_section(piece) for piece in chunks(neutralise_mentions(details), SECTION_LIMIT)]
    about = [_question_attribution(asker_id, anonymous) + " with `/ask`"]
    if topics:
        about.append("Topics: " + ", ".join(f"*{shown(t)}*" for t in topics))
    blocks.append(_context(":raising_hand: " + " · ".join(about)))
    status = POST_STATES[state]
    if state == "resolved" and accepted_author:
        answer = f"<{accepted_link}|accepted answer>" if accepted_link else "accepted answer"
        status += f" · The {answer} is by <@{accepted_author}>, in the thread"
    blocks.append(_context(status))
    if question_id is not None and state != "open":
        blocks.append(
            {
                "type": "actions",
                "block_id": "question_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.ASK_ACCEPT_OPEN,
                        "text": _plain("Accept an answer"),
                        "value": str(question_id),
                    }
                ],
            }
        )
    who = "Anonymous question" if anonymous else f"Question from <@{asker_id}>"
    return {
        "text": f"{who}: {excerpt(safe, 150)}",
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _lesson_blocks(lessons, question_id: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for lesson in lessons:
        title = excerpt(neutralise_mentions(lesson.text), 200)
        if lesson.permalink:
            title = f"<{lesson.permalink}|{flatten_links(title)}>"
        label = "Accepted answer" if lesson.accepted else "Answer"
        blocks.append(_section(f"*{title}*\n> _{label}:_ " + excerpt(neutralise_mentions(lesson.answer), 280)))
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.ASK_THIS_ANSWERS_IT,
                        "text": _plain("This answers it"),
                        "style": "primary",
                        "value": json.dumps({"q": question_id, "by": lesson.question_id}),
                    }
                ],
            }
        )
    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.ASK_POST_ANYWAY,
                    "text": _plain("Post my question anyway"),
                    "value": json.dumps({"q": question_id}),
                }
            ],
        }
    )
    return blocks


SUGGESTIONS_INTRO = (
    "*Colleagues may have answered this already.* Does one of these solve it? Nothing is posted until you choose."
)


def suggestions_message(*, question_id: int, lessons) -> Message:
    """Earlier questions shown privately before posting, with the asker's two choices."""
    return {
        "response_type": "ephemeral",
        "text": "Colleagues may have answered this already",
        "blocks": [_section(SUGGESTIONS_INTRO), *_lesson_blocks(lessons, question_id)],
    }


def suggestions_view(*, question_id: int, lessons) -> dict[str, Any]:
    """The same choices, in the /ask form when it was used."""
    return {
        "type": "modal",
        "callback_id": ids.ASK_SUGGESTIONS_VIEW,
        "private_metadata": json.dumps({"q": question_id}),
        "title": _plain("Already answered?"),
        "close": _plain("Close"),
        "blocks": [_section(SUGGESTIONS_INTRO), *_lesson_blocks(lessons, question_id)],
    }


def deflected(*, permalink: str | None) -> Message:
    where = f" <{permalink}|Here it is> if you need it again." if permalink else ""
    return {
        "response_type": "ephemeral",
        "text": f":tada: Glad an earlier answer helped. Your question was not posted.{where}",
    }


def held_already_decided() -> Message:
    return {"response_type": "ephemeral", "text": "You already chose for this question."}


def held_not_yours() -> Message:
    return {"response_type": "ephemeral", "text": "Only the person who asked can choose for this question."}


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that just says something (after a choice made inside a modal)."""
    return {"type": "modal", "title": _plain(title[:24]), "close": _plain("Close"), "blocks": [_section(text)]}


def accept_modal(*, question_id: int, question_text: str, answers) -> dict[str, Any]:
    """Pick the answer that solved the question: `answers` are (message_ts, author_id, text, accepted)."""
    options = []
    initial = None
    for ts, _author, text, accepted in answers[:100]:
        option = {"text": _plain(excerpt(text, 75) or "(no text)"), "value": ts}
        options.append(option)
        if accepted:
            initial = option
    element: dict[str, Any] = {"type": "static_select", "action_id": ids.ACCEPT_MODAL_ANSWER, "options": options}
    if initial:
        element["initial_option"] = initial
    return {
        "type": "modal",
        "callback_id": ids.ACCEPT_MODAL,
        "private_metadata": json.dumps({"q": question_id}),
        "title": _plain("Accept an answer"),
        "submit": _plain("Accept"),
        "close": _plain("Cancel"),
        "blocks": [
            _section("*" + excerpt(neutralise_mentions(question_text), 280) + "*"),
            {
                "type": "input",
                "block_id": ids.ACCEPT_MODAL_ANSWER,
                "label": _plain("The answer that solved it"),
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
}


def accept_result(outcome: str) -> Message:
    return {"response_type": "ephemeral", "text": ACCEPT_MESSAGES[outcome]}


def invite_helpers(*, user_ids: list[str], topics: list[str]) -> Message:
    """Posted in a question's thread (not in the channel): mentions only the people invited."""
    people = ", ".join(f"<@{u}>" for u in user_ids)
    about = ", ".join(f"*{shown(t)}*" for t in topics) or "this"
    return {
        "text": (
            f":wave: {people}: you know about {about} (from questions you answered or topics you listed). "
            "Could you help here? If not, no worries. `/expert topics pause` stops these invitations."
        ),
    }


def question_confirmed(*, channel_id: str, permalink: str | None) -> Message:
    # A link's text cannot hold a channel mention (Slack does not nest them): both, side by side.
    where = f"in <#{channel_id}> (<{permalink}|see it>)" if permalink else f"in <#{channel_id}>"
    text = (
        f":white_check_mark: Your question is posted {where}. "
        "Replies in its thread are kept as answers, so others can find them later."
    )
    return {"text": text}


def question_failed(*, channel_id: str, reason: str, text: str) -> Message:
    return {
        "text": (
            f"Sorry, your question could not be posted in <#{channel_id}> ({reason}). "
            "A Knowhow admin may need to invite the bot to that channel. "
            "Here it is so nothing is lost:\n```" + neutralise_mentions(text) + "```"
        )[:3900],
    }


STATE_LABELS = {
    "open": ":grey_question: open",
    "answered": ":speech_balloon: answered",
    "resolved": ":white_check_mark: resolved",
}


def _when(moment) -> str:
    """A time every reader sees in their own zone, with a plain fallback."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}}|{moment:%Y-%m-%d}>"


def search_results(*, query: str, page, more_value: str | None) -> Message:
    """One page of `/ask search` results, private to the person searching."""
    shown_query = excerpt(neutralise_mentions(query), 100)
    if not page.matches:
        text = (
            f"No earlier questions match “{shown_query}”." if page.offset == 0 else "No more matches."
        ) + f" Ask it: `/ask {shown_query}`"
        return {"response_type": "ephemeral", "text": text}
    first = page.offset + 1
    last = page.offset + len(page.matches)
    blocks: list[dict[str, Any]] = [_section(f"*Earlier questions about “{shown_query}”* ({first}–{last})")]
    for match in page.matches:
        title = excerpt(neutralise_mentions(match.text), 200)
        if match.permalink:
            title = f"<{match.permalink}|{flatten_links(title)}>"
        details = [
            STATE_LABELS[match.state.value],
            f"{match.answers} answer{'s' if match.answers != 1 else ''}",
            f"asked {_when(match.asked_at)}",
        ]
        blocks.append(_section(title))
        blocks.append(_context(" · ".join(details)))
        if match.answer:
            label = "Accepted answer: " if match.accepted else ""
            blocks.append(_context("> " + label + excerpt(neutralise_mentions(match.answer), 280)))
    if more_value is not None:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ASK_SEARCH_MORE,
                        "text": {"type": "plain_text", "text": "More"},
                        "value": more_value,
                    }
                ],
            }
        )
    return {"response_type": "ephemeral", "text": f"Earlier questions about “{shown_query}”", "blocks": blocks}


def search_needs_terms() -> Message:
    return {"response_type": "ephemeral", "text": "Say what to look for, for example `/ask search expense policy`."}


def search_failed() -> Message:
    return {"response_type": "ephemeral", "text": "Sorry, searching failed just now. Please try again in a minute."}


def follow_up_in_thread() -> Message:
    """Raised once in an unanswered question's thread, and shown in the channel."""
    return {
        "text": (
            ":wave: This question has no answer yet. If you know something about it, or know "
            "who might, please reply in this thread. Partial answers help too."
        )
    }


def follow_up_to_asker(*, channel_id: str, permalink: str | None) -> Message:
    where = f"<{permalink}|your question>" if permalink else f"your question in <#{channel_id}>"
    return {
        "text": (
            f"Nobody has answered {where} yet, so I raised it again in its thread. "
            "Adding detail, or rewording it with the words a colleague would search for, often helps."
        )
    }
