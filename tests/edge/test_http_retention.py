"""`/mentor retention` end to end, as Slack signs it: anyone sees how long this workspace keeps
what Knowhow no longer needs; only admins change it, within the limits, told privately why not."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.db import session_scope
from storage.models import Workspace

from .test_http_mentor import ADMIN, mentor

SLACK_ADMIN = "U0SLACKADM"
MEMBER = "U0MEMBER01"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


def _say(slack, text, user) -> str:
    response = mentor(slack, text, user)
    assert response.status == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return body["text"]


def _stored(knowhow) -> list[tuple]:
    with session_scope(knowhow.engine) as s:
        return [
            tuple(r)
            for r in s.exec(
                select(
                    Workspace.team_id,
                    Workspace.keep_mentoring_days,
                    Workspace.keep_unposted_days,
                    Workspace.keep_sent_days,
                )
            ).all()
            if any(v is not None for v in tuple(r)[1:])
        ]


def test_anyone_sees_the_periods_and_only_admins_change_them(knowhow, slack, fake_slack):
    fake_slack.add_user(MEMBER)
    fake_slack.add_user(SLACK_ADMIN, is_admin=True)

    shown = _say(slack, "retention", MEMBER)
    assert (
        "Ended mentorships and finished requests for a mentor (goals, check-in answers, ratings): deleted 365 days after they ended (the default)."
        in shown
    )
    assert (
        "never posted (held, cancelled, failed, or settled by an earlier answer), messages Knowhow gave up"
        " delivering, and its notes on the help-channel messages it acted on (no text): deleted 30 days after"
        " they were asked, failed or were last acted on (the default)." in shown
    )
    assert "messages it delivered: deleted 7 days after they were sent (the default)." in shown
    assert "Posted questions and their answers are kept" in shown and "`/mentor retention mentoring 180`" in shown

    # A member is refused, in the one admin voice, and nothing changes.
    refused = _say(slack, "retention mentoring 180", MEMBER)
    assert refused.startswith("Only admins can change how long Knowhow keeps")
    assert "`/mentor retention` shows how long it is kept." in refused
    assert _stored(knowhow) == []

    # A workspace admin (Slack says so) changes it, for this workspace only.
    changed = _say(slack, "retention mentoring 180", SLACK_ADMIN)
    assert changed.startswith("From now on: Ended mentorships and finished requests")
    assert "deleted 180 days after they ended." in changed and "next daily clean-up" in changed
    [(team, mentoring, unposted, sent)] = _stored(knowhow)
    assert (mentoring, unposted, sent) == (180, None, None)
    assert "That is already so" in _say(slack, "retention mentoring 180 days", SLACK_ADMIN)

    # Bad values are refused with what to choose; nothing is stored.
    assert "kept at least 14 days, so that nothing still needed is deleted" in _say(
        slack, "retention questions 3", ADMIN
    )
    assert "cannot be kept forever: choose from 2 to 90 days" in _say(slack, "retention sent forever", ADMIN)
    assert "Say a number of days, for example `30`, `forever` or `default`" in _say(
        slack, "retention questions soon", ADMIN
    )
    assert "Say what to keep for how long." in _say(slack, "retention everything 30", ADMIN)
    assert _stored(knowhow) == [(team, 180, None, None)]

    # Forever where it is offered, and back to the default.
    assert "kept forever." in _say(slack, "retention questions forever", ADMIN)
    assert "deleted 14 days after they were sent." in _say(slack, "retention sent 14", ADMIN)
    assert _stored(knowhow) == [(team, 180, 0, 14)]
    assert "(the default)" in _say(slack, "retention mentoring default", ADMIN)
    assert _stored(knowhow) == [(team, None, 0, 14)]
    shown = _say(slack, "retention", MEMBER)
    assert "deleted 365 days after they ended (the default)" in shown and "kept forever." in shown
