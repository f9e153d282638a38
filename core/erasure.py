"""Forgetting a person who left, and showing a person what Knowhow holds about them.

`forget` runs when Slack says an account was deactivated (`user_change` with `deleted: true`) or an
admin runs `knowhow forget --team T --user U`. It erases what is personal and keeps the knowledge
the organisation needs (PRIVACY.md says the same, field by field):

- **Erased**: their Mentor Center profile, offer to mentor and its topics, protégé-to-mentor
  record; their declared expertise and helper preferences; the invitations they got; their
  mentor requests (with their goals), the candidates offered for them and the proposals made for
  them that never got going; their places on candidate lists; their place on expert sessions'
  panels and the deferrals they owed; their questions that were never posted (held, expired, deflected,
  withdrawn, failed) and answers they had deleted; Knowhow's records of their help-channel
  messages that no earlier lesson answered (and with their helper preferences, their "don't
  suggest to me"); outbox messages for them, and every delivered one that names them.
- **Kept, as "a former member"** (`storage.erasure.FORMER_MEMBER` in place of their id): their
  posted questions (anonymous ones stay anonymous) and their answers, accepted or not, and who
  accepted one; lessons they saved (the saver is a former member); a help-channel message of
  theirs that an earlier lesson answered (a deflection the scoreboard counts; it holds no text);
  sessions they organised, topics and channels they added, calls they made. A
  mentorship they had with someone who stays (and, for a protégé, a proposal to them as a
  mentor) is that person's record too: it is kept for them, with the forgotten side's answers
  (met, rating, word) and their request's goal erased; one still running is stopped (the other
  person is told it ended because the account was deactivated, and nothing else), and a
  proposal still waiting for them ends as `/mentor leave` ends it (the protégé is offered others).
- **Text**: a mention of them in what others wrote reads "a former member"; the search index is
  rebuilt for every question whose text changed (it never held user ids: mentions are left out
  of it, storage.search.plain).

**Scope**: a Slack user id belongs to one person across a whole Enterprise Grid organisation
(and outside Grid to one workspace), and Knowhow's pools (the knowledge base, the Mentor
Center) span the organisation: so `forget` works on every workspace of `team_id`'s organisation
(storage.workspaces.pool), whichever of them said the person left. Another organisation's rows
are never read.

After the table-by-table decisions, `storage.erasure.sweep` takes the id out of every string
column left in the organisation's rows (of every table, including ones added later), so nothing
names the person afterwards. Running it twice changes nothing the second time.

`about` is the access request: everything Knowhow holds about one person, as plain data.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import Session, select

from core import accepting, mentoring
from core.mentoring.requests import place_freed
from core.mentoring.shared import OPEN_REQUEST, WORKED_TOGETHER, MentorshipState
from storage import erasure, workspaces
from storage.erasure import FORMER_MEMBER, FORMER_MEMBER_TEXT, is_user_id
from storage.models import (
    Answer,
    Deferral,
    DesignatedChannel,
    Expertise,
    ExpertSession,
    HelpChannel,
    HelperPreference,
    HelpThread,
    Invitation,
    MentorCall,
    MentorCandidate,
    MentoringTopic,
    MentorProfile,
    MentorRequest,
    Mentorship,
    ProtegeToMentor,
    Question,
    QuestionTopic,
    ScoreboardSettings,
    ScoreboardWeek,
    SessionExpert,
    Topic,
    Volunteer,
    VolunteerTopic,
    Workspace,
)
from storage.search import reindex_question

__all__ = ["FORMER_MEMBER", "FORMER_MEMBER_TEXT", "Forgotten", "about", "forget", "is_former"]

POSTED = "posted"


def is_former(user_id: str | None) -> bool:
    return user_id == FORMER_MEMBER


@dataclass
class Forgotten:
    """What forgetting someone did, in counts (a fact to log: no names, no text)."""

    team_id: str
    workspaces: int = 0
    erased: Counter = field(default_factory=Counter)  # rows deleted, by what they were
    kept: Counter = field(default_factory=Counter)  # rows kept as a former member's, by what they are
    # Posted questions whose post names them (asked by them, or answered by them and resolved):
    # (team, question id, new post version), for the edge to update in Slack.
    posts: list[tuple[str, int, int]] = field(default_factory=list)
    # Mentor Center: their offers withdrawn, each with the protégés offered others (core.mentoring.leave).
    left: list[tuple[str, mentoring.Left]] = field(default_factory=list)
    # People whose App Home showed something of theirs (a mentorship, a request): (team, user).
    homes: set[tuple[str, str]] = field(default_factory=set)
    # Mentorships that were running with them and are now stopped: (team, mentorship id), so that
    # the other person is told it ended.
    stopped: list[tuple[str, int]] = field(default_factory=list)

    def fact(self) -> str:
        """ "forgot a member of T…: 3 answers kept, 1 mentor profile erased" (counts only)."""
        parts = [f"{n} {what} kept" for what, n in sorted(self.kept.items()) if n]
        parts += [f"{n} {what} erased" for what, n in sorted(self.erased.items()) if n]
        where = (
            f"{self.workspaces} workspace{'s' if self.workspaces != 1 else ''} of the organisation of {self.team_id}"
        )
        return f"forgot a member of {where}: " + (", ".join(parts) or "nothing was held about them")


class NotAPerson(ValueError):
    """The id given is not a Slack user id."""


def forget(
    session: Session, *, team_id: str, user_id: str, now: datetime, spare_outbox_kinds: tuple[str, ...] = ()
) -> Forgotten:
    """Erase what is personal about `user_id` in `team_id`'s whole organisation (see the module)."""
    if not is_user_id(user_id):
        raise NotAPerson(f"{user_id!r} is not a Slack user id (U… or W…)")
    pool = workspaces.pool(session, team_id=team_id)
    out = Forgotten(team_id=team_id, workspaces=len(pool))
    _mentoring(session, pool, user_id, now, out)
    _sessions(session, pool, user_id, out)
    _questions(session, pool, user_id, out)
    _help_channels(session, pool, user_id, out)
    _preferences(session, pool, user_id, out)
    out.erased["outbox messages"] += erasure.outbox(
        session, team_ids=pool, user_id=user_id, spare_kinds=spare_outbox_kinds
    )
    reindex = _mentioned_in(session, pool, user_id)
    org_id = workspaces.org_of(session, team_id=team_id)
    swept = erasure.sweep(session, team_ids=pool, user_id=user_id, org_id=org_id, spare_kinds=spare_outbox_kinds)
    for table, n in swept.items():
        out.kept[f"{table} rows mentioning them"] += n
    for team, question_id in sorted(reindex):
        reindex_question(session, team_id=team, question_id=question_id)
    out.homes = {(team, user) for team, user in out.homes if user not in (user_id, FORMER_MEMBER)}
    session.flush()
    return out


def _delete(session: Session, model, pool: list[str], *where) -> int:
    return session.execute(delete(model).where(model.team_id.in_(pool), *where)).rowcount or 0


def _update(session: Session, model, pool: list[str], *where, **values) -> int:
    return session.execute(update(model).where(model.team_id.in_(pool), *where).values(**values)).rowcount or 0


# -- the Mentor Center ----------------------------------------------------------------------------
def _mentoring(session: Session, pool: list[str], user_id: str, now: datetime, out: Forgotten) -> None:
    # As a mentor: the offer withdrawn as `/mentor leave` does (proposals to them end and their
    # protégés are offered others), then whatever still runs with them is stopped.
    for (team,) in session.execute(
        select(Volunteer.team_id).where(Volunteer.team_id.in_(pool), Volunteer.user_id == user_id)
    ).all():
        left = mentoring.leave(session, team_id=team, user_id=user_id, now=now)
        if left.was_volunteer:
            out.left.append((team, left))
    # As a protégé: open requests withdrawn (a proposal to a mentor ends, freeing their place).
    for request_id, team in session.execute(
        select(MentorRequest.id, MentorRequest.team_id).where(
            MentorRequest.team_id.in_(pool), MentorRequest.protege_id == user_id, MentorRequest.state.in_(OPEN_REQUEST)
        )
    ).all():
        mentoring.withdraw_request(session, team_id=team, request_id=request_id, protege_id=user_id, now=now)
    mentorships = session.scalars(
        select(Mentorship).where(
            Mentorship.team_id.in_(pool), or_(Mentorship.mentor_id == user_id, Mentorship.protege_id == user_id)
        )
    ).all()
    kept_requests: set[int] = set()
    for m in mentorships:
        mentor = m.mentor_id == user_id
        other = m.protege_id if mentor else m.mentor_id
        if not mentor and m.state not in WORKED_TOGETHER:  # a proposal of their request's: theirs
            session.execute(delete(Mentorship).where(Mentorship.team_id == m.team_id, Mentorship.id == m.id))
            out.erased["mentoring proposals"] += 1
            continue
        out.homes.add((m.team_id if mentor else (m.mentor_team_id or m.team_id), other))
        side = "mentor" if mentor else "protege"
        values = {
            f"{side}_id": FORMER_MEMBER,
            f"{side}_met": None,
            f"{side}_rating": None,
            f"{side}_word": None,
            "group_channel": None,
        }
        if not mentor:
            values |= dict(protege_note_channel=None, protege_note_ts=None)
            kept_requests.add(m.request_id)
        if m.state == MentorshipState.ACTIVE:
            values |= dict(state=MentorshipState.STOPPED, finished_at=now)
            out.stopped.append((m.team_id, m.id))
        session.execute(
            update(Mentorship).where(Mentorship.team_id == m.team_id, Mentorship.id == m.id).values(**values)
        )
        if m.state == MentorshipState.ACTIVE and not mentor:
            session.flush()
            place_freed(session, team_id=m.mentor_team_id or m.team_id, mentor_id=m.mentor_id, now=now)
        out.kept["mentorships (the other person's record)"] += 1
    # Their requests: kept only under a mentorship the mentor keeps, without the goal.
    mine = (MentorRequest.protege_id == user_id,)
    if kept_requests:
        out.kept["mentor requests (without their goal)"] += _update(
            session,
            MentorRequest,
            pool,
            *mine,
            MentorRequest.id.in_(kept_requests),
            protege_id=FORMER_MEMBER,
            goal="",
            target_role=None,
            request_id=None,
        )
        _delete(session, MentorCandidate, pool, MentorCandidate.request_id.in_(kept_requests))
    requests = [
        r for (r,) in session.execute(select(MentorRequest.id).where(MentorRequest.team_id.in_(pool), *mine)).all()
    ]
    if requests:
        _delete(session, MentorCandidate, pool, MentorCandidate.request_id.in_(requests))
        _delete(session, Mentorship, pool, Mentorship.request_id.in_(requests))
    out.erased["mentor requests"] += _delete(session, MentorRequest, pool, *mine)
    out.erased["mentor candidacies"] += _delete(session, MentorCandidate, pool, MentorCandidate.mentor_id == user_id)
    out.erased["mentor profiles"] += _delete(session, MentorProfile, pool, MentorProfile.user_id == user_id)
    out.erased["mentoring topics offered"] += _delete(session, VolunteerTopic, pool, VolunteerTopic.user_id == user_id)
    out.erased["offers to mentor"] += _delete(session, Volunteer, pool, Volunteer.user_id == user_id)
    out.erased["protégé-to-mentor records"] += _delete(
        session, ProtegeToMentor, pool, ProtegeToMentor.user_id == user_id
    )
    out.kept["mentoring topics added"] += _update(
        session, MentoringTopic, pool, MentoringTopic.added_by == user_id, added_by=FORMER_MEMBER
    )
    out.kept["calls for volunteers"] += _update(
        session, MentorCall, pool, MentorCall.created_by == user_id, created_by=FORMER_MEMBER
    )


# -- expert sessions ------------------------------------------------------------------------------
def _sessions(session: Session, pool: list[str], user_id: str, out: Forgotten) -> None:
    out.erased["places on session panels"] += _delete(session, SessionExpert, pool, SessionExpert.user_id == user_id)
    out.erased["deferrals"] += _delete(session, Deferral, pool, Deferral.expert_id == user_id)
    _update(session, Deferral, pool, Deferral.taken_from == user_id, taken_from=None)
    out.kept["sessions organised"] += _update(
        session, ExpertSession, pool, ExpertSession.organiser_id == user_id, organiser_id=FORMER_MEMBER
    )
    out.kept["session channels added"] += _update(
        session, DesignatedChannel, pool, DesignatedChannel.added_by == user_id, added_by=FORMER_MEMBER
    )


# -- questions and answers ------------------------------------------------------------------------
def _questions(session: Session, pool: list[str], user_id: str, out: Forgotten) -> None:
    # Never posted (held, expired, deflected, withdrawn, failed, pending): theirs alone, not knowledge.
    unposted = session.execute(
        select(Question.team_id, Question.id).where(
            Question.team_id.in_(pool), Question.asker_id == user_id, Question.status != POSTED
        )
    ).all()
    ids = [question_id for _, question_id in unposted]
    if ids:
        _delete(session, Invitation, pool, Invitation.question_id.in_(ids))
        _delete(session, Deferral, pool, Deferral.question_id.in_(ids))
        _delete(session, QuestionTopic, pool, QuestionTopic.question_id.in_(ids))
        _delete(session, Answer, pool, Answer.question_id.in_(ids))
        out.erased["questions never posted"] += _delete(session, Question, pool, Question.id.in_(ids))
        for team, question_id in unposted:
            reindex_question(session, team_id=team, question_id=question_id)
    out.erased["deleted answers"] += _delete(
        session, Answer, pool, Answer.author_id == user_id, Answer.deleted_at.is_not(None)
    )
    # Posts that name them: theirs (unless anonymous), and resolved ones whose answer is theirs.
    named = set(
        session.execute(
            select(Question.team_id, Question.id).where(
                Question.team_id.in_(pool), Question.asker_id == user_id, Question.anonymous.is_(False)
            )
        ).all()
    )
    named |= set(
        session.execute(
            select(Answer.team_id, Answer.question_id).where(
                Answer.team_id.in_(pool), Answer.author_id == user_id, Answer.accepted_at.is_not(None)
            )
        ).all()
    )
    out.kept["questions"] += _update(session, Question, pool, Question.asker_id == user_id, asker_id=FORMER_MEMBER)
    out.kept["answers"] += _update(session, Answer, pool, Answer.author_id == user_id, author_id=FORMER_MEMBER)
    _update(session, Answer, pool, Answer.accepted_by == user_id, accepted_by=FORMER_MEMBER)
    # Lessons they saved stay (the thread's authors keep the credit), without the saver.
    out.kept["lessons saved"] += _update(session, Question, pool, Question.saved_by == user_id, saved_by=FORMER_MEMBER)
    _update(session, Topic, pool, Topic.created_by == user_id, created_by=None)
    session.flush()
    for team, question_id in sorted(named):
        version = accepting.sync_shown_state(session, team_id=team, question_id=question_id, force=True)
        if version is not None:
            out.posts.append((team, question_id, version))


# -- help channels --------------------------------------------------------------------------------
def _help_channels(session: Session, pool: list[str], user_id: str, out: Forgotten) -> None:
    # Their messages there: no text is held, only that Knowhow acted on one and what came of it.
    # One an earlier lesson answered is a deflection the scoreboard counts: kept, asked by a
    # former member; the others served only them (one reply per message, their choice): erased.
    mine = (HelpThread.asker_id == user_id,)
    out.kept["help-channel questions answered by a lesson"] += _update(
        session, HelpThread, pool, *mine, HelpThread.answered_at.is_not(None), asker_id=FORMER_MEMBER
    )
    out.erased["help-channel questions"] += _delete(session, HelpThread, pool, *mine)
    out.kept["help channels added"] += _update(
        session, HelpChannel, pool, HelpChannel.added_by == user_id, added_by=FORMER_MEMBER
    )
    _update(session, HelpChannel, pool, HelpChannel.paused_by == user_id, paused_by=FORMER_MEMBER)


def _preferences(session: Session, pool: list[str], user_id: str, out: Forgotten) -> None:
    out.erased["declared expertise"] += _delete(session, Expertise, pool, Expertise.user_id == user_id)
    # With them their "don't suggest to me" in help channels (help_suggestions_off).
    out.erased["helper preferences"] += _delete(session, HelperPreference, pool, HelperPreference.user_id == user_id)
    out.erased["invitations to help"] += _delete(session, Invitation, pool, Invitation.user_id == user_id)
    _update(session, Workspace, pool, Workspace.qa_channel_set_by == user_id, qa_channel_set_by=None)
    _update(session, ScoreboardSettings, pool, ScoreboardSettings.updated_by == user_id, updated_by=None)
    # Snapshots of past weeks thanked helpers by name (those who said they may be): not them now.
    for row in session.scalars(
        select(ScoreboardWeek).where(ScoreboardWeek.team_id.in_(pool), ScoreboardWeek.figures.contains(user_id))
    ).all():
        figures = json.loads(row.figures)
        figures["helpers"] = [h for h in figures.get("helpers") or [] if h.get("user_id") != user_id]
        session.execute(
            update(ScoreboardWeek)
            .where(ScoreboardWeek.team_id == row.team_id, ScoreboardWeek.week_end == row.week_end)
            .values(figures=json.dumps(figures))
        )


def _mentioned_in(session: Session, pool: list[str], user_id: str) -> set[tuple[str, int]]:
    """Questions whose searchable text names them (theirs, or an answer's), to index again."""
    found = set(
        session.execute(
            select(Question.team_id, Question.id).where(
                Question.team_id.in_(pool),
                or_(Question.text.contains(user_id), Question.details.contains(user_id)),
            )
        ).all()
    )
    found |= set(
        session.execute(
            select(Answer.team_id, Answer.question_id).where(Answer.team_id.in_(pool), Answer.text.contains(user_id))
        ).all()
    )
    return found


# -- an access request ----------------------------------------------------------------------------
def about(session: Session, *, team_id: str, user_id: str, now: datetime) -> dict:
    """Everything Knowhow holds about `user_id` in `team_id`'s organisation, as plain data: each
    table's rows that name them (their id in any field, or a mention of them in text), the
    outbox's messages for them included. Stored Slack tokens are left out."""
    if not is_user_id(user_id):
        raise NotAPerson(f"{user_id!r} is not a Slack user id (U… or W…)")
    pool = workspaces.pool(session, team_id=team_id)
    org_id = workspaces.org_of(session, team_id=team_id)
    rows = erasure.about(session, team_ids=pool, user_id=user_id, org_id=org_id)
    return {
        "user_id": user_id,
        "organisation": org_id,
        "workspaces": pool,
        "exported_at": now.isoformat(),
        "never_stored": (
            "Knowhow never stores mentoring conversations (the group message that introduces a mentor and "
            "a protégé is Slack's), direct messages to it other than commands, names, e-mail addresses or "
            "profile photos."
        ),
        "tables": rows,
        "rows": sum(len(r) for r in rows.values()),
    }
