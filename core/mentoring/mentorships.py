"""Mentorships and check-ins: what a mentorship is to the people in it, the halfway and
end-of-term check-ins the sweep sends, and the answers that finish, stop or extend it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from core.mentoring.requests import place_freed, places_freed
from core.mentoring.shared import (
    EXTENSION_WEEKS,
    FINISH_UNANSWERED_AFTER,
    MAX_NOTE_CHARS,
    MET,
    MentorError,
    MentorshipState,
    Met,
    clean,
    mentorship_row,
    request_row,
    topic_name,
)
from storage import workspaces
from storage.claims import claim
from storage.models import Mentorship, Volunteer


@dataclass(frozen=True)
class MentorshipInfo:
    id: int
    team_id: str
    mentor_id: str
    protege_id: str
    topic: str
    goal: str
    state: MentorshipState
    weeks: int
    answer_by: datetime
    started_at: datetime | None
    ends_at: datetime | None
    group_channel: str | None
    note: str | None  # the mentor's note from their offer
    request_id: int = 0
    topic_id: int = 0
    # The workspace the mentor volunteered in: where Knowhow writes to them. `team_id` is the
    # protégé's, where the request and the mentorship live.
    mentor_team_id: str = ""
    # The protégé's message that says this mentor was asked (a channel and a ts), if known.
    protege_note: tuple[str, str] | None = None


def mentorship(session: Session, *, team_id: str, mentorship_id: int) -> MentorshipInfo | None:
    m = mentorship_row(session, team_id=team_id, mentorship_id=mentorship_id)
    if m is None:
        return None
    request = request_row(session, team_id=m.team_id, request_id=m.request_id)
    mentor_team = m.mentor_team_id or m.team_id
    volunteer = session.get(Volunteer, (mentor_team, m.mentor_id))
    return MentorshipInfo(
        m.id,
        m.team_id,
        m.mentor_id,
        m.protege_id,
        topic_name(session, team_id=m.team_id, topic_id=m.topic_id) or "",
        request.goal if request else "",
        MentorshipState(m.state),
        m.weeks,
        m.answer_by,
        m.started_at,
        m.ends_at,
        m.group_channel,
        volunteer.note if volunteer else None,
        m.request_id,
        m.topic_id,
        mentor_team,
        (m.protege_note_channel, m.protege_note_ts) if m.protege_note_channel and m.protege_note_ts else None,
    )


def set_group_channel(session: Session, *, team_id: str, mentorship_id: int, channel_id: str) -> None:
    """The introduction's group DM (opened in the protégé's workspace or the mentor's)."""
    session.execute(
        update(Mentorship)
        .where(Mentorship.id == mentorship_id, Mentorship.team_id.in_(workspaces.pool(session, team_id=team_id)))
        .values(group_channel=channel_id)
    )


def set_protege_note(session: Session, *, team_id: str, mentorship_id: int, channel_id: str, ts: str) -> None:
    """Where the protégé was told that the mentor was asked: that message is brought up to date
    once the mentor answers (or the question lapses), so it never says "you will hear" after."""
    session.execute(
        update(Mentorship)
        .where(Mentorship.id == mentorship_id, Mentorship.team_id == team_id)
        .values(protege_note_channel=channel_id, protege_note_ts=ts)
    )


def due_halfway(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """Active mentorships at half their term whose check-in is not yet sent; marked sent."""
    return _claim(session, now, Mentorship.halfway_at, Mentorship.halfway_sent_at)


def due_end(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    return _claim(session, now, Mentorship.ends_at, Mentorship.end_sent_at)


def _claim(session: Session, now: datetime, when, sent) -> list[tuple[str, int]]:
    rows = session.exec(
        select(Mentorship.team_id, Mentorship.id)
        .where(Mentorship.state == MentorshipState.ACTIVE, when <= now, sent.is_(None))
        .execution_options(all_workspaces=True)  # the sweep runs once for every workspace
    ).all()
    return [
        (team_id, mentorship_id)
        for team_id, mentorship_id in rows
        if claim(
            session,
            Mentorship,
            Mentorship.team_id == team_id,
            Mentorship.id == mentorship_id,
            sent.is_(None),
            **{sent.key: now},
        )
    ]


def finish_unanswered(session: Session, *, now: datetime) -> list[tuple[str, int]]:
    """Terms that ended FINISH_UNANSWERED_AFTER ago with nobody choosing to extend: completed.
    The freed places are offered once all are finished, in one order (see `places_freed`)."""
    rows = session.exec(
        select(Mentorship)
        .where(
            Mentorship.state == MentorshipState.ACTIVE,
            Mentorship.end_sent_at.is_not(None),
            Mentorship.ends_at <= now - FINISH_UNANSWERED_AFTER,
        )
        .order_by(Mentorship.team_id, Mentorship.id)
        .execution_options(all_workspaces=True)  # the sweep runs once for every workspace
    ).all()
    done = [m for m in rows if _finish(session, m, MentorshipState.COMPLETED, now, free_place=False)]
    places_freed(session, [(m.team_id, m.mentor_id) for m in done], now=now)
    return [(m.team_id, m.id) for m in done]


def _finish(session: Session, m: Mentorship, state: MentorshipState, now: datetime, *, free_place: bool = True) -> bool:
    done = claim(
        session,
        Mentorship,
        Mentorship.team_id == m.team_id,
        Mentorship.id == m.id,
        Mentorship.state == MentorshipState.ACTIVE,
        state=state,
        finished_at=now,
    )
    if done and free_place:
        place_freed(session, team_id=m.team_id, mentor_id=m.mentor_id, now=now)
    return done


def _side(m: Mentorship, user_id: str) -> str | None:
    return "mentor" if user_id == m.mentor_id else "protege" if user_id == m.protege_id else None


def check_in(
    session: Session, *, team_id: str, mentorship_id: int, user_id: str, met: str, now: datetime
) -> MentorshipState | None:
    """A halfway answer; "stopped" ends the mentorship early for both. The state after, or None
    when the person is not in it or it is over."""
    m = mentorship_row(session, team_id=team_id, mentorship_id=mentorship_id)
    side = _side(m, user_id) if m is not None else None
    if side is None or met not in MET or m.state != MentorshipState.ACTIVE:
        return None
    setattr(m, f"{side}_met", met)
    session.add(m)
    session.flush()
    if met == Met.STOPPED:
        _finish(session, m, MentorshipState.STOPPED, now)
    session.refresh(m)
    return MentorshipState(m.state)


def wrap_up(
    session: Session,
    *,
    team_id: str,
    mentorship_id: int,
    user_id: str,
    rating: int | None,
    word: str | None,
    extend: bool,
    now: datetime,
) -> MentorshipState | None:
    """The end-of-term answer: a private rating (1 to 5) and word, and "extend" (EXTENSION_WEEKS
    more, a new end check-in then) or "finish" (completed for both). The state after, or None."""
    m = mentorship_row(session, team_id=team_id, mentorship_id=mentorship_id)
    side = _side(m, user_id) if m is not None else None
    if side is None or m.state not in (MentorshipState.ACTIVE, MentorshipState.COMPLETED):
        return None
    team_id = m.team_id  # the mentor answers from their own workspace
    if rating is not None and not 1 <= rating <= 5:
        raise MentorError("Rate from 1 to 5.", "rating")
    word = clean(word, MAX_NOTE_CHARS, what="Your words", field="word") or None
    if rating is not None:
        setattr(m, f"{side}_rating", rating)
    if word is not None:
        setattr(m, f"{side}_word", word)
    session.add(m)
    session.flush()
    if m.state == MentorshipState.ACTIVE:
        if extend:
            # Once per end-of-term check-in: a second click, or the other person also choosing
            # to extend, finds the check-in answered (end_sent_at cleared, ends_at moved).
            claim(
                session,
                Mentorship,
                Mentorship.team_id == team_id,
                Mentorship.id == m.id,
                Mentorship.state == MentorshipState.ACTIVE,
                Mentorship.end_sent_at.is_not(None),
                Mentorship.ends_at == m.ends_at,
                weeks=Mentorship.weeks + EXTENSION_WEEKS,
                ends_at=m.ends_at + timedelta(weeks=EXTENSION_WEEKS),
                end_sent_at=None,
            )
        else:
            _finish(session, m, MentorshipState.COMPLETED, now)
    session.refresh(m)
    return MentorshipState(m.state)
