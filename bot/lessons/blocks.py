"""Block Kit for saving a thread as a lesson: the form (prefilled from the thread), what it says
once saved, and the private notes when nothing can be saved. Pure functions of core.saving's values."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.ask.blocks import FORM_BOX_LIMIT, TOPIC_PREFIX
from bot.blockkit import Message, context, option, plain, private, section
from bot.text import editable, mention
from core.saving import Conversation, Draft, SaveOutcome

SHARE_MEMBERS, SHARE_EVERYONE, SHARE_NOT = "members", "everyone", "no"
SHARE_OPTIONS = {
    SHARE_MEMBERS: "Yes, for the people in this conversation only",
    SHARE_EVERYONE: "Yes, for everyone in the organisation",
    SHARE_NOT: "No, don't save it",
}

WHO_FINDS = {
    Conversation.PUBLIC: "Everyone in your organisation will find it with `/ask search` and among the earlier answers "
    "Knowhow suggests before a question is asked.",
    Conversation.PRIVATE: "This channel is private (or Knowhow does not know it yet): only people searching or asking "
    "from this channel will find it.",
}
DIRECT_WARNING = (
    ":warning: *This conversation is private.* Saved, its question and answer can be found with `/ask search` "
    "and among Knowhow's suggestions: by the people in this conversation only, or by everyone in the "
    "organisation if you choose so. Save it anyway?"
)


def metadata(draft: Draft, saver: str) -> str:
    """What the submit needs besides the boxes: the thread, who wrote what, the conversation."""
    answer = draft.answer
    return json.dumps(
        {
            "c": draft.channel_id,
            "t": draft.thread_ts,
            "q": draft.asker_id,
            "a": answer.ts if answer else None,
            "u": answer.user if answer else saver,
            "d": draft.conversation.value,
        }
    )


def _box(action_id: str, value: str, placeholder: str) -> dict[str, Any]:
    box: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": True,
        "max_length": FORM_BOX_LIMIT,
        "placeholder": plain(placeholder),
    }
    value = editable(value).strip()
    if value:
        box["initial_value"] = value[:FORM_BOX_LIMIT]
    return box


def lesson_modal(draft: Draft, *, saver: str, read: bool) -> dict[str, Any]:
    """The form: the question (the thread's first message), its accepted answer (the chosen reply),
    topics (those the text names, preselected) and, in a DM or group DM, whether to save it at all
    and for whom. `read`: Knowhow could read the thread (else only the message itself)."""
    blocks: list[dict[str, Any]] = []
    if draft.saved is not None:
        blocks.append(context("This thread was saved as a lesson already: saving it again updates it."))
    if draft.conversation is Conversation.DIRECT:
        options = [option(text, value) for value, text in SHARE_OPTIONS.items()]
        blocks += [
            section(DIRECT_WARNING),
            {
                "type": "input",
                "block_id": ids.LESSON_IN_SHARE,
                "label": plain("Save it?"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": ids.LESSON_IN_SHARE,
                    "options": options,
                    "initial_option": options[0],
                },
            },
        ]
    else:
        blocks.append(context(WHO_FINDS[draft.conversation]))
    question_hint = (
        "Tidy it into a clear question if you like: people will find it by these words."
        if draft.question
        else "Knowhow could not read the start of this thread (it reads only conversations it is in): "
        "write the question as it was asked."
    )
    blocks += [
        {
            "type": "input",
            "block_id": ids.LESSON_IN_QUESTION,
            "label": plain("The question"),
            "hint": plain(question_hint),
            "element": _box(ids.LESSON_IN_QUESTION, draft.question, "How do I rotate the staging API keys?"),
        },
        context(f"Asked by {mention(draft.asker_id)}." if draft.asker_id else "Its asker is not known: none is named."),
    ]
    answer = draft.answer
    if answer is not None:
        credit = f"Answer by {mention(answer.user)}, credited to them. Shorten it if you like; keep its meaning."
        answer_hint = "The reply you chose, as the accepted answer."
    else:
        credit = "No reply was chosen, so the answer is credited to you."
        answer_hint = (
            "To save a colleague's reply as the answer, use Save as a lesson on that reply."
            if read
            else "Write the answer that was given."
        )
    blocks += [
        {
            "type": "input",
            "block_id": ids.LESSON_IN_ANSWER,
            "label": plain("The answer"),
            "hint": plain(answer_hint),
            "element": _box(ids.LESSON_IN_ANSWER, answer.text if answer else "", "Run rotate-keys in the ops repo."),
        },
        context(credit),
        _topics(draft.topics),
    ]
    return {
        "type": "modal",
        "callback_id": ids.LESSON_MODAL,
        "private_metadata": metadata(draft, saver),
        "title": plain("Save as a lesson"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def _topics(names: list[str]) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "multi_external_select",
        "action_id": ids.ASK_MODAL_TOPICS,  # the /ask form's picker answers its options
        "min_query_length": 0,
        "max_selected_items": 5,
        "placeholder": plain("kubernetes, expenses, onboarding…"),
    }
    if names:
        element["initial_options"] = [option(name, TOPIC_PREFIX + name) for name in names[:5]]
    return {
        "type": "input",
        "block_id": ids.ASK_MODAL_TOPICS,
        "optional": True,
        "label": plain("Topics"),
        "hint": plain("Suggested from the text. They help the right people find it."),
        "element": element,
    }


def _done(title: str, text: str) -> dict[str, Any]:
    return {"type": "modal", "title": plain(title), "close": plain("Close"), "blocks": [section(text)]}


def saved_view(outcome: SaveOutcome, conversation: Conversation, shared: bool) -> dict[str, Any]:
    if conversation is Conversation.DIRECT:
        who = "everyone in your organisation" if shared else "the people in that conversation only"
    elif conversation is Conversation.PUBLIC:
        who = "everyone in your organisation"
    else:
        who = "people searching or asking from that channel"
    first = (
        "Saved as a lesson."
        if outcome is SaveOutcome.SAVED
        else "Updated: this thread's lesson now reads as you saved it."
    )
    return _done(
        "Lesson saved",
        f"{first} It can be found now by {who}: with `/ask search`, and among the earlier answers Knowhow "
        "suggests before a question is asked. Thank you for keeping it!",
    )


def not_saved_view() -> dict[str, Any]:
    return _done("Not saved", "Nothing was saved: this conversation stays between the people in it.")


FORM_ERRORS = {
    SaveOutcome.EMPTY: (ids.LESSON_IN_QUESTION, "Write the question this thread answers."),
    SaveOutcome.NO_ANSWER: (
        ids.LESSON_IN_ANSWER,
        "Write the answer, or use Save as a lesson on the reply that gave it.",
    ),
    SaveOutcome.TAKEN: (
        ids.LESSON_IN_QUESTION,
        "This thread is a Knowhow question already: use Accept as answer on the reply that answers it.",
    ),
}


def form_error(outcome: SaveOutcome, field: str | None, message: str | None) -> dict[str, str]:
    """The form's error for an outcome that saved nothing, under the box it is about."""
    if outcome in FORM_ERRORS:
        block, text = FORM_ERRORS[outcome]
        return {block: text}
    if outcome is SaveOutcome.TOO_LONG:
        block = ids.LESSON_IN_ANSWER if field == "answer" else ids.LESSON_IN_QUESTION
        return {
            block: f"Please keep it shorter (at most {message} characters, symbols like & and < counting as several)."
        }
    return {ids.ASK_MODAL_TOPICS: message or "One of these topics can't be used."}


SHARE_MISSING = {ids.LESSON_IN_SHARE: "Choose whether to save it, and for whom."}
FAILED = {ids.LESSON_IN_QUESTION: "Sorry, this could not be saved just now. Please try again in a minute."}


def already_a_question() -> Message:
    return private(
        "This thread is a Knowhow question already, so it is in the knowledge base. To mark the reply that answers "
        "it, use *Accept as answer* in that reply's ⋯ menu."
    )


def form_not_opened(slow: bool) -> Message:
    if slow:
        return private("Slack was slow to open the form just now. Please use *Save as a lesson* again in a moment.")
    return private("Sorry, the form could not open just now. Please try *Save as a lesson* again in a minute.")


def offer_broken() -> Message:
    return private("Sorry, this button no longer works. Use *Save as a lesson* in the ⋯ menu of the reply instead.")
