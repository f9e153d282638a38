"""SQLModel tables. Every table carries `team_id`, and every query in `storage/` filters on it.

Table models do not validate input (SQLModel's known trap): values reach them only through the
typed functions in `storage/` and `core/`, which check what they accept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Question(SQLModel, table=True):
    """A question asked with /ask, and where the bot posted it."""

    __tablename__ = "question"
    __table_args__ = (
        UniqueConstraint("team_id", "request_id", name="uq_question_request"),
        Index("ix_question_post", "team_id", "channel_id", "message_ts", unique=True),
        # The scoreboard: questions asked in a week, and the oldest one nobody has answered.
        # Covering: the week's questions are counted without reading the table (lessons, saved_by
        # set, left out).
        Index("ix_question_created", "team_id", "created_at", "status", "posted_at", "asker_id", "saved_by"),
        Index("ix_question_unanswered", "team_id", "shown_state", "posted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    # Kept for anonymous questions too: the asker still gets every private update. Only what is
    # shown to others (the post, the export) leaves it out.
    asker_id: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    # Optional context from the /ask modal, shown under the question.
    details: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    anonymous: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # Where the asker typed the command, and where the question is posted.
    asked_in_channel_id: str | None = Field(default=None, max_length=32)
    channel_id: str = Field(max_length=32)
    # Slack's ts of the bot's post; set once it is posted. Thread replies are matched on it.
    message_ts: str | None = Field(default=None, max_length=32)
    # "held" (earlier answers were suggested, or it is very short or very long: waiting for the
    # asker's choice), "pending" (stored, not yet in Slack), "posted", "failed" (Slack refused it
    # for good), "deflected" (the asker said an earlier question answers it: never posted),
    # "withdrawn" (the asker cancelled it, or asked it again edited: never posted, counted nowhere),
    # "expired" (held and nobody chose in a week: never posted, the asker told, counted nowhere).
    status: str = Field(default="pending", max_length=16)
    # The earlier question the asker said answers theirs, and when.
    deflected_by_id: int | None = Field(default=None)
    deflected_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # The state the post shows ("open", "answered", "resolved") as last queued for chat.update,
    # and how many times it changed: each change is one outbox message (dedupe key per version).
    shown_state: str = Field(default="open", sa_column=Column(String(16), nullable=False, server_default="open"))
    post_version: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # The id of the request that asked (the slash command's trigger_id): a replayed request
    # finds its question instead of creating a second one.
    request_id: str | None = Field(default=None, max_length=128)
    # A link to the post, from chat.getPermalink once it is posted (shown in search results).
    permalink: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    posted_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # When Knowhow raised the question again for lack of answers (once, ever).
    followed_up_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # Asked during an expert session (a message in its channel, or /ask there). No foreign key:
    # adding one to `question` would rebuild the table on SQLite (sessions are never deleted).
    session_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True, index=True))
    # A lesson: a thread someone saved from a conversation ("Save as a lesson", core.saving), not a
    # question asked through Knowhow. Who saved it, and when (None: asked with /ask, in a session,
    # or imported). Its asker and answers are the thread's own authors.
    saved_by: str | None = Field(default=None, max_length=32)
    saved_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class Answer(SQLModel, table=True):
    """A reply in a question's thread by someone other than the asker."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("team_id", "question_id", "message_ts", name="uq_answer_message"),
        # Covering, for the scoreboard: each question's first live answer and whether one was accepted.
        Index("ix_answer_first", "question_id", "answered_at", "deleted_at", "author_id", "accepted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    question_id: int = Field(foreign_key="question.id", index=True, ondelete="CASCADE")
    message_ts: str = Field(max_length=32)
    author_id: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    answered_at: datetime = Field(sa_column=_when())
    # Slack's `edited.ts` of the latest edit applied; older edits arriving late are ignored.
    edited_ts: str | None = Field(default=None, max_length=32)
    edited_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # Accepted as the question's answer (at most one per question: a partial unique index).
    accepted_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    accepted_by: str | None = Field(default=None, max_length=32)


# Accepted answers by date (the scoreboard's helpers): few rows, so a small partial index.
Index(
    "ix_answer_accepted_at",
    Answer.__table__.c.team_id,
    Answer.__table__.c.accepted_at,
    sqlite_where=text("accepted_at IS NOT NULL"),
    postgresql_where=text("accepted_at IS NOT NULL"),
)


# Lessons saved by date (the scoreboard's "lessons saved"): few rows among the questions, so a
# small partial index.
Index(
    "ix_question_saved_at",
    Question.__table__.c.team_id,
    Question.__table__.c.saved_at,
    sqlite_where=text("saved_by IS NOT NULL"),
    postgresql_where=text("saved_by IS NOT NULL"),
)


# One accepted answer per question, enforced by the database (SQLite and PostgreSQL both have
# partial indexes).
Index(
    "uq_answer_accepted",
    Answer.__table__.c.question_id,
    unique=True,
    sqlite_where=text("accepted_at IS NOT NULL"),
    postgresql_where=text("accepted_at IS NOT NULL"),
)


class Topic(SQLModel, table=True):
    """A workspace topic ("Kubernetes"). `key` is the normalised form that decides sameness."""

    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("team_id", "key", name="uq_topic_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    key: str = Field(max_length=64)
    name: str = Field(max_length=64)  # as first written
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class QuestionTopic(SQLModel, table=True):
    __tablename__ = "question_topic"

    question_id: int = Field(sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True))
    topic_id: int = Field(
        sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    team_id: str = Field(max_length=32)


class Expertise(SQLModel, table=True):
    """A topic someone declared they know (`/expert topics add`). What people answered is the
    other half of their profile, read from the answers themselves (core.expertise)."""

    __tablename__ = "expertise"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "topic_id", name="uq_expertise"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    topic_id: int = Field(
        sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    declared_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class HelperPreference(SQLModel, table=True):
    """A person's choices about being invited to help (`/expert topics pause`)."""

    __tablename__ = "helper_preference"

    team_id: str = Field(max_length=32, primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    invitations_paused: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # May the weekly scoreboard thank them by name for accepted answers? Only if they said so.
    thank_publicly: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    # "Don't suggest to me": no earlier lessons are offered to them in help channels (core.helpchannels).
    help_suggestions_off: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class Invitation(SQLModel, table=True):
    """Someone was invited, in a question's thread, to help with it."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("question_id", "user_id", name="uq_invitation"),
        Index("ix_invitation_recent", "team_id", "user_id", "invited_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    question_id: int = Field(sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), nullable=False))
    user_id: str = Field(max_length=32)
    invited_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Channel(SQLModel, table=True):
    """What Knowhow knows of a conversation its questions live in: is it private? A question from
    a private channel (or any conversation that is not a public channel) is shown in search
    results and suggestions only to people in that very conversation (storage.search). Learnt
    from Slack (`conversations.info` when a question is posted there, a message event's
    `channel_type`); a conversation not known yet counts as private."""

    __tablename__ = "channel"

    team_id: str = Field(max_length=32, primary_key=True)
    channel_id: str = Field(max_length=32, primary_key=True)
    private: bool = Field(sa_column=Column(Boolean, nullable=False))
    checked_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class DesignatedChannel(SQLModel, table=True):
    """A channel that hosts Ask the Expert sessions (chosen by an admin), with its name as Slack
    gave it when it was added (the scheduling form offers these channels by name)."""

    __tablename__ = "designated_channel"

    team_id: str = Field(max_length=32, primary_key=True)
    channel_id: str = Field(max_length=32, primary_key=True)
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    name: str | None = Field(default=None, max_length=80)


class HelpChannel(SQLModel, table=True):
    """A channel where people ask for help in plain messages (`/ask channels add`): Knowhow reads
    its top-level messages and offers the askers earlier lessons privately (core.helpchannels).
    `paused_at` set: an admin paused it (`/ask channels pause`), and Knowhow stays quiet there."""

    __tablename__ = "help_channel"

    team_id: str = Field(max_length=32, primary_key=True)
    channel_id: str = Field(max_length=32, primary_key=True)
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    name: str | None = Field(default=None, max_length=80)
    paused_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    paused_by: str | None = Field(default=None, max_length=32)


class HelpThread(SQLModel, table=True):
    """A top-level message in a help channel that Knowhow acted on, and what came of it. Its text
    is never stored: it is read from Slack when earlier lessons are looked up for it.

    `state`: "looking" (earlier lessons are being looked up), "suggested" (shown to the asker),
    "nothing" (none good enough: nothing was said), "answered" (a colleague had replied first:
    nothing was said), "unread" (never looked up: a row made only to offer saving its answer)."""

    __tablename__ = "help_thread"
    __table_args__ = (
        Index("ix_help_thread_answered", "team_id", "answered_at"),
        # The daily retention sweep reads only the rows older than a workspace's period.
        Index("ix_help_thread_created", "team_id", "created_at"),
    )

    team_id: str = Field(max_length=32, primary_key=True)
    channel_id: str = Field(max_length=32, primary_key=True)
    thread_ts: str = Field(max_length=32, primary_key=True)
    asker_id: str = Field(max_length=32)
    state: str = Field(default="looking", max_length=16)
    # The earlier questions shown, as comma-separated ids ("12,40"): a click must name one of them.
    suggested: str | None = Field(default=None, max_length=200)
    # *This answers it*: the earlier question that answered it (a deflection), and when.
    answered_by_id: int | None = Field(default=None)
    answered_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    not_quite_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # When the asker was offered to save the thread's marked answer as a lesson (once per thread).
    save_offered_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ExpertSession(SQLModel, table=True):
    """An Ask the Expert session: a window in a designated channel. Its state lives here; the
    scheduler only wakes the code that moves it (scheduled -> open -> closed, or cancelled, or
    missed when the whole window passed while Knowhow was down)."""

    __tablename__ = "expert_session"
    __table_args__ = (
        UniqueConstraint("team_id", "request_id", name="uq_expert_session_request"),
        Index("ix_expert_session_window", "team_id", "channel_id", "starts_at"),
        Index("ix_expert_session_state", "state", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    topic: str = Field(max_length=150)
    organiser_id: str = Field(max_length=32)
    starts_at: datetime = Field(sa_column=_when())
    ends_at: datetime = Field(sa_column=_when())
    state: str = Field(default="scheduled", max_length=16)
    request_id: str | None = Field(default=None, max_length=128)
    opened_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # The second, last call to the experts about questions neither answered nor deferred.
    chased_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # Where Knowhow's posts about it are (their ts), for chat.update.
    announcement_ts: str | None = Field(default=None, max_length=32)
    summary_ts: str | None = Field(default=None, max_length=32)
    summary_version: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class SessionExpert(SQLModel, table=True):
    __tablename__ = "session_expert"

    session_id: int = Field(
        sa_column=Column(Integer, ForeignKey("expert_session.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: str = Field(max_length=32, primary_key=True)
    team_id: str = Field(max_length=32)
    # The expert's private list of the session's questions (at the close, and the last call an
    # hour later), kept up to date in place: the DM it is in, and each message's ts.
    list_channel: str | None = Field(default=None, max_length=32)
    list_ts: str | None = Field(default=None, max_length=32)
    last_call_ts: str | None = Field(default=None, max_length=32)


class Deferral(SQLModel, table=True):
    """An expert's promise to answer a session question by a date."""

    __tablename__ = "deferral"
    __table_args__ = (Index("ix_deferral_overdue", "team_id", "overdue_at"),)

    question_id: int = Field(sa_column=Column(Integer, ForeignKey("question.id", ondelete="CASCADE"), primary_key=True))
    team_id: str = Field(max_length=32)
    expert_id: str = Field(max_length=32)
    due_date: date = Field(sa_column=Column(Date, nullable=False))
    # 09:00 on the due date in the expert's time zone: when they are reminded.
    remind_at: datetime = Field(sa_column=_when(index=True))
    # The end of the due date in the expert's time zone: unanswered after it, it is overdue.
    overdue_at: datetime = Field(sa_column=_when())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    reminded_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    overdue_noted_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # In a panel one expert owes it at a time: the one it was last taken over from, if any.
    taken_from: str | None = Field(default=None, max_length=32)
    # The note in the question's thread saying who answers it by when, updated in place.
    note_ts: str | None = Field(default=None, max_length=32)


class MentorProfile(SQLModel, table=True):
    """What the Mentor Center knows of a person: filled from Slack (title, time zone) the first
    time they open it, then theirs to edit."""

    __tablename__ = "mentor_profile"

    team_id: str = Field(max_length=32, primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    role: str | None = Field(default=None, max_length=100)
    location: str | None = Field(default=None, max_length=100)
    # Where `location` came from: "field:<label>" (a custom field of the Slack profile), "tz" (the
    # Slack time zone's city), None (typed by the person, or unknown).
    location_source: str | None = Field(default=None, max_length=64)
    years_in_role: int | None = Field(default=None)
    tz: str | None = Field(default=None, max_length=64)
    # Seconds east of UTC, as Slack gives it; working-hours overlap is computed from it.
    tz_offset: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class MentoringTopic(SQLModel, table=True):
    """A topic on the workspace's mentoring list: curated by an admin, or suggested by a member
    (usable at once, shown as suggested until an admin adds it to the list)."""

    __tablename__ = "mentoring_topic"

    team_id: str = Field(max_length=32, primary_key=True)
    topic_id: int = Field(sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True))
    curated: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Volunteer(SQLModel, table=True):
    """Someone who offers to mentor. `left_at` set: the offer was withdrawn (`/mentor leave`)."""

    __tablename__ = "volunteer"

    team_id: str = Field(max_length=32, primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    capacity: int = Field(default=1)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    paused: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    joined_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    left_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class VolunteerTopic(SQLModel, table=True):
    __tablename__ = "volunteer_topic"
    __table_args__ = (Index("ix_volunteer_topic_topic", "team_id", "topic_id"),)

    team_id: str = Field(max_length=32, primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    topic_id: int = Field(sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True))
    added_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ProtegeToMentor(SQLModel, table=True):
    """Someone who completed a mentorship as a protégé in a topic and later volunteered in it."""

    __tablename__ = "protege_to_mentor"

    team_id: str = Field(max_length=32, primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    topic_id: int = Field(sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True))
    at: datetime = Field(default_factory=utcnow, sa_column=_when())


class MentorRequest(SQLModel, table=True):
    """A private request for a mentor. States: waiting (nobody fits yet), choosing (candidates
    were sent to the protégé), asking (a mentor was asked), matched, withdrawn."""

    __tablename__ = "mentor_request"
    __table_args__ = (
        UniqueConstraint("team_id", "request_id", name="uq_mentor_request_request"),
        Index("ix_mentor_request_state", "team_id", "state", "topic_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    protege_id: str = Field(max_length=32)
    topic_id: int = Field(sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), nullable=False))
    goal: str = Field(sa_column=Column(Text, nullable=False))
    location_pref: str = Field(default="any", max_length=8)  # any | same
    role_pref: str = Field(default="any", max_length=8)  # any | mine | target
    target_role: str | None = Field(default=None, max_length=100)
    state: str = Field(default="waiting", max_length=16)
    # Bumped each time a new list of candidates is offered (one outbox message per round).
    round: int = Field(default=0)
    request_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class MentorCandidate(SQLModel, table=True):
    """A mentor offered to a request's protégé, and what came of it (declined and expired
    candidates are never offered again for that request)."""

    __tablename__ = "mentor_candidate"

    request_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_request.id", ondelete="CASCADE"), primary_key=True)
    )
    mentor_id: str = Field(max_length=32, primary_key=True)
    team_id: str = Field(max_length=32)
    round: int = Field(default=1)
    rank: int = Field(default=1)
    reason: str = Field(max_length=300)
    # None while on offer; "chosen", "declined", "expired", "withdrawn" (the mentor left).
    outcome: str | None = Field(default=None, max_length=16)
    offered_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Mentorship(SQLModel, table=True):
    """A mentor and a protégé in a topic. proposed -> active -> completed | stopped; proposed ->
    declined | expired (no answer in time) | withdrawn. Knowhow records dates and the private
    check-in answers, never the mentoring itself."""

    __tablename__ = "mentorship"
    __table_args__ = (
        Index("ix_mentorship_mentor", "team_id", "mentor_id", "state"),
        Index("ix_mentorship_pair", "team_id", "protege_id", "topic_id"),
        Index("ix_mentorship_state", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The protégé's workspace, where the request lives.
    team_id: str = Field(max_length=32)
    request_id: int = Field(
        sa_column=Column(Integer, ForeignKey("mentor_request.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    mentor_id: str = Field(max_length=32)
    # The workspace the mentor volunteered in (another of the organisation's, or the same): where
    # Knowhow writes to them (migration 0011 gave older rows their own workspace).
    mentor_team_id: str | None = Field(default=None, max_length=32)
    protege_id: str = Field(max_length=32)
    topic_id: int = Field(sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), nullable=False))
    state: str = Field(default="proposed", max_length=16)
    weeks: int = Field(default=12)
    proposed_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    answer_by: datetime = Field(sa_column=_when())
    started_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    halfway_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    ends_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    halfway_sent_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # The end-of-term check-in, per term (an extension starts a new one).
    end_sent_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # The group DM Knowhow opened for the introduction.
    group_channel: str | None = Field(default=None, max_length=32)
    # The protégé's message saying this mentor was asked: updated in place once they answer.
    protege_note_channel: str | None = Field(default=None, max_length=32)
    protege_note_ts: str | None = Field(default=None, max_length=32)
    mentor_met: str | None = Field(default=None, max_length=16)
    protege_met: str | None = Field(default=None, max_length=16)
    mentor_rating: int | None = Field(default=None)
    protege_rating: int | None = Field(default=None)
    mentor_word: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    protege_word: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class MentorCall(SQLModel, table=True):
    """A channel-wide call for volunteers (`/mentor broadcast`); its counts are kept current."""

    __tablename__ = "mentor_call"
    __table_args__ = (UniqueConstraint("team_id", "request_id", name="uq_mentor_call_request"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    topic_id: int = Field(
        sa_column=Column(Integer, ForeignKey("topic.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    goals: str = Field(sa_column=Column(Text, nullable=False))
    weeks: int = Field(default=12)
    hours_per_month: int = Field(default=2)
    channel_id: str = Field(max_length=32)
    created_by: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    version: int = Field(default=0)
    request_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ScoreboardSettings(SQLModel, table=True):
    """Where and when the weekly scoreboard is posted (`/mentor scoreboard settings`). Without a
    row, it goes to the Q&A channel on Mondays at 09:00 UTC."""

    __tablename__ = "scoreboard_settings"

    team_id: str = Field(max_length=32, primary_key=True)
    channel_id: str | None = Field(default=None, max_length=32)
    weekday: int = Field(default=0)  # 0 = Monday
    hour: int = Field(default=9)
    minute: int = Field(default=0)
    tz: str = Field(default="UTC", max_length=64)
    # Whose figures the post shows: the whole organisation's ("organisation", the default) or only
    # this workspace's ("workspace"). Outside Enterprise Grid the two are the same.
    scope: str = Field(default="organisation", max_length=16, sa_column_kwargs={"server_default": "organisation"})
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ScoreboardWeek(SQLModel, table=True):
    """One week's figures, computed once when the week ends: trends and "against last week" read
    these snapshots, never recompute history. `posted_at`: the weekly post went out (or, with no
    `channel_id`, was passed over: the first week, when Knowhow started long after it ended)."""

    __tablename__ = "scoreboard_week"

    team_id: str = Field(max_length=32, primary_key=True)
    week_end: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    week_start: datetime = Field(sa_column=_when())
    figures: str = Field(sa_column=Column(Text, nullable=False))
    computed_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    posted_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)


class OutboxMessage(SQLModel, table=True):
    """Something to say in Slack, durably queued (DESIGN.md: acked means stored).

    `dedupe_key` names the record a message is for ("question:12:post"): one row per record, so
    a message is queued once however often the code that queues it runs.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key", name="uq_outbox_dedupe"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    dedupe_key: str = Field(max_length=200)
    kind: str = Field(max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    # "pending" -> "sending" (claimed, with a lease) -> "sent" | "failed"
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    lease_until: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # Who holds the claim while "sending" (bot/liveness.py): a worker of a process that is gone
    # from this machine frees its rows at once instead of leaving them to their lease.
    claimed_by: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    # When it was first claimed: nothing of it can have reached Slack before (bot/once.py looks
    # from there for what an attempt whose answer was lost did).
    first_tried_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # A dead letter ("failed" for good): when, and the channel or person the Slack call that failed
    # was addressed to, when Slack's refusal said (an admin sees both: `knowhow outbox`).
    failed_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    failed_to: str | None = Field(default=None, max_length=200)


class Workspace(SQLModel, table=True):
    """A Slack workspace Knowhow serves, and the organisation it belongs to (DESIGN.md: every row
    belongs to an organisation and a workspace). The organisation is the Enterprise Grid
    organisation (`enterprise_id`) or, outside Grid, the workspace itself: `org_id` says which,
    and pools (mentors, knowledge, the scoreboard's counts) span every workspace of one `org_id`.

    `gone_at`: the installation is gone (uninstalled, tokens revoked, `invalid_auth`,
    `account_inactive`). Nothing is sent to or scheduled for it until it is installed again; what
    it queued is held, and dropped after the retention period."""

    __tablename__ = "workspace"

    team_id: str = Field(max_length=32, primary_key=True)
    org_id: str = Field(max_length=32, index=True)
    enterprise_id: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=255)
    # An org-wide Grid install: one installation (and bot token) serves every workspace of it.
    enterprise_install: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    seen_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    gone_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    gone_reason: str | None = Field(default=None, max_length=64)
    # Where /ask posts this workspace's questions (`/ask channel`); None: KNOWHOW_QA_CHANNEL.
    qa_channel_id: str | None = Field(default=None, max_length=32)
    qa_channel_set_by: str | None = Field(default=None, max_length=32)
    # Who may open an expert session on the spot (`/expert who-can-start`): "admins", "experts"
    # (admins and people who list the session's topic) or "everyone"; None: the default, "experts".
    session_start_rule: str | None = Field(default=None, max_length=16)
    # How long what Knowhow no longer needs is kept, in days (`/mentor retention`, core.retention):
    # ended mentoring records, questions never posted, and delivered outbox rows. None: the
    # default core.retention states; 0: kept forever (offered only where core.retention allows it).
    keep_mentoring_days: int | None = Field(default=None)
    keep_unposted_days: int | None = Field(default=None)
    keep_sent_days: int | None = Field(default=None)
