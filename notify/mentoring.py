"""The Mentor Center's outbox step: what each change in core.mentoring means to say, queued once,
and the follow-up fan-out every change of its kind implies (re-offering waiting requests, the
calls for volunteers' counts, the Homes of the people concerned), written here once for the
Slack listeners and the scheduler's sweep alike. The senders in bot.mentor deliver it.

Privacy: every row here is for one person's direct messages, except a call for volunteers,
which carries counts.

The pool is the organisation's (core.mentoring): a protégé and their mentor may be in two
workspaces. Each message is queued in the workspace of the person it is for (the request's for
the protégé, `mentor_team_id` for the mentor), so it goes out with that workspace's installation
and lands in a conversation that person can see; a call for volunteers is refreshed in its own
channel's workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session

from core import mentoring
from core.clock import utcnow
from core.mentoring import AnswerOutcome, ChooseOutcome, MentorshipState, Offered
from notify import home, kinds, queue
from storage import outbox
from storage.erasure import FORMER_MEMBER

UNSENT_WITHIN = timedelta(days=1)  # within the outbox's memory of sent rows (at least 2 days: core.retention)


# -- one step each --------------------------------------------------------------------------------


def queue_offers(session: Session, team_id: str, offered: Offered, *, again: bool = False, gone: bool = False) -> None:
    """Each new round of candidates goes to its protégé by direct message, once. `again`: the
    mentor they chose cannot take it on; `gone`: someone on their list can no longer mentor."""
    for request_id, round_ in offered.rounds:
        brief = mentoring.request_brief(session, team_id=team_id, request_id=request_id)
        team = brief.team_id if brief else team_id  # the protégé's workspace
        queue(
            session,
            team,
            f"mentor-request:{request_id}:round:{round_}",
            kinds.OUTBOX_MENTOR_CANDIDATES,
            request_id=request_id,
            round=round_,
            again=again,
            gone=gone,
        )
        home.queue_refresh(session, team, brief.protege_id if brief else "")


def queue_unsent_offers(session: Session, team_id: str | None = None) -> int:
    """The safety net: every request whose current round of candidates was never queued (a place
    freed by a check-in or the sweep offers candidates to waiting requests) gets it queued. Only
    rounds offered in the last day: the outbox forgets sent rows after 2 days at the earliest (core.retention), and an old round
    must not be sent again. `team_id=None` (the sweep) covers every workspace, deliberately."""
    queued = 0
    for team, request_id, round_ in mentoring.unsent_rounds(session, team_id=team_id, since=utcnow() - UNSENT_WITHIN):
        key = f"mentor-request:{request_id}:round:{round_}"
        if outbox.get(session, team_id=team, dedupe_key=key) is None:
            queue(session, team, key, kinds.OUTBOX_MENTOR_CANDIDATES, request_id=request_id, round=round_, again=False)
            queued += 1
    return queued


def queue_after_proposal_ended(session: Session, team_id: str, mentorship_id: int, offered: Offered) -> None:
    """A proposal was declined, lapsed or withdrawn: fresh candidates, or a word that the request waits."""
    if offered.rounds:
        queue_offers(session, team_id, offered, again=True)
        return
    info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
    if info is not None:
        queue(
            session,
            info.team_id,  # to the protégé
            f"mentorship:{mentorship_id}:waiting",
            kinds.OUTBOX_MENTOR_WAITING,
            mentorship_id=mentorship_id,
        )


def queue_after_leaving(session: Session, team_id: str, left: mentoring.Left) -> None:
    """A mentor left: each protégé whose proposal to them ended, or whose list of candidates had
    nobody else on it, gets fresh candidates or a word that the request waits."""
    for mentorship_id, offered in left.proposals:
        queue_after_proposal_ended(session, team_id, mentorship_id, offered)
        queue_asked_update(session, mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id))
    for request_id, offered in left.emptied:
        if offered.rounds:
            queue_offers(session, team_id, offered, gone=True)
            continue
        brief = mentoring.request_brief(session, team_id=team_id, request_id=request_id)
        queue(
            session,
            brief.team_id,
            f"mentor-request:{request_id}:round:{brief.round}:emptied",
            kinds.OUTBOX_MENTOR_WAITING,
            request_id=request_id,
            gone=True,
        )
        home.queue_refresh(session, brief.team_id, brief.protege_id)


def queue_ended(session: Session, team_id: str, mentorship_id: int, by: str, state: str) -> None:
    """One person finished or stopped the mentorship: the other is told, privately, once."""
    info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
    if info is None or by not in (info.mentor_id, info.protege_id):
        return
    other = info.protege_id if by == info.mentor_id else info.mentor_id
    if other == FORMER_MEMBER:  # both left: nobody to tell
        return
    queue(
        session,
        workspace_of(info, other),
        f"mentorship:{mentorship_id}:ended",
        kinds.OUTBOX_MENTOR_ENDED,
        mentorship_id=mentorship_id,
        user_id=other,
        by=by,
        state=state,
    )


def queue_intro(session: Session, team_id: str, mentorship_id: int, *, where: str = "protege") -> None:
    """The introduction, once per workspace it is tried in: the protégé's first, and the mentor's
    when the protégé's installation cannot reach the mentor (bot.mentor.senders.Intro)."""
    key = f"mentorship:{mentorship_id}:intro" + ("" if where == "protege" else f":{where}")
    queue(session, team_id, key, kinds.OUTBOX_MENTOR_INTRO, mentorship_id=mentorship_id)


def queue_asked_update(session: Session, info: mentoring.MentorshipInfo | None) -> None:
    """The protégé's message saying their mentor was asked says what became of it (once)."""
    if info is not None and info.protege_note is not None:
        queue(
            session,
            info.team_id,  # the protégé's workspace
            f"mentorship:{info.id}:asked-update:{info.state.value}",
            kinds.OUTBOX_MENTOR_ASKED_UPDATE,
            mentorship_id=info.id,
        )


def queue_demand(session: Session, team_id: str, topic_ids: Iterable[int | None]) -> None:
    """The demand in these topics changed: every call for volunteers about them, in any workspace
    of the organisation, is updated."""
    for team, call_id, version in mentoring.bump_calls(session, team_id=team_id, topic_ids=list(set(topic_ids))):
        queue(session, team, f"mentor-call:{call_id}:v{version}", kinds.OUTBOX_MENTOR_CALL_REFRESH, call_id=call_id)


def queue_call(session: Session, team_id: str, call_id: int) -> None:
    """An admin's call for volunteers, posted once."""
    queue(session, team_id, f"mentor-call:{call_id}:post", kinds.OUTBOX_MENTOR_CALL, call_id=call_id)


def workspace_of(info: mentoring.MentorshipInfo, user_id: str) -> str:
    """Where to write to one of a mentorship's two people: the mentor in the workspace they
    volunteered in, the protégé in the request's."""
    return (info.mentor_team_id or info.team_id) if user_id == info.mentor_id else info.team_id


def refresh_both(session: Session, info: mentoring.MentorshipInfo | None) -> None:
    """Both people's Homes, each in their own workspace."""
    if info is not None:
        home.queue_refresh(session, workspace_of(info, info.mentor_id), info.mentor_id)
        home.queue_refresh(session, info.team_id, info.protege_id)


def _topic_of(session: Session, team_id: str, mentorship_id: int) -> int | None:
    info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
    return info.topic_id if info else None


# -- after each kind of change: the whole fan-out, once ------------------------------------------


def after_pausing(session: Session, team_id: str, user_id: str, changed: bool | None) -> None:
    """A volunteer paused or resumed: the places they free or take change who waits, and the counts."""
    if changed:
        queue_unsent_offers(session, team_id)
        queue_demand(session, team_id, mentoring.volunteer_topics(session, team_id=team_id, user_id=user_id))


def after_volunteering(session: Session, team_id: str, user_id: str, done: mentoring.Volunteered) -> None:
    """An offer made or changed: waiting protégés get candidates, and the counts of every topic it
    added or dropped change."""
    queue_offers(session, team_id, done)
    queue_demand(session, team_id, [*done.dropped, *done.topic_ids])
    home.queue_refresh(session, team_id, user_id)


def after_leaving(session: Session, team_id: str, user_id: str, left: mentoring.Left) -> None:
    """A volunteer left: their protégés-to-be are offered others, and the counts change."""
    queue_after_leaving(session, team_id, left)
    queue_unsent_offers(session, team_id)
    queue_demand(session, team_id, mentoring.volunteer_topics(session, team_id=team_id, user_id=user_id))
    home.queue_refresh(session, team_id, user_id)


def after_request(session: Session, team_id: str, user_id: str, done: mentoring.Requested) -> None:
    """A protégé asked for a mentor: their candidates, and the topic's count."""
    queue_offers(session, team_id, done)
    queue_demand(session, team_id, [done.topic_id])
    home.queue_refresh(session, team_id, user_id)


def after_withdrawal(session: Session, team_id: str, user_id: str, request_id: int) -> None:
    """A protégé withdrew a request: a proposal it ended freed the mentor's place, and the topic's
    count changed."""
    queue_unsent_offers(session, team_id)
    brief = mentoring.request_brief(session, team_id=team_id, request_id=request_id)
    queue_demand(session, team_id, [brief.topic_id if brief else None])
    home.queue_refresh(session, team_id, user_id)


def after_choice(
    session: Session,
    team_id: str,
    *,
    request_id: int,
    round_: str,
    protege_id: str,
    mentor_id: str,
    chosen: mentoring.Chosen,
) -> None:
    """A protégé chose a candidate: the mentor is asked; or, that mentor gone, fresh candidates
    or a word that the request waits."""
    if chosen.outcome is ChooseOutcome.ASKED:
        info = mentoring.mentorship(session, team_id=team_id, mentorship_id=chosen.mentorship_id)
        queue(
            session,
            workspace_of(info, mentor_id),  # the mentor is asked where they volunteered
            f"mentorship:{chosen.mentorship_id}:ask",
            kinds.OUTBOX_MENTOR_ASK,
            mentorship_id=chosen.mentorship_id,
        )
        refresh_both(session, info)
    elif chosen.outcome is ChooseOutcome.GONE:
        queue_offers(session, team_id, chosen, again=True)
        if not chosen.rounds:
            brief = mentoring.request_brief(session, team_id=team_id, request_id=request_id)
            queue(
                session,
                brief.team_id if brief else team_id,
                f"mentor-request:{request_id}:gone-waiting:{round_}",
                kinds.OUTBOX_MENTOR_WAITING,
                request_id=request_id,
            )


def after_answer(session: Session, team_id: str, mentorship_id: int, done: mentoring.Answered) -> None:
    """The asked mentor answered: an introduction, or the protégé offered others; the counts and
    both Homes change either way."""
    if done.outcome is AnswerOutcome.STALE:
        return
    info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
    if done.outcome is AnswerOutcome.ACCEPTED:
        queue_intro(session, info.team_id, mentorship_id)
    else:
        queue_after_proposal_ended(session, team_id, mentorship_id, done)
        queue_unsent_offers(session, team_id)  # the freed place may suit a request that was waiting
    queue_asked_update(session, info)
    queue_demand(session, team_id, [info.topic_id])
    refresh_both(session, info)


def after_ending(
    session: Session,
    team_id: str,
    mentorship_id: int,
    *,
    by: str,
    state: MentorshipState | None,
    ends_as: MentorshipState,
    was: MentorshipState | None,
) -> None:
    """A check-in answer that ends a mentorship (`ends_as`: stopped at halfway, completed at the
    end): the other person is told when this answer ended it, the mentor's freed place goes to
    whoever waits, and the counts and both Homes change."""
    if state != ends_as:
        return
    if was == MentorshipState.ACTIVE:
        queue_ended(session, team_id, mentorship_id, by, state)
    queue_unsent_offers(session, team_id)
    info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
    queue_demand(session, team_id, [info.topic_id])
    refresh_both(session, info)


# -- the sweep (scheduler.jobs.mentoring) --------------------------------------------------------


def sweep(session: Session, now: datetime) -> int:
    """What time moves on: proposals that lapsed, halfway and end-of-term check-ins, terms nobody
    answered, and any round of candidates not yet queued. Idempotent: each is claimed once."""
    changed = 0
    touched: dict[str, set[int | None]] = {}
    for team_id, mentorship_id, offered in mentoring.expire_proposals(session, now=now):
        lapsed = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
        queue(
            session,
            workspace_of(lapsed, lapsed.mentor_id) if lapsed else team_id,  # to the mentor
            f"mentorship:{mentorship_id}:lapsed",
            kinds.OUTBOX_MENTOR_LAPSED,
            mentorship_id=mentorship_id,
        )
        queue_after_proposal_ended(session, team_id, mentorship_id, offered)
        queue_asked_update(session, lapsed)
        touched.setdefault(team_id, set()).add(_topic_of(session, team_id, mentorship_id))
        changed += 1
    for kind, claimed in (
        (kinds.OUTBOX_MENTOR_HALFWAY, mentoring.due_halfway(session, now=now)),
        (kinds.OUTBOX_MENTOR_END, mentoring.due_end(session, now=now)),
    ):
        for team_id, mentorship_id in claimed:
            info = mentoring.mentorship(session, team_id=team_id, mentorship_id=mentorship_id)
            stamp = f"{info.ends_at:%Y%m%d}" if kind == kinds.OUTBOX_MENTOR_END else "1"
            for user in (info.mentor_id, info.protege_id):
                queue(
                    session,
                    workspace_of(info, user),
                    f"mentorship:{mentorship_id}:{kind}:{stamp}:{user}",
                    kind,
                    mentorship_id=mentorship_id,
                    user_id=user,
                )
            changed += 1
    for team_id, mentorship_id in mentoring.finish_unanswered(session, now=now):
        touched.setdefault(team_id, set()).add(_topic_of(session, team_id, mentorship_id))
        changed += 1
    changed += queue_unsent_offers(session)
    for team_id, topic_ids in touched.items():
        queue_demand(session, team_id, topic_ids)
    return changed
