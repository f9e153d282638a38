"""The statements that delete what a workspace keeps no longer (core.retention decides what and
when). Each deletes at most `limit` rows, so a sweep over a large backlog is a series of short
transactions, never one long lock; each says whether it may have left more (`more`).

A deletion reads a group of workspaces (`Teams`): the ones that chose the same period, by id, or
every workspace but those that chose one (the default's group, which also covers a workspace
Knowhow has rows of but no `workspace` row for). Rows are picked by id first and then deleted by
id with their conditions checked again, so a row that changed in between (a held question posted
at that very moment) is left alone. The session is not told (`synchronize_session=False`): a
sweep's session loads none of the rows it deletes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, or_, true, tuple_
from sqlmodel import Session, select

from storage import search
from storage.models import HelpThread, MentorRequest, Mentorship, OutboxMessage, Question, Workspace

SETTINGS = {
    "mentoring": Workspace.keep_mentoring_days,
    "unposted": Workspace.keep_unposted_days,
    "sent": Workspace.keep_sent_days,
}


@dataclass(frozen=True)
class Teams:
    """The workspaces a deletion reads: `only` these, or (`only` None) every one but `but`."""

    only: tuple[str, ...] | None = None
    but: tuple[str, ...] = ()

    def where(self, column):
        if self.only is not None:
            return column.in_(self.only)
        return column.not_in(self.but) if self.but else true()

    @property
    def every(self) -> bool:
        """The default's group: a statement over it spans workspaces on purpose."""
        return self.only is None


@dataclass(frozen=True)
class Deleted:
    count: int
    more: bool  # a full batch: there may be more to delete


def choices(session: Session, setting: str) -> dict[str, int]:
    """The workspaces that chose a period for `setting` ("mentoring", "unposted", "sent"), in days
    (0: kept forever). A workspace not listed keeps the default."""
    column = SETTINGS[setting]
    rows = session.exec(
        select(Workspace.team_id, column)
        .where(column.is_not(None))
        .execution_options(all_workspaces=True)  # the retention sweep reads every workspace's choice
    ).all()
    return {team_id: days for team_id, days in rows}


def chosen(session: Session, *, team_id: str) -> dict[str, int | None]:
    """One workspace's choices as stored (None: the default; 0: forever)."""
    row = session.exec(
        select(Workspace.keep_mentoring_days, Workspace.keep_unposted_days, Workspace.keep_sent_days).where(
            Workspace.team_id == team_id
        )
    ).first()
    return dict(zip(SETTINGS, row or (None, None, None), strict=True))


def _ids(session: Session, statement, teams: Teams, limit: int) -> list[int]:
    return list(session.exec(statement.limit(limit).execution_options(all_workspaces=teams.every)).all())


def _delete(session: Session, model, conditions: tuple, *, teams: Teams, limit: int) -> Deleted:
    """Up to `limit` rows of `model` in `teams` that meet `conditions`: picked by id, then deleted
    by id with the conditions checked again."""
    ids = _ids(session, select(model.id).where(teams.where(model.team_id), *conditions), teams, limit)
    if not ids:
        return Deleted(0, False)
    result = session.execute(
        delete(model)
        .where(model.id.in_(ids), teams.where(model.team_id), *conditions)
        .execution_options(all_workspaces=teams.every, synchronize_session=False)
    )
    return Deleted(result.rowcount, len(ids) == limit)


def delete_sent(session: Session, *, teams: Teams, before: datetime, limit: int) -> Deleted:
    """Outbox rows delivered before `before` (pending, sending, held and failed rows stay)."""
    done = (OutboxMessage.status == "sent", OutboxMessage.sent_at < before)
    return _delete(session, OutboxMessage, done, teams=teams, limit=limit)


def delete_dead_letters(session: Session, *, teams: Teams, before: datetime, limit: int) -> Deleted:
    """Outbox rows that failed for good (dead letters) before `before`, by when they failed (a row
    failed before that was recorded: by when it was queued)."""
    dead = (
        OutboxMessage.status == "failed",
        func.coalesce(OutboxMessage.failed_at, OutboxMessage.created_at) < before,
    )
    return _delete(session, OutboxMessage, dead, teams=teams, limit=limit)


def delete_unposted(
    session: Session, *, teams: Teams, statuses: Collection[str], before: datetime, limit: int
) -> Deleted:
    """Questions in one of `statuses` (never posted) asked before `before`, with their topics
    and invitations (the database's cascades) and their search documents."""
    unposted = (Question.status.in_(sorted(statuses)), Question.created_at < before)
    ids = _ids(session, select(Question.id).where(teams.where(Question.team_id), *unposted), teams, limit)
    if not ids:
        return Deleted(0, False)
    gone = session.execute(
        delete(Question)
        .where(Question.id.in_(ids), teams.where(Question.team_id), *unposted)
        .returning(Question.id, Question.team_id)
        .execution_options(all_workspaces=teams.every, synchronize_session=False)
    ).all()
    search.forget(session, questions=[(team_id, question_id) for question_id, team_id in gone])
    return Deleted(len(gone), len(ids) == limit)


def delete_help_threads(session: Session, *, teams: Teams, before: datetime, limit: int) -> Deleted:
    """Knowhow's records of help-channel messages (no text: who asked, what came of it) on which
    nothing happened since `before`: made, answered from a lesson, found *not quite*, offered to
    be saved, each before it (a late click counts in the week it was made, so the row stays until
    that week has been computed too)."""
    key = (HelpThread.team_id, HelpThread.channel_id, HelpThread.thread_ts)
    quiet = (
        HelpThread.created_at < before,
        *(
            or_(column.is_(None), column < before)
            for column in (HelpThread.answered_at, HelpThread.not_quite_at, HelpThread.save_offered_at)
        ),
    )
    keys = list(
        session.exec(
            select(*key)
            .where(teams.where(HelpThread.team_id), *quiet)
            .limit(limit)
            .execution_options(all_workspaces=teams.every)
        ).all()
    )
    if not keys:
        return Deleted(0, False)
    result = session.execute(
        delete(HelpThread)
        .where(tuple_(*key).in_([tuple(k) for k in keys]), teams.where(HelpThread.team_id), *quiet)
        .execution_options(all_workspaces=teams.every, synchronize_session=False)
    )
    return Deleted(result.rowcount, len(keys) == limit)


def delete_ended_mentorships(
    session: Session, *, teams: Teams, states: Collection[str], before: datetime, limit: int
) -> Deleted:
    """Mentorships (and proposals) in one of the ended `states` that ended before `before`: their
    dates, check-in answers, ratings and words. Each is the protégé's workspace's (`team_id`)."""
    ended = (Mentorship.state.in_(sorted(states)), Mentorship.finished_at < before)
    return _delete(session, Mentorship, ended, teams=teams, limit=limit)


def delete_finished_requests(
    session: Session, *, teams: Teams, states: Sequence[str], before: datetime, limit: int
) -> Deleted:
    """Requests for a mentor in one of the finished `states`, last changed before `before`, that
    no mentorship refers to any more (those that did were deleted first, once ended long enough):
    the goal, the preferences and the candidates offered (the database's cascade)."""
    finished = (
        MentorRequest.state.in_(sorted(states)),
        MentorRequest.updated_at < before,
        ~exists().where(Mentorship.request_id == MentorRequest.id),
    )
    return _delete(session, MentorRequest, finished, teams=teams, limit=limit)
