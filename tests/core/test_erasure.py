"""Forgetting a person who left (core.erasure), on SQLite and PostgreSQL: a person who did a bit
of everything is forgotten, and then no row of any table of the database (read from the database
itself, so a table added later is scanned too) holds their user id, in any column, in their
organisation; their questions and answers stay, by a former member."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import MetaData, String, Text, cast, func, insert, select
from sqlalchemy import inspect as sa_inspect

from core import accepting, asking, erasure, expertise, helpchannels, mentoring, saving, sessions
from core.erasure import FORMER_MEMBER
from core.mentoring import SlackPerson
from notify import home
from storage import channels, outbox, scoreboard, workspaces
from storage.db import session_scope
from storage.models import (
    Answer,
    Deferral,
    HelpChannel,
    HelperPreference,
    HelpThread,
    MentorRequest,
    Mentorship,
    OutboxMessage,
    Question,
    ScoreboardSettings,
    ScoreboardWeek,
)
from storage.search import reader, search

LONDON, SINGAPORE, ELSEWHERE = "T0LONDON01", "T0SINGAP01", "T0ELSEWHER"
ORG = "E0ACME0001"
LEAVER = "U0LEAVER01"
ALICE, BOB, CAROL, ADMIN = "U0ALICE001", "U0BOB00001", "U0CAROL001", "U0ADMIN001"
QA, SESSIONS_CHANNEL, HELP = "C0QUESTION", "C0EXPERTS1", "C0HELPIT01"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PERSON = SlackPerson(title="Engineer", tz="Europe/London", tz_offset=0)


def _step(engine, fn):
    with session_scope(engine) as s:
        return fn(s)


def _posted(engine, team, asker, text, ts, **kw):
    def ask(s):
        asked = asking.ask_question(s, team_id=team, asker_id=asker, text=text, qa_channel_id=QA, **kw)
        asking.mark_posted(s, team_id=team, question_id=asked.question_id, channel_id=QA, message_ts=ts)
        return asked.question_id

    return _step(engine, ask)


def _reply(engine, team, thread, ts, author, text, at=T0):
    return _step(
        engine,
        lambda s: asking.record_reply(
            s, team_id=team, channel_id=QA, thread_ts=thread, message_ts=ts, author_id=author, text=text, at=at
        ),
    )


def _profile(s, team, user):
    mentoring.ensure_profile(s, team_id=team, user_id=user, slack=PERSON, now=T0)
    mentoring.save_profile(s, team_id=team, user_id=user, role="Engineer", location="London", years_in_role=3, now=T0)


def populate(engine) -> dict:
    """The leaver asks, answers, accepts, mentors and is mentored, sits on a panel, defers, sets
    their preferences, in two workspaces of a Grid organisation; others mention them."""
    ids: dict = {}
    _step(engine, lambda s: workspaces.seen(s, team_id=LONDON, enterprise_id=ORG))
    _step(engine, lambda s: workspaces.seen(s, team_id=SINGAPORE, enterprise_id=ORG))
    _step(engine, lambda s: workspaces.seen(s, team_id=ELSEWHERE))
    _step(engine, lambda s: workspaces.set_qa_channel(s, team_id=LONDON, channel_id=QA, by=LEAVER))
    _step(engine, lambda s: channels.record_type(s, team_id=LONDON, channel_id=QA, channel_type="channel"))

    # Questions and answers.
    ids["theirs"] = _posted(engine, LONDON, LEAVER, "How do I drain a Kubernetes node?", "100.1", topics=["Kubernetes"])
    _reply(engine, LONDON, "100.1", "100.2", ALICE, "kubectl drain, then uncordon.")
    _step(
        engine,
        lambda s: accepting.accept(s, team_id=LONDON, question_id=ids["theirs"], answer_ts="100.2", user_id=LEAVER),
    )
    ids["answered"] = _posted(engine, LONDON, ALICE, "Who owns the staging cluster?", "200.1", topics=["Kubernetes"])
    _reply(engine, LONDON, "200.1", "200.2", LEAVER, f"Platform team; <@{BOB}> knows the details.")
    _step(
        engine,
        lambda s: accepting.accept(s, team_id=LONDON, question_id=ids["answered"], answer_ts="200.2", user_id=ALICE),
    )
    ids["mentions"] = _posted(engine, LONDON, BOB, f"Is <@{LEAVER}> the person to ask about billing?", "300.1")
    _reply(engine, LONDON, "300.1", "300.2", LEAVER, "Yes, that is me.")
    _step(
        engine,
        lambda s: asking.delete_reply(
            s, team_id=LONDON, channel_id=QA, thread_ts="300.1", message_ts="300.2", author_id=LEAVER
        ),
    )
    _reply(engine, LONDON, "300.1", "300.3", ALICE, f"Ask <@{LEAVER}|leaver> or finance.")
    ids["anonymous"] = _posted(
        engine, LONDON, LEAVER, "Is it fine to ask about pay bands here?", "400.1", anonymous=True
    )
    ids["held"] = _step(
        engine,
        lambda s: (
            asking.ask_question(
                s, team_id=LONDON, asker_id=LEAVER, text="foo", qa_channel_id=QA, review=True
            ).question_id
        ),
    )
    ids["singapore"] = _posted(engine, SINGAPORE, CAROL, "Which VPN profile works from Singapore?", "500.1")
    _reply(engine, SINGAPORE, "500.1", "500.2", LEAVER, "The APAC one, not the default.")
    _step(
        engine,
        lambda s: expertise.record_invitations(
            s, team_id=LONDON, question_id=ids["mentions"], user_ids=[LEAVER, ALICE], now=T0
        ),
    )

    # Preferences and declared expertise.
    _step(engine, lambda s: expertise.declare(s, team_id=LONDON, user_id=LEAVER, raw_topic="Kubernetes"))
    _step(engine, lambda s: expertise.set_paused(s, team_id=LONDON, user_id=LEAVER, paused=True))
    _step(engine, lambda s: expertise.set_thanked(s, team_id=LONDON, user_id=LEAVER, thanked=True))

    # Help channels: they added one and asked there twice (no lesson good enough; a lesson that
    # answered it: a deflection), Alice once; they saved a colleague's thread as a lesson, and
    # said "don't suggest to me" (in both workspaces).
    def help_channels(s):
        helpchannels.designate(s, team_id=LONDON, channel_id=HELP, user_id=LEAVER, name="help-it")
        for ts, asker in (("600.1", LEAVER), ("600.2", LEAVER), ("600.3", ALICE)):
            considered = helpchannels.consider(
                s, team_id=LONDON, channel_id=HELP, message_ts=ts, user_id=asker, text="How do I drain a node?"
            )
            assert considered.skip is None
        where = dict(team_id=LONDON, channel_id=HELP)
        helpchannels.record_outcome(s, **where, thread_ts="600.1", outcome=helpchannels.Outcome.NOTHING)
        for ts, asker in (("600.2", LEAVER), ("600.3", ALICE)):
            helpchannels.record_outcome(
                s, **where, thread_ts=ts, outcome=helpchannels.Outcome.SUGGESTED, lesson_ids=[ids["theirs"]]
            )
            chosen = helpchannels.choose(
                s,
                **where,
                thread_ts=ts,
                user_id=asker,
                choice=helpchannels.Choice.ANSWERS_IT,
                lesson_id=ids["theirs"],
                now=T0,
            )
            assert chosen is helpchannels.Chosen.COUNTED
        saved = saving.save(
            s,
            **where,
            thread_ts="700.1",
            asker_id=ALICE,
            question="Where are the on-call runbooks?",
            answer=saving.LessonAnswer("700.2", BOB, "In the ops wiki, under Runbooks."),
            topics=["Operations"],
            saved_by=LEAVER,
            conversation=saving.Conversation.PUBLIC,
            now=T0,
        )
        ids["lesson"] = saved.question_id
        for team in (LONDON, SINGAPORE):
            helpchannels.set_opted_out(s, team_id=team, user_id=LEAVER, off=True)

    _step(engine, help_channels)

    # An expert session they organised and sat on; a question deferred by them, one taken from them.
    _step(engine, lambda s: sessions.designate(s, team_id=LONDON, channel_id=SESSIONS_CHANNEL, user_id=LEAVER))
    start = T0 + timedelta(hours=1)
    info = _step(
        engine,
        lambda s: sessions.schedule(
            s,
            team_id=LONDON,
            organiser_id=LEAVER,
            channel_id=SESSIONS_CHANNEL,
            topic="Kubernetes tips",
            experts=[LEAVER, ALICE],
            starts_at=start,
            is_admin=True,
            now=T0,
        ),
    )
    ids["session"] = info.id
    _step(engine, lambda s: sessions.advance(s, team_id=LONDON, session_id=info.id, now=start))
    asked = []
    for ts, who, text in (("600.1", BOB, "How do I size node pools?"), ("600.2", CAROL, "Spot instances?")):
        recorded = _step(
            engine,
            lambda s, ts=ts, who=who, text=text: sessions.record_question(
                s,
                team_id=LONDON,
                channel_id=SESSIONS_CHANNEL,
                message_ts=ts,
                user_id=who,
                text=text,
                at=start + timedelta(minutes=5),
            ),
        )
        asked.append(recorded[0])
    ids["deferred"], ids["taken"] = asked
    end = start + timedelta(hours=1)
    _step(engine, lambda s: sessions.advance(s, team_id=LONDON, session_id=info.id, now=end))
    for question_id in asked:
        _step(
            engine,
            lambda s, q=question_id: sessions.defer(
                s,
                team_id=LONDON,
                question_id=q,
                expert_id=LEAVER,
                due_date=date(2026, 12, 9),
                tz_name="Europe/London",
                now=end,
            ),
        )
    _step(
        engine,
        lambda s: sessions.take_over(
            s, team_id=LONDON, question_id=ids["taken"], expert_id=ALICE, from_expert_id=LEAVER
        ),
    )

    # The Mentor Center: they mentor Alice, are mentored by Bob, and were just chosen by Carol.
    topics = {}
    for name, by in (("Leadership", ADMIN), ("Hiring", LEAVER)):
        topic, _ = _step(
            engine, lambda s, n=name, b=by: mentoring.add_topic(s, team_id=LONDON, raw=n, user_id=b, curated=b == ADMIN)
        )
        topics[name] = topic.id
    for team, user in ((LONDON, LEAVER), (LONDON, ALICE), (SINGAPORE, BOB), (LONDON, CAROL)):
        _step(engine, lambda s, t=team, u=user: _profile(s, t, u))
    _step(
        engine,
        lambda s: mentoring.volunteer(
            s,
            team_id=LONDON,
            user_id=LEAVER,
            topic_ids=[topics["Leadership"]],
            capacity=2,
            note=f"Ex-lead; <@{ALICE}> can vouch.",
            now=T0,
        ),
    )
    bob_topic = _step(
        engine, lambda s: mentoring.add_topic(s, team_id=SINGAPORE, raw="Hiring", user_id=ADMIN, curated=True)
    )[0].id
    _step(
        engine,
        lambda s: mentoring.volunteer(
            s, team_id=SINGAPORE, user_id=BOB, topic_ids=[bob_topic], capacity=1, note=None, now=T0
        ),
    )

    def matched(protege, team, topic_id, mentor, goal, accept=True):
        asked = _step(
            engine,
            lambda s: mentoring.ask_for_mentor(
                s, team_id=team, protege_id=protege, topic_id=topic_id, goal=goal, unlisted_ok=True, now=T0
            ),
        )
        chosen = _step(
            engine,
            lambda s: mentoring.choose(
                s, team_id=team, request_id=asked.request_id, protege_id=protege, mentor_id=mentor, now=T0
            ),
        )
        if accept:
            _step(
                engine,
                lambda s: mentoring.answer(
                    s, team_id=team, mentorship_id=chosen.mentorship_id, mentor_id=mentor, accept=True, now=T0
                ),
            )
        return asked.request_id, chosen.mentorship_id

    ids["mentoring_alice"] = matched(ALICE, LONDON, topics["Leadership"], LEAVER, "Lead my first team")[1]
    ids["mentored_by_bob"] = matched(LEAVER, LONDON, topics["Hiring"], BOB, f"Hire well; <@{CAROL}> said ask")[1]
    ids["carol_request"], ids["carol_proposal"] = matched(
        CAROL, LONDON, topics["Leadership"], LEAVER, "Grow as a lead", accept=False
    )
    _step(
        engine,
        lambda s: mentoring.check_in(
            s, team_id=LONDON, mentorship_id=ids["mentoring_alice"], user_id=LEAVER, met="yes", now=T0
        ),
    )
    _step(
        engine,
        lambda s: mentoring.check_in(
            s, team_id=LONDON, mentorship_id=ids["mentoring_alice"], user_id=ALICE, met="yes", now=T0
        ),
    )
    _step(
        engine,
        lambda s: mentoring.create_call(
            s,
            team_id=LONDON,
            topic_id=topics["Leadership"],
            goals="New leads need mentors",
            weeks=12,
            hours_per_month=2,
            channel_id=QA,
            created_by=LEAVER,
            request_key="call-1",
            now=T0,
        ),
    )

    # The scoreboard thanked them; they chose where it goes.
    def scoreboard_rows(s):
        s.add(ScoreboardSettings(team_id=LONDON, channel_id=QA, updated_by=LEAVER))
        figures = {"helpers": [{"user_id": LEAVER, "accepted": 2}, {"user_id": ALICE, "accepted": 1}]}
        s.add(
            ScoreboardWeek(team_id=LONDON, week_end=T0, week_start=T0 - timedelta(days=7), figures=json.dumps(figures))
        )

    _step(engine, scoreboard_rows)

    # The outbox: their Home, a DM to them, their own message not applied yet, a delivered row,
    # and a message to Alice that names them.
    def outbox_rows(s):
        home.queue_refresh(s, LONDON, LEAVER)
        outbox.enqueue(s, team_id=LONDON, dedupe_key="dm:1", kind="mentor.ended", payload={"user_id": LEAVER})
        outbox.enqueue(
            s,
            team_id=LONDON,
            dedupe_key="event:Ev1",
            kind="work.message",
            payload={"event": {"user": LEAVER, "text": "my reply", "ts": "700.1"}},
        )
        outbox.enqueue(s, team_id=SINGAPORE, dedupe_key=f"home:{LEAVER}:old", kind="home.refresh", payload={})
        s.exec(select(OutboxMessage))  # flush
        outbox.enqueue(
            s,
            team_id=LONDON,
            dedupe_key="to-alice",
            kind="mentor.ended",
            payload={"user_id": ALICE, "by": LEAVER, "note": f"<@{LEAVER}> ended it"},
        )

    _step(engine, outbox_rows)
    with engine.begin() as conn:
        conn.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.dedupe_key == f"home:{LEAVER}:old")
            .values(status="sent", sent_at=T0)
        )
        # They installed Knowhow in London (slack-sdk's installation store).
        installations = MetaData()
        installations.reflect(conn, only=["slack_installations"])
        conn.execute(
            insert(installations.tables["slack_installations"]).values(
                client_id="111.222",
                app_id="A0KNOWHOW",
                enterprise_id=ORG,
                team_id=LONDON,
                user_id=LEAVER,
                is_enterprise_install=False,
                installed_at=T0.replace(tzinfo=None),
            )
        )

    # Another organisation: a row with the same id is not theirs to touch.
    ids["elsewhere"] = _posted(engine, ELSEWHERE, LEAVER, "A question in another organisation?", "900.1")
    return ids


def rows_naming(engine, user_id: str) -> list[tuple[str, str, dict]]:
    """(table, column, row) of every row of every table in the database with `user_id` anywhere
    in it, read from the database's own catalogue (the FTS and installation tables too)."""
    found = []
    metadata = MetaData()
    with engine.connect() as conn:
        names = sa_inspect(conn).get_table_names()
        if conn.dialect.name == "sqlite":
            names = [n for n in names if not n.startswith("sqlite_")]
        metadata.reflect(conn, only=names)
        for table in metadata.sorted_tables:
            for column in table.c:
                text = func.lower(cast(column, Text if conn.dialect.name == "postgresql" else String))
                for row in conn.execute(select(table).where(text.contains(user_id.lower()))).mappings():
                    found.append((table.name, column.name, dict(row)))
    return found


def _in_another_organisation(row: dict) -> bool:
    return row.get("team_id") == ELSEWHERE or row.get("rowid") is not None


def test_forgetting_leaves_no_row_naming_them_and_keeps_the_knowledge(engine):
    ids = populate(engine)
    before = {table for table, _, _ in rows_naming(engine, LEAVER)}
    # The person is in every part of Knowhow before.
    assert {
        "question",
        "answer",
        "expertise",
        "helper_preference",
        "help_channel",
        "help_thread",
        "invitation",
        "designated_channel",
        "expert_session",
        "session_expert",
        "deferral",
        "mentor_profile",
        "mentoring_topic",
        "volunteer",
        "volunteer_topic",
        "mentor_request",
        "mentor_candidate",
        "mentorship",
        "mentor_call",
        "scoreboard_settings",
        "scoreboard_week",
        "outbox",
        "workspace",
        "slack_installations",
    } <= before

    with session_scope(engine) as s:
        held = erasure.about(s, team_id=SINGAPORE, user_id=LEAVER, now=T0)
    assert held["workspaces"][0] == SINGAPORE and set(held["workspaces"]) == {LONDON, SINGAPORE}
    assert before <= set(held["tables"])
    assert all(row.get("team_id") != ELSEWHERE for rows in held["tables"].values() for row in rows)
    json.dumps(held, default=str)  # it can be written out

    # Slack said so in Singapore: the whole Grid organisation forgets them.
    with session_scope(engine) as s:
        forgotten = erasure.forget(s, team_id=SINGAPORE, user_id=LEAVER, now=T0 + timedelta(days=2))
    fact = forgotten.fact()
    assert LEAVER not in fact and "Kubernetes" not in fact and "2 workspaces" in fact

    left = [(table, column) for table, column, row in rows_naming(engine, LEAVER) if row.get("team_id") != ELSEWHERE]
    assert left == []
    assert [table for table, _, _ in rows_naming(engine, LEAVER)] == ["question"]  # the other organisation's

    with session_scope(engine) as s:
        questions = {q.id: q for q in s.exec(select(Question)).scalars()}
        answers = list(s.exec(select(Answer)).scalars())
        # Their posted questions and their answers stay, by a former member.
        assert questions[ids["theirs"]].asker_id == FORMER_MEMBER
        assert questions[ids["anonymous"]].asker_id == FORMER_MEMBER and questions[ids["anonymous"]].anonymous
        assert ids["held"] not in questions  # never posted: theirs alone
        assert questions[ids["elsewhere"]].asker_id == LEAVER  # another organisation's
        theirs = {a.question_id: a for a in answers if a.author_id == FORMER_MEMBER}
        assert set(theirs) == {ids["answered"], ids["singapore"]}
        assert theirs[ids["answered"]].accepted_at is not None and theirs[ids["answered"]].accepted_by == ALICE
        assert [a.accepted_by for a in answers if a.question_id == ids["theirs"]] == [FORMER_MEMBER]
        assert questions[ids["mentions"]].text == "Is a former member the person to ask about billing?"
        assert "Ask a former member or finance." in [a.text for a in answers]
        assert not [a for a in answers if a.message_ts == "300.2"]  # the answer they had deleted
        # Still found by search, in both workspaces.
        hits = search(s, reader=reader(s, team_id=LONDON), terms=["drain", "node"], limit=5)
        assert ids["theirs"] in [h.question_id for h in hits]
        # Sessions: their deferral is gone (the question is open again), Alice keeps hers.
        deferrals = {d.question_id: d for d in s.exec(select(Deferral)).scalars()}
        assert ids["deferred"] not in deferrals
        assert deferrals[ids["taken"]].expert_id == ALICE and deferrals[ids["taken"]].taken_from is None
        # Mentoring: Alice keeps her mentorship's record, stopped; Bob his; Carol is offered others.
        ships = {m.id: m for m in s.exec(select(Mentorship)).scalars()}
        alice = ships[ids["mentoring_alice"]]
        assert (alice.mentor_id, alice.state, alice.mentor_met, alice.protege_met) == (
            FORMER_MEMBER,
            "stopped",
            None,
            "yes",
        )
        bob = ships[ids["mentored_by_bob"]]
        assert (bob.mentor_id, bob.protege_id, bob.state) == (BOB, FORMER_MEMBER, "stopped")
        request = s.exec(select(MentorRequest).where(MentorRequest.id == bob.request_id)).scalar_one()
        assert request.goal == "" and request.protege_id == FORMER_MEMBER
        carol = s.exec(select(MentorRequest).where(MentorRequest.id == ids["carol_request"])).scalar_one()
        assert carol.state in ("choosing", "waiting")
        assert ships[ids["carol_proposal"]].state == "withdrawn"
        # What was still to be said to Alice goes out, naming nobody.
        [to_alice] = s.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == "to-alice")).scalars()
        assert json.loads(to_alice.payload) == {
            "user_id": ALICE,
            "by": FORMER_MEMBER,
            "note": "a former member ended it",
        }
        # The weekly post's snapshot no longer thanks them.
        [week] = s.exec(select(ScoreboardWeek)).scalars()
        assert json.loads(week.figures)["helpers"] == [{"user_id": ALICE, "accepted": 1}]
    with session_scope(engine) as s:
        # Help channels: the deflection still counts, asked by a former member; their other
        # message's record and their "don't suggest to me" are gone; Alice's are hers still.
        threads = {t.thread_ts: t for t in s.exec(select(HelpThread)).scalars()}
        assert set(threads) == {"600.2", "600.3"}
        assert (threads["600.2"].asker_id, threads["600.2"].answered_by_id) == (FORMER_MEMBER, ids["theirs"])
        assert threads["600.3"].asker_id == ALICE
        help_week = scoreboard.help_channels(
            s, team_id=LONDON, start=T0 - timedelta(days=1), end=T0 + timedelta(days=1)
        )
        assert help_week["deflected"] == 2
        assert s.exec(select(HelperPreference).where(HelperPreference.help_suggestions_off.is_(True))).all() == []
        assert s.exec(select(HelpChannel.added_by)).scalars().all() == [FORMER_MEMBER]
        # The lesson they saved stays, credited to the thread's authors, without its saver.
        lesson = questions[ids["lesson"]]
        assert (lesson.asker_id, lesson.saved_by, lesson.text) == (
            ALICE,
            FORMER_MEMBER,
            "Where are the on-call runbooks?",
        )
        assert [(a.author_id, a.accepted_by) for a in answers if a.question_id == ids["lesson"]] == [
            (BOB, FORMER_MEMBER)
        ]
    # The posts that named them are updated in Slack: theirs (not the anonymous one), and the
    # question whose accepted answer is theirs.
    assert sorted(q for _, q, _ in forgotten.posts) == sorted([ids["theirs"], ids["answered"]])

    # Again: nothing more to do, and nothing held about them.
    with session_scope(engine) as s:
        again = erasure.forget(s, team_id=LONDON, user_id=LEAVER, now=T0 + timedelta(days=3))
        assert sum(again.erased.values()) + sum(again.kept.values()) == 0, again.fact()
        assert erasure.about(s, team_id=LONDON, user_id=LEAVER, now=T0)["tables"] == {}


def test_only_a_user_id_is_forgotten(engine):
    with session_scope(engine) as s, pytest.raises(erasure.NotAPerson):
        erasure.forget(s, team_id=LONDON, user_id="%", now=T0)
    with session_scope(engine) as s, pytest.raises(erasure.NotAPerson):
        erasure.forget(s, team_id=LONDON, user_id=FORMER_MEMBER, now=T0)


def test_a_dead_letter_addressed_to_them_is_deleted(engine):
    """A message that failed for good keeps whom Slack refused it for (`outbox.failed_to`, shown to
    admins); when that person is forgotten it goes, and one to someone else stays."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        workspaces.seen(session, team_id="T0AAAAAAAA")
        for key, to in (("session:1:reminder", "U0GONE0001,U0STAYS001"), ("session:2:reminder", "U0STAYS001")):
            outbox.enqueue(session, team_id="T0AAAAAAAA", dedupe_key=key, kind="session.reminder", payload={})
            row = outbox.get(session, team_id="T0AAAAAAAA", dedupe_key=key)
            row.status, row.failed_to, row.failed_at, row.last_error = "failed", to, now, "user_not_found"
            session.add(row)
    with session_scope(engine) as session:
        erasure.forget(session, team_id="T0AAAAAAAA", user_id="U0GONE0001", now=now)
    with session_scope(engine) as session:
        left = session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.failed_to)).all()
    assert [tuple(row) for row in left] == [("session:2:reminder", "U0STAYS001")]
