"""Ask the Expert sessions: designated channels, the session state machine, session questions,
deferrals and the closing summary. No Slack here: the edge and the scheduler call these with
plain values and render what comes back.

States: scheduled -> open -> closed; scheduled -> cancelled; scheduled -> missed (the whole
window passed while Knowhow was down). Every transition is one conditional UPDATE from the state
it leaves, so a duplicated job, a second process or a restart can never open or close a session
twice: exactly one caller gets the transition back, and only that caller says so in Slack.

- `shared`: states, a session as plain data, outcomes, the transition claim;
- `scheduling`: designated channels, scheduling (no overlap), starting now, cancelling;
- `lifecycle`: opening and closing, what is due, questions asked in a session, its summary;
- `deferrals`: answer or defer: the last call, deferrals (one expert owes a question at a time,
  another takes it over explicitly), the experts' lists, reminders, overdue.

Callers use the package: `from core import sessions; sessions.schedule(...)`.
"""

from core.sessions.deferrals import (
    DeferOutcome,
    Deferred,
    ListPost,
    defer,
    due_chases,
    due_reminders,
    follow_ups,
    list_posts,
    mark_chased,
    mark_reminded,
    note_overdue,
    set_list_post,
    set_note,
    take_over,
    zone,
)
from core.sessions.lifecycle import (
    SessionQuestion,
    Summary,
    advance,
    bump_summary,
    close_now,
    due,
    open_in,
    pending,
    questions,
    record_question,
    session_at,
    session_of_question,
    summary,
)
from core.sessions.scheduling import (
    cancel,
    designate,
    designated,
    schedule,
    set_post,
    start_now,
    undesignate,
    upcoming,
)
from core.sessions.shared import (
    CHASE_AFTER,
    DEFAULT_MINUTES,
    MAX_EXPERTS,
    MAX_MINUTES,
    MAX_TOPIC_CHARS,
    REMIND_AT,
    START_SLACK,
    Change,
    Changed,
    Refusal,
    Refused,
    SessionInfo,
    State,
    Transition,
    get,
)

__all__ = [
    "CHASE_AFTER",
    "DEFAULT_MINUTES",
    "MAX_EXPERTS",
    "MAX_MINUTES",
    "MAX_TOPIC_CHARS",
    "REMIND_AT",
    "START_SLACK",
    "Change",
    "Changed",
    "DeferOutcome",
    "Deferred",
    "ListPost",
    "Refusal",
    "Refused",
    "SessionInfo",
    "SessionQuestion",
    "State",
    "Summary",
    "Transition",
    "advance",
    "bump_summary",
    "cancel",
    "close_now",
    "defer",
    "designate",
    "designated",
    "due",
    "due_chases",
    "due_reminders",
    "follow_ups",
    "get",
    "list_posts",
    "mark_chased",
    "mark_reminded",
    "note_overdue",
    "open_in",
    "pending",
    "questions",
    "record_question",
    "schedule",
    "session_at",
    "session_of_question",
    "set_list_post",
    "set_note",
    "set_post",
    "start_now",
    "summary",
    "take_over",
    "undesignate",
    "upcoming",
    "zone",
]
