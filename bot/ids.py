"""Slash commands, action ids and callback ids, in one place (outbox kinds: `notify.kinds`)."""

ASK_COMMAND = "/ask"
MENTOR_COMMAND = "/mentor"
EXPERT_COMMAND = "/expert"

# Block actions.
ASK_SEARCH_MORE = "ask_search_more"
ASK_THIS_ANSWERS_IT = "ask_this_answers_it"
ASK_POST_ANYWAY = "ask_post_anyway"  # also "Post it", on a question shown before posting
ASK_EDIT_HELD = "ask_edit_held"  # "Edit it in the form", on a question shown before posting
ASK_CANCEL_HELD = "ask_cancel_held"  # "Cancel", on a question shown before posting
ASK_ACCEPT_OPEN = "ask_accept_open"  # the button on a question's post
# Help channels: on the earlier lessons offered privately to someone who asked there.
# Value: {"c": channel, "t": the question's ts, "by": the lesson's question id (This answers it)}.
HELP_ANSWERS_IT = "help_answers_it"
HELP_NOT_QUITE = "help_not_quite"
HELP_STOP = "help_stop_suggesting"  # "Don't suggest to me"
# Offered to an asker who marked a reply in a help channel: LESSON_SAVE_OFFER (the lessons', below).

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
SESSION_TAKE_OVER = "session_take_over"  # "Take it over" on a question another expert of the panel promised
ACCEPT_MODAL_ANSWER = "accept_answer_choice"

# Shortcuts (callback ids, as in manifest.yml).
ACCEPT_ANSWER_SHORTCUT = "accept_answer"


# The Mentor Center: modals (callback ids) and their inputs (block id = action id).
MENTOR_CENTER = "mentor_center"
MENTOR_VOLUNTEER_MODAL = "mentor_volunteer"
MENTOR_FIND_MODAL = "mentor_find"
MENTOR_PROFILE_MODAL = "mentor_profile"
MENTOR_BROADCAST_MODAL = "mentor_broadcast"
MENTOR_WRAP_UP_MODAL = "mentor_wrap_up"
MENTOR_IN_TOPICS = "mentor_topics"
MENTOR_IN_TOPIC = "mentor_topic"
MENTOR_IN_SUGGEST = "mentor_suggest"
MENTOR_IN_CAPACITY = "mentor_capacity"
MENTOR_IN_NOTE = "mentor_note"
MENTOR_IN_GOAL = "mentor_goal"
MENTOR_IN_LOCATION_PREF = "mentor_location_pref"
MENTOR_IN_ROLE_PREF = "mentor_role_pref"
MENTOR_IN_TARGET_ROLE = "mentor_target_role"
MENTOR_IN_ROLE = "mentor_role"
MENTOR_IN_LOCATION = "mentor_location"
MENTOR_IN_YEARS = "mentor_years"
MENTOR_IN_GOALS = "mentor_call_goals"
MENTOR_IN_WEEKS = "mentor_call_weeks"
MENTOR_IN_HOURS = "mentor_call_hours"
MENTOR_IN_CHANNEL = "mentor_call_channel"
MENTOR_IN_RATING = "mentor_rating"
MENTOR_IN_WORD = "mentor_word"
MENTOR_IN_DECISION = "mentor_decision"
# Buttons: in the Mentor Center, in direct messages, and on a call for volunteers.
MENTOR_OPEN_VOLUNTEER = "mentor_open_volunteer"  # value: a topic id to preselect, or ""
MENTOR_OPEN_FIND = "mentor_open_find"
MENTOR_OPEN_PROFILE = "mentor_open_profile"
MENTOR_WITHDRAW = "mentor_withdraw"  # value: request id
MENTOR_CHOOSE = "mentor_choose"  # value: request:round:mentor
MENTOR_ACCEPT = "mentor_accept"  # value: mentorship id
MENTOR_DECLINE = "mentor_decline"
MENTOR_MET = "mentor_met"  # action ids mentor_met_yes / _not_yet / _stopped; value: mentorship id
MENTOR_OPEN_WRAP_UP = "mentor_open_wrap_up"  # value: mentorship id


# The weekly scoreboard.
SCOREBOARD_SETTINGS_MODAL = "scoreboard_settings"
SCOREBOARD_IN_CHANNEL = "scoreboard_channel"
SCOREBOARD_IN_DAY = "scoreboard_day"
SCOREBOARD_IN_TIME = "scoreboard_time"
SCOREBOARD_IN_SCOPE = "scoreboard_scope"

# App Home.
HOME_ASK = "home_ask"  # opens the /ask form

# Dead letters (bot/deadletters.py): the admin's list of messages Knowhow could not send.
OUTBOX_RETRY = "outbox_retry"  # value: the outbox row's id
OUTBOX_RETRY_ALL = "outbox_retry_all"

# Lessons saved from conversations ("Save as a lesson").
LESSON_SAVE_SHORTCUT = "lesson_save"  # the message shortcut (manifest.yml)
# A button, offered to an asker who marked a reply in a help channel; it opens the same form.
# Value: JSON {"c": channel_id, "t": thread_ts, "a": the marked answer's ts or null}.
LESSON_SAVE_OFFER = "lesson_save_offer"
LESSON_MODAL = "lesson_modal"
LESSON_IN_QUESTION = "lesson_question"
LESSON_IN_ANSWER = "lesson_answer"
LESSON_IN_SHARE = "lesson_share"  # a DM's or group DM's: who may find it, or "don't save it"
# The form's topics use the /ask form's picker (block id = action id = ASK_MODAL_TOPICS).
