"""Storage on real databases: the migrated schema, workspace scoping, races, the outbox, UTC."""

from __future__ import annotations

import functools
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlmodel import SQLModel

from storage import migrate, outbox, qa
from storage.db import make_engine, session_scope
from storage.models import Question

TEAM = "T0FAKETEAM"


def test_migrations_build_exactly_the_models_schema(engine):
    """The models' tables, and those of slack-sdk's installation and state stores as the Slack
    edge describes them (bot/tokenstore.py; no model maps them)."""
    from bot.tokenstore import METADATA as SLACK_STORES

    expected = MetaData()
    for metadata in (SQLModel.metadata, SLACK_STORES):
        for table in metadata.tables.values():
            table.to_metadata(expected)
    assert set(SLACK_STORES.tables) == migrate.SLACK_STORE_TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "include_object": functools.partial(migrate.include_object, slack_stores=True)},
        )
        diff = compare_metadata(context, expected)
    assert diff == []
    assert migrate.pending(engine) == []


def test_a_new_database_has_every_migration_pending(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    todo = migrate.pending(engine)
    assert todo and todo[0] == "0001"
    migrate.upgrade(engine)
    assert migrate.pending(engine) == []
    migrate.upgrade(engine)  # a second run is a no-op
    assert {"question", "answer", "outbox"} <= set(inspect(engine).get_table_names())


def test_sqlite_connections_are_set_up_for_threads(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 2000}


def test_every_table_has_a_team_id():
    for table in SQLModel.metadata.sorted_tables:
        assert "team_id" in table.columns, table.name
        assert not table.columns["team_id"].nullable, table.name


def _question(session, team=TEAM, request_id="r1", ts=None):
    question, _ = qa.create_question(
        session,
        team_id=team,
        asker_id="U1",
        text="q?",
        channel_id="C1",
        asked_in_channel_id=None,
        request_id=request_id,
    )
    if ts:
        question.message_ts = ts
        session.add(question)
    return question


def test_queries_are_scoped_to_their_workspace(engine):
    with session_scope(engine) as s:
        mine = _question(s, ts="1.1")
    with session_scope(engine) as s:
        assert qa.get_question(s, team_id="T0OTHER", question_id=mine.id) is None
        assert qa.find_question_by_post(s, team_id="T0OTHER", channel_id="C1", message_ts="1.1") is None
        assert qa.find_question_by_post(s, team_id=TEAM, channel_id="C1", message_ts="1.1").id == mine.id
        # The same request id in another workspace is another question.
        other, created = qa.create_question(
            s, team_id="T0OTHER", asker_id="U1", text="q?", channel_id="C1", asked_in_channel_id=None, request_id="r1"
        )
    assert created and other.id != mine.id


def test_racing_inserts_of_one_answer_store_it_once(engine):
    with session_scope(engine) as s:
        question = _question(s, ts="1.1")
    results, barrier = [], threading.Barrier(8)

    def deliver():
        barrier.wait()
        with session_scope(engine) as s:
            results.append(
                qa.add_answer(
                    s,
                    team_id=TEAM,
                    question_id=question.id,
                    message_ts="2.2",
                    author_id="U2",
                    text="a",
                    answered_at=datetime.now(UTC),
                )
            )

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    with session_scope(engine) as s:
        assert len(qa.list_answers(s, team_id=TEAM, question_id=question.id)) == 1


def test_datetimes_come_back_as_the_same_utc_instant(engine):
    paris = timezone(timedelta(hours=2))
    moment = datetime(2026, 6, 1, 9, 30, 15, 123456, tzinfo=paris)
    with session_scope(engine) as s:
        question = _question(s)
        question.posted_at = moment
        s.add(question)
    with session_scope(engine) as s:
        stored = qa.get_question(s, team_id=TEAM, question_id=question.id).posted_at
    assert stored == moment and stored.tzinfo == UTC


def test_naive_datetimes_are_refused(engine):
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as s:
        s.add(Question(team_id=TEAM, asker_id="U1", text="q", channel_id="C1", created_at=datetime(2026, 1, 1)))


# -- the outbox -------------------------------------------------------------------------------


def _enqueue(s, key="k1", **kw):
    return outbox.enqueue(s, team_id=TEAM, dedupe_key=key, kind="test.kind", payload={"n": 1, "text": "héllo 👋"}, **kw)


def test_a_message_is_queued_once_per_record(engine):
    with session_scope(engine) as s:
        assert _enqueue(s)
        assert not _enqueue(s)
    with session_scope(engine) as s:
        [item] = outbox.claim_due(s, now=datetime.now(UTC), lease=timedelta(seconds=30))
    assert (item.kind, item.payload, item.attempts) == ("test.kind", {"n": 1, "text": "héllo 👋"}, 1)


def test_two_workers_never_claim_the_same_message(engine):
    with session_scope(engine) as s:
        for n in range(30):
            _enqueue(s, key=f"k{n}")
    claims: list[list[int]] = []
    barrier = threading.Barrier(4)

    def work():
        barrier.wait()
        mine = []
        while True:
            with session_scope(engine) as s:
                items = outbox.claim_due(s, now=datetime.now(UTC), lease=timedelta(seconds=30), limit=3)
            if not items:
                break
            mine += [i.id for i in items]
        claims.append(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for c in claims for i in c]
    assert len(everything) == 30 and len(set(everything)) == 30


def test_a_claim_whose_lease_ran_out_is_claimed_again(engine):
    with session_scope(engine) as s:
        _enqueue(s)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        [first] = outbox.claim_due(s, now=now, lease=timedelta(seconds=30))
    with session_scope(engine) as s:
        assert outbox.claim_due(s, now=now + timedelta(seconds=10), lease=timedelta(seconds=30)) == []
        [again] = outbox.claim_due(s, now=now + timedelta(seconds=31), lease=timedelta(seconds=30))
    assert again.id == first.id and again.attempts == 2


def test_a_holder_renews_only_its_own_claims_and_a_dead_holders_rows_are_due_at_once(engine):
    with session_scope(engine) as s:
        for n in range(3):
            _enqueue(s, key=f"k{n}")
    now = datetime.now(UTC)
    lease = timedelta(seconds=15)
    with session_scope(engine) as s:
        mine = outbox.claim_due(s, now=now, lease=lease, limit=2, claimant="me")
        [theirs] = outbox.claim_due(s, now=now, lease=lease, claimant="them")
        assert sorted(outbox.claimants(s)) == ["me", "them"]
    later = now + timedelta(seconds=10)
    with session_scope(engine) as s:
        # Its own rows only, and not theirs even when named.
        assert outbox.renew(s, claimant="me", ids=[i.id for i in mine] + [theirs.id], until=later + lease) == 2
    with session_scope(engine) as s:
        # Past the first lease: my renewed rows are still mine, theirs is anyone's.
        [again] = outbox.claim_due(s, now=now + timedelta(seconds=16), lease=lease, claimant="other")
    assert again.id == theirs.id and again.attempts == 2
    with session_scope(engine) as s:
        assert outbox.renew(s, claimant="them", ids=[theirs.id], until=later + lease) == 0  # taken over

    with session_scope(engine) as s:  # "me" is dead: its rows are due now, claimed by nobody
        assert outbox.free_claims_of(s, claimants=["me"], now=later) == 2
        assert outbox.claimants(s) == ["other"]
        assert outbox.renew(s, claimant="me", ids=[i.id for i in mine], until=later + lease) == 0
        freed = outbox.claim_due(s, now=later, lease=lease, claimant="next")
    assert sorted(i.id for i in freed) == sorted(i.id for i in mine)
    # The dead holder could not finish them any more (the claim's attempts moved on).
    with session_scope(engine) as s:
        assert not outbox.mark_sent(s, item=mine[0], now=later)
        assert outbox.mark_sent(s, item=next(i for i in freed if i.id == mine[0].id), now=later)
        assert outbox.free_claims_of(s, claimants=[], now=later) == 0


def test_retry_later_waits_and_sent_messages_stay_sent(engine):
    with session_scope(engine) as s:
        _enqueue(s)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        [item] = outbox.claim_due(s, now=now, lease=timedelta(seconds=30))
        outbox.retry_later(s, item=item, at=now + timedelta(seconds=20), error="429")
    with session_scope(engine) as s:
        assert outbox.next_due_at(s) == now + timedelta(seconds=20)
        assert outbox.claim_due(s, now=now + timedelta(seconds=19), lease=timedelta(seconds=30)) == []
        [item] = outbox.claim_due(s, now=now + timedelta(seconds=20), lease=timedelta(seconds=30))
        outbox.mark_sent(s, item=item, now=now)
    with session_scope(engine) as s:
        assert outbox.claim_due(s, now=now + timedelta(days=1), lease=timedelta(seconds=30)) == []
        assert outbox.get(s, team_id=TEAM, dedupe_key="k1").status == "sent"
        assert outbox.purge_sent(s, before=now - timedelta(seconds=1)) == 0
        assert outbox.purge_sent(s, before=now + timedelta(seconds=1)) == 1


@pytest.mark.postgres
def test_migrations_wait_for_a_replica_already_migrating(request):
    """Replicas starting together must not run the migrations at once: each takes a PostgreSQL
    advisory lock first. Hold that lock here and `knowhow migrate` must wait for it."""
    import os
    import subprocess
    import sys
    import time
    import uuid
    from urllib.parse import quote

    from sqlalchemy import text

    from storage.migrate import MIGRATION_LOCK_KEY

    base = request.getfixturevalue("pg_url").split("?", 1)[0]
    schema = f"knowhow_race_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}?options={quote(f'-csearch_path={schema}')}"
    try:
        with admin.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "migrate"],
                env={**os.environ, "DATABASE_URL": url},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(3)
            assert proc.poll() is None, "migrated while another replica held the lock"
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            holder.commit()
            assert proc.wait(timeout=60) == 0, proc.stderr.read()
        engine = make_engine(url)
        assert migrate.pending(engine) == []
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_search_migration_goes_down_and_up_without_losing_answers(engine):
    from sqlalchemy import text

    with session_scope(engine) as s:
        question = _question(s, ts="1.1")
        qa.add_answer(
            s,
            team_id=TEAM,
            question_id=question.id,
            message_ts="2.2",
            author_id="U2",
            text="a",
            answered_at=datetime.now(UTC),
        )
    migrate.downgrade(engine, "0001")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM answer")).scalar() == 1
        assert "permalink" not in {c["name"] for c in inspect(conn).get_columns("question")}
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        assert len(qa.list_answers(s, team_id=TEAM, question_id=question.id)) == 1


def test_the_organisation_pools_migration_keeps_every_row_in_its_workspace(engine):
    """Migration 0011: mentorships made so far are within one workspace (the mentor's is the
    protégé's), and the conversations questions were posted in are queued to be asked about."""
    import importlib
    import json

    from sqlalchemy import text

    pools = importlib.import_module("storage.migrations.versions.0011_organisation_pools")
    migrate.downgrade(engine, pools.down_revision)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO question (id, team_id, asker_id, text, channel_id, status, created_at, anonymous, "
                "shown_state, post_version) VALUES (1, :t, 'U1', 'q', 'C0QA', 'posted', :now, false, 'open', 0), "
                "(2, :t, 'U1', 'q', 'C0QA', 'posted', :now, false, 'open', 0), "
                "(3, :t, 'U1', 'imported', '', 'posted', :now, false, 'open', 0), "
                "(4, :t, 'U1', 'held', 'C0HELD', 'held', :now, false, 'open', 0)"
            ),
            {"t": TEAM, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO topic (id, team_id, key, name, created_at) VALUES (1, :t, 'leadership', 'Leadership', :now)"
            ),
            {"t": TEAM, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO mentor_request (id, team_id, protege_id, topic_id, goal, location_pref, role_pref, state, "
                "round, created_at, updated_at) VALUES (1, :t, 'UP', 1, 'g', 'any', 'any', 'matched', 1, :now, :now)"
            ),
            {"t": TEAM, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO mentorship (id, team_id, request_id, mentor_id, protege_id, topic_id, state, weeks, "
                "proposed_at, answer_by) VALUES (1, :t, 1, 'UM', 'UP', 1, 'active', 12, :now, :now)"
            ),
            {"t": TEAM, "now": now},
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT mentor_team_id FROM mentorship")).scalar() == TEAM
        rows = conn.execute(text("SELECT team_id, dedupe_key, kind, payload, status FROM outbox")).all()
    assert [(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows] == [
        (TEAM, "channel-privacy:C0QA", "ask.channel_privacy", {"channel_id": "C0QA"}, "pending")
    ]
