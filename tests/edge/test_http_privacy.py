"""Slack says a person left (`user_change` with `user.deleted: true`, signed, through the HTTP front):
Knowhow forgets them after the ack, and the question post that named them reads "a former member"."""

from __future__ import annotations

from sqlmodel import select

from storage.db import session_scope
from storage.erasure import FORMER_MEMBER
from storage.models import Answer, OutboxMessage, Question

from ..core.test_erasure import rows_naming
from ..settle import settle
from .test_http_ask import _wait_until
from .test_http_knowledge import ASKER, HELPER, current, post_of, reply, shown


def user_change(fake_slack, user_id: str, *, deleted: bool) -> dict:
    """The event as Slack sends it: the whole user object, `deleted` among its fields."""
    return {
        "type": "user_change",
        "user": fake_slack.store.user_object(user_id, real_name="Sam Leaver", title="Engineer", deleted=deleted),
        "cache_ts": 1765000000,
        "event_ts": "1765000000.000100",
    }


def test_a_deactivated_account_is_forgotten_and_its_question_stays_by_a_former_member(knowhow, slack, fake_slack):
    slack.command(
        "/ask", "How do I rotate the staging API keys?", user_id=ASKER, response_url=fake_slack.response_url("a")
    )
    [post] = post_of(fake_slack)
    reply(slack, fake_slack, post, user=HELPER, text=f"Ask <@{ASKER}>'s team lead, or run rotate-keys.")
    _wait_until(lambda: "Answered" in shown(current(fake_slack, post)))
    settle(knowhow)
    assert f"<@{ASKER}>" in shown(current(fake_slack, post))
    assert rows_naming(knowhow.engine, ASKER)

    # A profile change that is not a deactivation changes nothing, and writes nothing.
    with session_scope(knowhow.engine) as s:
        rows = len(s.exec(select(OutboxMessage)).all())
    assert slack.event(user_change(fake_slack, ASKER, deleted=False)).status == 200
    with session_scope(knowhow.engine) as s:
        assert len(s.exec(select(OutboxMessage)).all()) == rows

    def to_them():
        return [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == ASKER]

    told = len(to_them())
    response = slack.event(user_change(fake_slack, ASKER, deleted=True), event_id="Ev0FORGET01")
    assert response.status == 200
    assert slack.event(user_change(fake_slack, ASKER, deleted=True), event_id="Ev0FORGET01", retry_num=1).status == 200
    _wait_until(lambda: "a former member" in shown(current(fake_slack, post)))
    settle(knowhow)

    assert rows_naming(knowhow.engine, ASKER) == []
    text = shown(current(fake_slack, post))
    assert "Asked by a former member" in text and "<@former-member>" not in text and f"<@{ASKER}>" not in text
    with session_scope(knowhow.engine) as s:
        [question] = s.exec(select(Question)).all()
        [answer] = s.exec(select(Answer)).all()
        assert question.asker_id == FORMER_MEMBER and question.text == "How do I rotate the staging API keys?"
        assert answer.author_id == HELPER and answer.text == "Ask a former member's team lead, or run rotate-keys."
        # The request was done once (the retry was the same event), and keeps nothing of it.
        [work] = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "work.forget")).all()
        assert (work.status, work.payload) == ("sent", "{}")
    assert len(to_them()) == told  # nothing more to the person who left
