"""Slash commands, action ids, callback ids and outbox kinds, in one place."""

ASK_COMMAND = "/ask"
MENTOR_COMMAND = "/mentor"
EXPERT_COMMAND = "/expert"

# Block actions.
ASK_SEARCH_MORE = "ask_search_more"
ASK_THIS_ANSWERS_IT = "ask_this_answers_it"
ASK_POST_ANYWAY = "ask_post_anyway"
ASK_ACCEPT_OPEN = "ask_accept_open"  # the button on a question's post

# Modals (callback ids) and their inputs (block id = action id).
ASK_MODAL = "ask_modal"
ASK_MODAL_QUESTION = "ask_question"
ASK_MODAL_DETAILS = "ask_details"
ASK_MODAL_TOPICS = "ask_topics"  # a multi external select: options come from app.options
ASK_MODAL_ANONYMOUS = "ask_anonymous"
ASK_SUGGESTIONS_VIEW = "ask_suggestions"
ACCEPT_MODAL = "accept_modal"
SESSION_MODAL = "session_modal"
SESSION_DEFER = "session_defer"  # the date picker in an expert's list
ACCEPT_MODAL_ANSWER = "accept_answer_choice"

# Shortcuts (callback ids, as in manifest.yml).
ACCEPT_ANSWER_SHORTCUT = "accept_answer"

# Outbox kinds: what the worker knows how to send.
OUTBOX_POST_QUESTION = "ask.post_question"
OUTBOX_CONFIRM_QUESTION = "ask.confirm_question"
OUTBOX_QUESTION_FAILED = "ask.question_failed"
OUTBOX_FOLLOW_UP_THREAD = "ask.follow_up_thread"
OUTBOX_FOLLOW_UP_ASKER = "ask.follow_up_asker"
OUTBOX_REFRESH_POST = "ask.refresh_post"
OUTBOX_INVITE_HELPERS = "ask.invite_helpers"
OUTBOX_SESSION_ANNOUNCE = "session.announce"
OUTBOX_SESSION_ANNOUNCE_UPDATE = "session.announce_update"
OUTBOX_SESSION_OPENED = "session.opened"
OUTBOX_SESSION_SUMMARY = "session.summary"
OUTBOX_SESSION_SUMMARY_REFRESH = "session.summary_refresh"
OUTBOX_SESSION_EXPERT_LIST = "session.expert_list"
OUTBOX_SESSION_MISSED = "session.missed"
OUTBOX_SESSION_ACK = "session.ack"
OUTBOX_SESSION_DEFERRED_NOTE = "session.deferred_note"
OUTBOX_SESSION_REMINDER = "session.reminder"
