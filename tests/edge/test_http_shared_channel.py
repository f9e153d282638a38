"""One Q&A channel shared by two workspaces of a Grid organisation (Knowhow installed org-wide):
questions of each workspace are posted there, and people of either reply, edit, delete and accept
in their threads. What they do belongs to the question's workspace, whichever workspace Slack says
they acted from (`core.asking.thread_workspace`, `question_workspace`)."""

from __future__ import annotations

import time

from sqlmodel import select

from bot import ids
from core import asking
from core.clock import utcnow
from storage.db import session_scope
from storage.models import Answer, Question

from ..settle import settle
from .conftest import QA_CHANNEL
from .test_http_ask import _wait_until, _work_rows
from .test_http_knowledge import _accept_button, current, post_of, shown
from .test_http_organisation import (  # noqa: F401  (fixtures, used as they are)
    ADMIN,
    HELPER,
    PARIS,
    PARIS_GENERAL,
    SEEKER,
    SINGAPORE,
    SINGAPORE_GENERAL,
    acme,
    org,
    paris,
    settings,
    singapore,
)


def _rows(knowhow, model):
    with session_scope(knowhow.engine) as s:
        return s.exec(select(model)).all()


def _reply(sender, fake_slack, post, *, user, text, ts):
    _wait_until(lambda: any(c.args.get("message_ts") == post["ts"] for c in fake_slack.calls_to("chat.getPermalink")))
    event = sender.thread_reply(channel=QA_CHANNEL, thread_ts=post["ts"], ts=ts, user=user, text=text)
    assert sender.event(event).status == 200
    return ts


def test_a_singapore_question_is_answered_from_paris_and_accepted_by_a_paris_admin(
    knowhow, fake_slack, paris, singapore
):
    singapore.command(
        "/ask",
        "Who signs off a new supplier?",
        user_id=SEEKER,
        channel_id=SINGAPORE_GENERAL,
        response_url=fake_slack.response_url("ask"),
    )
    [post] = post_of(fake_slack)
    [question] = _rows(knowhow, Question)
    assert (question.team_id, question.channel_id) == (SINGAPORE, QA_CHANNEL)

    # A Paris colleague answers in the thread: the answer is the Singapore question's.
    answer_ts = _reply(
        paris,
        fake_slack,
        post,
        user=HELPER,
        text="Procurement, through the vendor form.",
        ts=f"{float(post['ts']) + 1:.6f}",
    )
    _wait_until(lambda: _rows(knowhow, Answer))
    [answer] = _rows(knowhow, Answer)
    assert (answer.team_id, answer.question_id, answer.author_id) == (SINGAPORE, question.id, HELPER)
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))

    # Edited from Paris too.
    edit = paris.message_changed(
        channel=QA_CHANNEL,
        thread_ts=post["ts"],
        ts=answer_ts,
        user=HELPER,
        text="Procurement, through the vendor form on the intranet.",
        old_text="Procurement, through the vendor form.",
        edited_ts=f"{float(post['ts']) + 2:.6f}",
    )
    assert paris.event(edit).status == 200
    _wait_until(lambda: "intranet" in _rows(knowhow, Answer)[0].text)

    # A Knowhow admin in Paris accepts it with the button on the post, and its form.
    paris.interaction(
        paris.block_actions_payload(
            user=ADMIN,
            action_id=ids.ASK_ACCEPT_OPEN,
            value=_accept_button(current(fake_slack, post))["value"],
            message=current(fake_slack, post),
            channel=QA_CHANNEL,
            response_url=fake_slack.response_url("accept"),
        )
    )
    fake_slack.wait_for("views.open")
    form = list(fake_slack.views.values())[-1]
    assert form["callback_id"] == ids.ACCEPT_MODAL and "intranet" in shown(form)
    values = paris.view_state_values(form, {ids.ACCEPT_MODAL_ANSWER: answer_ts})
    assert paris.interaction(paris.view_submission_payload(user=ADMIN, view=form, values=values)).status == 200
    _wait_until(lambda: "Resolved" in shown(current(fake_slack, post)))
    assert _rows(knowhow, Answer)[0].accepted_by == ADMIN


def test_a_paris_question_answered_from_singapore_is_accepted_there_with_the_shortcut(
    knowhow, fake_slack, paris, singapore
):
    asker = "W0PARIS003"
    paris.command(
        "/ask",
        "Where is the travel policy?",
        user_id=asker,
        channel_id=PARIS_GENERAL,
        response_url=fake_slack.response_url("ask"),
    )
    [post] = post_of(fake_slack)
    first = _reply(singapore, fake_slack, post, user=SEEKER, text="On the HR site.", ts=f"{float(post['ts']) + 1:.6f}")
    second = _reply(singapore, fake_slack, post, user="W0SINGAP02", text="Ask Isla.", ts=f"{float(post['ts']) + 2:.6f}")
    _wait_until(lambda: len(_rows(knowhow, Answer)) == 2)
    assert {a.team_id for a in _rows(knowhow, Answer)} == {PARIS}

    deleted = singapore.message_deleted(
        channel=QA_CHANNEL,
        thread_ts=post["ts"],
        ts=second,
        user="W0SINGAP02",
        text="Ask Isla.",
        at=f"{float(post['ts']) + 3:.6f}",
    )
    assert singapore.event(deleted).status == 200
    _wait_until(lambda: any(a.deleted_at for a in _rows(knowhow, Answer)))

    # A Knowhow admin accepts the first with the shortcut, from Singapore.
    reply_message = {"type": "message", "user": SEEKER, "text": "On the HR site.", "ts": first, "thread_ts": post["ts"]}
    singapore.interaction(
        singapore.message_action_payload(
            user=ADMIN,
            callback_id=ids.ACCEPT_ANSWER_SHORTCUT,
            message=reply_message,
            channel=QA_CHANNEL,
            response_url=fake_slack.response_url("accepted"),
        )
    )
    _wait_until(lambda: [c for c in fake_slack.calls_to("response_url") if c.path.endswith("accepted")])
    [told] = [c for c in fake_slack.calls_to("response_url") if c.path.endswith("accepted")]
    assert "Accepted" in told.args["text"]
    _wait_until(lambda: "Resolved" in shown(current(fake_slack, post)))
    [accepted] = [a for a in _rows(knowhow, Answer) if a.accepted_at]
    assert (accepted.team_id, accepted.author_id) == (PARIS, SEEKER)


def test_a_reply_from_paris_that_beats_a_singapore_post_being_recorded_waits_for_it(
    knowhow, fake_slack, paris, singapore
):
    """The reply is kept (Slack's retry applies it again) while a question of the organisation is
    still being posted in that channel, whichever workspace's it is."""
    with session_scope(knowhow.engine) as s:
        q = Question(
            team_id=SINGAPORE,
            asker_id=SEEKER,
            text="Where are the office keys?",
            channel_id=QA_CHANNEL,
            status="pending",
            request_id="early-shared",
            created_at=utcnow(),
        )
        s.add(q)
        s.flush()
        question_id = q.id
    thread_ts = f"{time.time():.6f}"
    reply = paris.thread_reply(
        channel=QA_CHANNEL, thread_ts=thread_ts, ts=f"{time.time() + 1:.6f}", user=HELPER, text="At reception."
    )
    assert paris.event(reply, event_id="Ev0SHARED01").status == 200
    settle(knowhow)
    assert _rows(knowhow, Answer) == []
    [kept] = _work_rows(knowhow, "event:Ev0SHARED01")
    assert kept.status == "pending" and "came before its post was recorded" in kept.last_error
    with session_scope(knowhow.engine) as s:
        asking.mark_posted(s, team_id=SINGAPORE, question_id=question_id, channel_id=QA_CHANNEL, message_ts=thread_ts)
    assert paris.event(reply, event_id="Ev0SHARED01", retry_num=1).status == 200
    _wait_until(lambda: _rows(knowhow, Answer))
    [answer] = _rows(knowhow, Answer)
    assert (answer.team_id, answer.question_id, answer.text) == (SINGAPORE, question_id, "At reception.")
