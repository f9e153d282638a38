"""Slash commands, action ids, callback ids and outbox kinds, in one place."""

ASK_COMMAND = "/ask"
MENTOR_COMMAND = "/mentor"
EXPERT_COMMAND = "/expert"

# Block actions.
ASK_SEARCH_MORE = "ask_search_more"

# Shortcuts (callback ids, as in manifest.yml).
ACCEPT_ANSWER_SHORTCUT = "accept_answer"

# Outbox kinds: what the worker knows how to send.
OUTBOX_POST_QUESTION = "ask.post_question"
OUTBOX_CONFIRM_QUESTION = "ask.confirm_question"
OUTBOX_QUESTION_FAILED = "ask.question_failed"
OUTBOX_FOLLOW_UP_THREAD = "ask.follow_up_thread"
OUTBOX_FOLLOW_UP_ASKER = "ask.follow_up_asker"
