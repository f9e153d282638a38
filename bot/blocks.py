"""Block Kit builders: pure functions from plain values to message bodies (text + blocks)."""

from __future__ import annotations

from typing import Any

from bot.ids import ASK_SEARCH_MORE
from bot.text import chunks, excerpt, flatten_links, neutralise_mentions

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
        "Every question and its answers are kept, so the next person with the same problem finds them.",
        "`/ask search expenses policy` finds earlier questions and their answers.",
        "`/ask help` shows this message. Only you can see it.",
    ]
    return {"response_type": "ephemeral", "text": lines[0], "blocks": [_section("\n".join(lines))]}


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


def question_post(*, asker_id: str, text: str) -> Message:
    """The question as the bot posts it: the asker's words made inert, then who asked."""
    safe = neutralise_mentions(text)
    blocks = [_section(piece) for piece in chunks(safe, SECTION_LIMIT)]
    blocks.append(_context(f":raising_hand: Asked by <@{asker_id}> with `/ask` · Answer in the thread"))
    return {
        "text": f"Question from <@{asker_id}>: {excerpt(safe, 150)}",
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def question_confirmed(*, channel_id: str, permalink: str | None) -> Message:
    where = f"<{permalink}|in <#{channel_id}>>" if permalink else f"in <#{channel_id}>"
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


def home_view() -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Knowhow"}},
            _section(
                "Knowhow helps you learn from your colleagues. Put a question to the whole "
                "organisation with `/ask`: it is posted in the Q&A channel, credited to you, and "
                "anyone who knows can answer in its thread. Every answer is kept, so the next "
                "person with the same problem finds it."
            ),
            _context("Try `/ask help`. Expert sessions and the Mentor Center are coming."),
        ],
    }


STATE_LABELS = {"open": ":grey_question: open", "answered": ":speech_balloon: answered"}


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
        details = [STATE_LABELS[match.state.value], f"{match.answers} answer{'s' if match.answers != 1 else ''}", f"asked {_when(match.asked_at)}"]
        blocks.append(_section(title))
        blocks.append(_context(" · ".join(details)))
        if match.first_answer:
            blocks.append(_context("> " + excerpt(neutralise_mentions(match.first_answer), 280)))
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
