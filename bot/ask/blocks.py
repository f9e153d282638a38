"""Block Kit for /ask: pure functions from plain values to message bodies (text + blocks)."""

from __future__ import annotations

import json
from typing import Any

from bot import ids, refusals
from bot.blockkit import (
    SECTION_LIMIT,
    Message,
    button,
    context,
    date_token,
    form_errors,
    option,
    plain,
    private,
    section,
)
from bot.text import chunks, excerpt, flatten_links, mention, neutralise_mentions, notification_text, shown, unescape
from core import asking


def ask_help(qa_channel_id: str | None) -> Message:
    where = (
        f"<#{qa_channel_id}>"
        if qa_channel_id
        else "the Q&A channel (an admin still has to choose it: `/ask channel`, run in that channel)"
    )
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
        "`/ask channel` (admins), run in a channel, makes it the one where this workspace's questions go.",
        "`/ask help` shows this message. Only you can see it.",
    ]
    return private(lines[0], [section("\n".join(lines))])


def ask_modal(
    *,
    channel_id: str | None,
    response_url: str | None = None,
    requested_at: float | None = None,
    replace_original: bool = False,
    question: str = "",
    details: str = "",
    replaces: int | None = None,
) -> dict[str, Any]:
    """The form `/ask` opens when it has no text; or, prefilled (`question`, `details`, as typed),
    the form a question shown before posting is edited in (`replaces`: that held question).
    `response_url` (with when Slack gave it) is where the asker hears back once it is posted, as
    after `/ask <text>`: the command's (which left no message to replace), or the click's on the
    message it then replaces (`replace_original`)."""
    metadata: dict[str, Any] = {"c": channel_id}
    if response_url:
        metadata.update(r=response_url, t=requested_at)
        if not replace_original:
            metadata["o"] = 0
    if replaces is not None:
        metadata["h"] = replaces
    question_box: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.ASK_MODAL_QUESTION,
        "max_length": FORM_BOX_LIMIT,
        "placeholder": plain("How do I get access to the staging database?"),
    }
    if question:
        question_box["initial_value"] = question[:FORM_BOX_LIMIT]
    details_box: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.ASK_MODAL_DETAILS,
        "multiline": True,
        "max_length": FORM_BOX_LIMIT,
    }
    if details:
        details_box["initial_value"] = details[:FORM_BOX_LIMIT]
    return {
        "type": "modal",
        "callback_id": ids.ASK_MODAL,
        "private_metadata": json.dumps(metadata),
        "title": plain("Ask your colleagues"),
        "submit": plain("Ask"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.ASK_MODAL_QUESTION,
                "label": plain("Your question"),
                "element": question_box,
            },
            {
                "type": "input",
                "block_id": ids.ASK_MODAL_DETAILS,
                "optional": True,
                "label": plain("Details"),
                "hint": plain("What you tried, what you expected, error messages."),
                "element": details_box,
            },
            {
                "type": "input",
                "block_id": ids.ASK_MODAL_TOPICS,
                "optional": True,
                "label": plain("Topics"),
                "hint": plain("Pick existing topics or type a new one. They help the right people find your question."),
                "element": {
                    "type": "multi_external_select",
                    "action_id": ids.ASK_MODAL_TOPICS,
                    "min_query_length": 0,
                    "max_selected_items": 5,
                    "placeholder": plain("kubernetes, expenses, onboarding…"),
                },
            },
            {
                "type": "input",
                "block_id": ids.ASK_MODAL_ANONYMOUS,
                "optional": True,
                "label": plain("Privacy"),
                "element": {
                    "type": "checkboxes",
                    "action_id": ids.ASK_MODAL_ANONYMOUS,
                    "options": [
                        {
                            "text": plain("Ask anonymously"),
                            "description": plain(
                                "The channel won't see who asked. You still get every update privately."
                            ),
                            "value": "anonymous",
                        }
                    ],
                },
            },
        ],
    }


# What each of the form's text boxes holds (Slack's most for a plain_text_input), as
# `core.asking.form_boxes` fills them.
FORM_BOX_LIMIT = asking.LONG_CHARS

NEW_TOPIC_PREFIX = "new:"
TOPIC_PREFIX = "topic:"


def topic_options(existing: list[str], typed: str | None) -> dict[str, Any]:
    """Options for the topics picker: existing topics, and what was typed (None: nothing new
    to offer) as a new one."""
    options = [option(name, TOPIC_PREFIX + name) for name in existing[:99]]
    typed = " ".join((typed or "").split())[:50]
    if typed:
        options.append(option(f"New topic: {typed}", NEW_TOPIC_PREFIX + typed))
    return {"options": options[:100]}


def _question_attribution(asker_id: str, anonymous: bool) -> str:
    return "Asked anonymously" if anonymous else f"Asked by {mention(asker_id)}"


def ask_modal_errors(errors: dict[str, str]) -> dict[str, Any]:
    return form_errors(errors)


def ask_no_channel() -> Message:
    text = (
        "Questions can't be posted yet: no Q&A channel is set. "
        "Ask a Knowhow admin to run `/ask channel` in the channel where questions should go."
    )
    return private(text)


def ask_form_not_in_time() -> Message:
    return private(
        "Slack did not open the form in time. Please run `/ask` again, or type your question after the "
        "command: `/ask How do I…?`"
    )


def qa_channel_set(channel_id: str) -> Message:
    return private(
        f"Done: questions asked with `/ask` in this workspace now go to <#{channel_id}>. "
        "If it is a private channel, invite Knowhow to it (`/invite @Knowhow`) so it can post there."
    )


def qa_channel_admins_only() -> Message:
    return private(refusals.QA_CHANNEL)


def qa_channel_not_here() -> Message:
    return private("Run `/ask channel` in the channel where questions should go (not in a direct message).")


def ask_too_long(limit: int, text: str) -> Message:
    return private(
        f"Your question is {len(text):,} characters; the limit is {limit:,}. "
        "Shorten it and try again. Here it is so nothing is lost:\n```" + neutralise_mentions(text[:limit]) + "```"
    )


def ask_form_refused(problem: str, text: str) -> Message:
    return private(
        (
            f"{problem} Ask again with other topics. Here is your question so nothing is lost:\n```"
            + neutralise_mentions(text)
            + "```"
        )[:3900]
    )


def ask_not_saved(text: str) -> Message:
    return private(
        (
            "Sorry, your question could not be saved just now. Please try again in a minute. "
            "Here it is so nothing is lost:\n```" + neutralise_mentions(text) + "```"
        )[:3900]
    )


def ask_looking() -> Message:
    """The first answer to `/ask <text>`: the outcome (earlier answers, or the post) replaces it."""
    return private("Got it: looking for earlier answers to your question…")


def ask_received(channel_id: str) -> Message:
    return private(f"Got it: posting your question in <#{channel_id}>…")


# Said under the button, which everyone sees (core.accepting: who may accept).
WHO_ACCEPTS = "Only the asker, an expert in its topics or an admin can accept an answer."

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
    blocks = [section(piece) for piece in chunks(safe, SECTION_LIMIT)]
    if details:
        blocks += [section(piece) for piece in chunks(neutralise_mentions(details), SECTION_LIMIT)]
    about = [_question_attribution(asker_id, anonymous) + " with `/ask`"]
    if topics:
        about.append("Topics: " + ", ".join(f"*{shown(t)}*" for t in topics))
    blocks.append(context(":raising_hand: " + " · ".join(about)))
    status = POST_STATES[state]
    if state == "resolved" and accepted_author:
        answer = f"<{accepted_link}|accepted answer>" if accepted_link else "accepted answer"
        status += f" · The {answer} is by {mention(accepted_author)}, in the thread"
    blocks.append(context(status))
    if question_id is not None and state != "open":
        label = "Change the accepted answer" if state == "resolved" else "Accept an answer"
        blocks.append(
            {
                "type": "actions",
                "block_id": "question_actions",
                "elements": [button(label, ids.ASK_ACCEPT_OPEN, str(question_id))],
            }
        )
        blocks.append(context(WHO_ACCEPTS))
    who = "Anonymous question" if anonymous else f"Question from {mention(asker_id)}"
    return {
        "text": f"{who}: {notification_text(excerpt(safe, 150))}",
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _lesson_blocks(lessons, question_id: int, *, post_anyway: bool = True) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for lesson in lessons:
        title = excerpt(neutralise_mentions(lesson.text), 200)
        if lesson.permalink:
            title = f"<{lesson.permalink}|{flatten_links(title)}>"
        label = "Accepted answer" if lesson.accepted else "Answer"
        blocks.append(section(f"*{title}*\n> _{label}:_ " + excerpt(neutralise_mentions(lesson.answer), 280)))
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    button(
                        "This answers it",
                        ids.ASK_THIS_ANSWERS_IT,
                        json.dumps({"q": question_id, "by": lesson.question_id}),
                        style="primary",
                    )
                ],
            }
        )
    if post_anyway:
        blocks.append({"type": "divider"})
        blocks.append(
            {
                "type": "actions",
                "elements": [button("Post my question anyway", ids.ASK_POST_ANYWAY, json.dumps({"q": question_id}))],
            }
        )
    return blocks


SUGGESTIONS_INTRO = (
    "*Colleagues may have answered this already.* Does one of these solve it? Nothing is posted until you choose."
)


def suggestions_message(*, question_id: int, lessons) -> Message:
    """Earlier questions shown privately before posting, with the asker's two choices."""
    return private(
        "Colleagues may have answered this already", [section(SUGGESTIONS_INTRO), *_lesson_blocks(lessons, question_id)]
    )


def suggestions_view(*, question_id: int, lessons, form: dict | None = None) -> dict[str, Any]:
    """The same choices, in the /ask form when it was used. `form`: where the form came from
    (`notify.ask.form_answered`), for the confirmation once it is posted."""
    return {
        "type": "modal",
        "callback_id": ids.ASK_SUGGESTIONS_VIEW,
        "private_metadata": json.dumps({"q": question_id, "form": form or {}}),
        "title": plain("Already answered?"),
        "close": plain("Close"),
        "blocks": [section(SUGGESTIONS_INTRO), *_lesson_blocks(lessons, question_id)],
    }


def _review_blocks(question, review: asking.Review, lessons) -> list[dict[str, Any]]:
    """A question shown to its asker before posting (`core.asking.needs_review`): what it is, why
    it is shown, and the choices: post it as it is, edit it in the form, or cancel."""
    where = f"<#{question.channel_id}>"
    safe = neutralise_mentions(question.text)
    if review.reason is asking.ReviewReason.SHORT:
        words = f"{review.words} word" + ("" if review.words == 1 else "s")
        quoted = "> " + excerpt(safe, 300)
        why = (
            f"It is {words} long, and everyone in {where} will read it. Colleagues answer best when a question "
            "says what you are trying to do and what you tried. Nothing is posted until you choose."
        )
    else:
        parts = len(chunks(safe, SECTION_LIMIT))
        quoted = "> " + excerpt(safe, 300)
        why = (
            f"It is {review.chars:,} characters long: more than one message block holds ({SECTION_LIMIT:,}), so "
            f"it would be posted in {parts} parts, each ending at a paragraph or a sentence. A short question with "
            "the rest as details is easier to answer. Nothing is posted until you choose."
        )
    fits = asking.form_boxes(unescape(question.text), unescape(question.details or "")) is not None
    edit = [button("Edit it in the form", ids.ASK_EDIT_HELD, json.dumps({"q": question.id}))] if fits else []
    if not fits:
        why += f" It is too long for the form ({FORM_BOX_LIMIT:,} characters of question and as many of details)."
    blocks = [section(f"*Post this in {where}?*\n{quoted}"), section(why)]
    if lessons:
        blocks.append(section("*Colleagues may have answered this already.* Does one of these solve it?"))
        blocks += _lesson_blocks(lessons, question.id, post_anyway=False)
        blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "actions",
            "block_id": "review_choices",
            "elements": [
                button("Post it", ids.ASK_POST_ANYWAY, json.dumps({"q": question.id}), style="primary"),
                *edit,
                button("Cancel", ids.ASK_CANCEL_HELD, json.dumps({"q": question.id})),
            ],
        }
    )
    return blocks


def review_message(*, question, review: asking.Review, lessons=()) -> Message:
    """The private "post this?" step after `/ask <text>` (and, when its form is closed, after the form)."""
    where = f"<#{question.channel_id}>"
    return private(
        f"Post this in {where}? Nothing is posted until you choose.", _review_blocks(question, review, lessons)
    )


def review_view(*, question, review: asking.Review, lessons=(), form: dict | None = None) -> dict[str, Any]:
    """The same step in the /ask form. `form`: where the form came from, for "Edit it"."""
    return {
        "type": "modal",
        "callback_id": ids.ASK_SUGGESTIONS_VIEW,
        "private_metadata": json.dumps({"q": question.id, "form": form or {}}),
        "title": plain("Post this?"),
        "close": plain("Close"),
        "blocks": _review_blocks(question, review, lessons),
    }


def withdrawn(text: str) -> Message:
    """A question the asker cancelled: said so, with their text given back whole."""
    intro = "Cancelled: nothing was posted. Here is your question, in case you want it again:"
    pieces = chunks("```" + neutralise_mentions(text) + "```", SECTION_LIMIT) if text else []
    return private(intro, [section(intro), *[section(piece) for piece in pieces][:45]])


def held_expired(text: str) -> Message:
    """A held question nobody chose for: it was not posted; their text given back whole."""
    intro = (
        "Your question waited a week for you to choose whether to post it, so it was not posted. "
        "If you still need an answer, ask it again with /ask. Here it is:"
    )
    pieces = chunks("```" + neutralise_mentions(text) + "```", SECTION_LIMIT) if text else []
    return private(intro, [section(intro), *[section(piece) for piece in pieces][:45]])


def deflected(*, permalink: str | None) -> Message:
    where = f" <{permalink}|Here it is> if you need it again." if permalink else ""
    return private(f":tada: Glad an earlier answer helped. Your question was not posted.{where}")


def held_too_long_for_form() -> Message:
    return private(
        f"Your question is too long for the form ({FORM_BOX_LIMIT:,} characters of question and as many of "
        "details). Post it as it is, or cancel it to get your text back, shorten it and ask again."
    )


def edit_form_failed() -> Message:
    return private("Sorry, the form could not open just now. Your question is still here: choose again in a moment.")


def held_already_decided() -> Message:
    return private("You already chose for this question.")


def held_not_yours() -> Message:
    return private("Only the person who asked can choose for this question.")


def working_view() -> dict[str, Any]:
    """The /ask form once submitted, until the outcome replaces it."""
    return notice_view("Ask your colleagues", ":hourglass_flowing_sand: Got it: looking for earlier answers…")


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that just says something (after a choice made inside a modal)."""
    return {"type": "modal", "title": plain(title[:24]), "close": plain("Close"), "blocks": [section(text)]}


def invite_helpers(*, user_ids: list[str], topics: list[str]) -> Message:
    """Posted in a question's thread (not in the channel): mentions only the people invited."""
    people = ", ".join(mention(u) for u in user_ids)
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


def search_results(*, query: str, page, more_value: str | None) -> Message:
    """One page of `/ask search` results, private to the person searching."""
    shown_query = excerpt(neutralise_mentions(query), 100)
    if not page.matches:
        text = (
            f"No earlier questions match “{shown_query}”." if page.offset == 0 else "No more matches."
        ) + f" Ask it: `/ask {shown_query}`"
        return private(text)
    first = page.offset + 1
    last = page.offset + len(page.matches)
    blocks: list[dict[str, Any]] = [section(f"*Earlier questions about “{shown_query}”* ({first}–{last})")]
    for match in page.matches:
        title = excerpt(neutralise_mentions(match.text), 200)
        if match.permalink:
            title = f"<{match.permalink}|{flatten_links(title)}>"
        details = [
            STATE_LABELS[match.state.value],
            f"{match.answers} answer{'s' if match.answers != 1 else ''}",
            f"asked {date_token(match.asked_at)}",
        ]
        blocks.append(section(title))
        blocks.append(context(" · ".join(details)))
        if match.answer:
            label = "Accepted answer: " if match.accepted else ""
            blocks.append(context("> " + label + excerpt(neutralise_mentions(match.answer), 280)))
    if more_value is not None:
        blocks.append(
            {
                "type": "actions",
                "elements": [button("More", ids.ASK_SEARCH_MORE, more_value)],
            }
        )
    return private(f"Earlier questions about “{shown_query}”", blocks)


def search_needs_terms() -> Message:
    return private("Say what to look for, for example `/ask search expense policy`.")


def search_failed() -> Message:
    return private("Sorry, searching failed just now. Please try again in a minute.")


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
