"""Outbox kinds: the messages the Slack edge knows how to send, named by feature."""

OUTBOX_POST_QUESTION = "ask.post_question"
OUTBOX_CONFIRM_QUESTION = "ask.confirm_question"
OUTBOX_QUESTION_FAILED = "ask.question_failed"
OUTBOX_FOLLOW_UP_THREAD = "ask.follow_up_thread"
OUTBOX_FOLLOW_UP_ASKER = "ask.follow_up_asker"
OUTBOX_REFRESH_POST = "ask.refresh_post"
OUTBOX_MARK_ACCEPTED = "ask.mark_accepted"  # the accepted answer's mark (a reaction) in its thread
OUTBOX_INVITE_HELPERS = "ask.invite_helpers"
OUTBOX_CHANNEL_PRIVACY = "ask.channel_privacy"  # is a conversation private? (storage.channels)
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
OUTBOX_SESSION_LISTS_REFRESH = "session.lists_refresh"  # every expert's list, updated in place
OUTBOX_SESSION_TAKEN_OVER = "session.taken_over"  # to the expert a deferred question was taken from
OUTBOX_MENTOR_CANDIDATES = "mentor.candidates"
OUTBOX_MENTOR_WAITING = "mentor.waiting"
OUTBOX_MENTOR_ASK = "mentor.ask"
OUTBOX_MENTOR_INTRO = "mentor.intro"
OUTBOX_MENTOR_LAPSED = "mentor.lapsed"
OUTBOX_MENTOR_HALFWAY = "mentor.halfway"
OUTBOX_MENTOR_END = "mentor.end"
OUTBOX_MENTOR_ENDED = "mentor.ended"
OUTBOX_MENTOR_CALL = "mentor.call"
OUTBOX_MENTOR_CALL_REFRESH = "mentor.call_refresh"
# The protégé's "Knowhow asked them" message, brought up to date once the mentor answered or it lapsed.
OUTBOX_MENTOR_ASKED_UPDATE = "mentor.asked_update"
OUTBOX_SCOREBOARD_POST = "scoreboard.post"
OUTBOX_SCOREBOARD_CHART = "scoreboard.chart"
OUTBOX_SCOREBOARD_FAILED = "scoreboard.failed"
OUTBOX_HOME_REFRESH = "home.refresh"
OUTBOX_ASK_SUGGESTIONS = "ask.suggestions"
OUTBOX_ASK_REFUSED = "ask.refused"
OUTBOX_HELD_DECIDED = "ask.held_decided"
OUTBOX_HELD_EXPIRED = "ask.held_expired"
OUTBOX_ASK_FORM_RESULT = "ask.form_result"
# A thread saved as a lesson: its permalink and its other replies, read from Slack (bot/lessons).
OUTBOX_LESSON_COMPLETE = "lesson.complete"
OUTBOX_HELP_SUGGEST = "help.suggest"  # earlier lessons for a help channel's question, privately to its asker
OUTBOX_HELP_CHOSEN = "help.chosen"  # what came of the asker's choice, in place of the suggestion
OUTBOX_HELP_CHECKMARK = "help.checkmark"  # a checkmark in a help channel: did the asker mark a reply?
OUTBOX_HELP_SAVE_OFFER = "help.save_offer"  # to the asker: save the marked answer as a lesson (once per thread)

# Work kinds: a request stored by its ack, turned into what it implies after the ack by the work
# worker (bot.outbox.Work). Their own worker drains them, so a slow Slack never holds them up.
WORK_ASK = "work.ask"  # `/ask <text>`: look for earlier answers, then hold or post
WORK_ASK_FORM = "work.ask_form"  # the /ask form, submitted: the same, answered in the form
WORK_MESSAGE = "work.message"  # a message event: a reply, an edit, a deletion, a session's question
WORK_HELD_CHOICE = "work.held_choice"  # "This answers it" / "Post my question anyway"
WORK_FORGET = "work.forget"  # Slack says an account was deactivated: forget the person (core.erasure)
WORK_HELP_CHOICE = "work.help_choice"  # "This answers it" / "Not quite" / "Don't suggest to me" in a help channel
WORK_HELP_REACTION = "work.help_reaction"  # a checkmark added to a message (reaction_added)
WORK_KINDS = frozenset(
    {WORK_ASK, WORK_ASK_FORM, WORK_MESSAGE, WORK_HELD_CHOICE, WORK_FORGET, WORK_HELP_CHOICE, WORK_HELP_REACTION}
)
