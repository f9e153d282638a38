"""After a person was forgotten (core.erasure): what must still be said, to the others.

The posts that named them are updated in place (they now read "a former member"); protégés whose
proposal to them ended are offered other mentors, as after `/mentor leave`; whoever had a running
mentorship with them is told it ended; the App Homes of the people whose mentorship with them was
kept are published again. Nothing is sent to the person.
"""

from __future__ import annotations

from sqlmodel import Session

from core.erasure import Forgotten
from core.mentoring.shared import MentorshipState
from notify import ask, home, mentoring
from storage.erasure import FORMER_MEMBER


def after_forgetting(session: Session, forgotten: Forgotten) -> None:
    for team_id, left in forgotten.left:
        mentoring.queue_after_leaving(session, team_id, left)
    mentoring.queue_unsent_offers(session, forgotten.team_id)
    for team_id, mentorship_id in forgotten.stopped:
        mentoring.queue_ended(session, team_id, mentorship_id, FORMER_MEMBER, MentorshipState.STOPPED)
    for team_id, question_id, version in forgotten.posts:
        ask.queue_refresh(session, team_id=team_id, question_id=question_id, version=version)
    for team_id, user_id in sorted(forgotten.homes):
        home.queue_refresh(session, team_id, user_id)
