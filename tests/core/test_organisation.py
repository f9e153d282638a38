"""An organisation is one pool (core, storage and notify, without Slack payloads): topics, the
knowledge base, the Mentor Center, the scoreboard and the App Home span every workspace of an
Enterprise Grid organisation, questions of private conversations stay there, and two
organisations never see each other's rows, even with the same topic keys and user ids.

Two organisations: PARIS and SINGAPORE are workspaces of the Grid organisation ACME; OTHER is a
workspace of another Grid organisation (GLOBEX), whose people happen to have the same user ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core import asking, export, home, lessons, mentoring, scoreboard, topics
from core.clock import utcnow
from core.mentoring import AnswerOutcome, ChooseOutcome, SlackPerson
from core.search import search_questions
from notify import kinds
from notify import mentoring as notify
from storage import channels, workspaces
from storage import scoreboard as figures
from storage.db import session_scope
from storage.models import OutboxMessage

ACME, GLOBEX = "E0ACME0001", "E0GLOBEX01"
PARIS, SINGAPORE, OTHER = "T0PARIS001", "T0SINGAP01", "T0GLOBEX01"
QA = {PARIS: "C0PARISQA1", SINGAPORE: "C0SINGQA01", OTHER: "C0PARISQA1"}  # OTHER: the same channel id, elsewhere
PRIVATE = "G0MANAGERS"  # a private channel in Paris
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LONDON = SlackPerson(title="Engineering Manager", tz="Europe/London", tz_offset=0)
NEW_MANAGER = "W0NEWMGR01"  # in Paris
OLD_MANAGER = "W0OLDMGR01"  # in Singapore


@pytest.fixture
def org(engine):
    with session_scope(engine) as s:
        workspaces.seen(s, team_id=PARIS, enterprise_id=ACME, name="Paris")
        workspaces.seen(s, team_id=SINGAPORE, enterprise_id=ACME, name="Singapore")
        workspaces.seen(s, team_id=OTHER, enterprise_id=GLOBEX, name="Globex")
        for team, channel in QA.items():
            channels.record(s, team_id=team, channel_id=channel, private=False)
        channels.record(s, team_id=PARIS, channel_id=PRIVATE, private=True)


# -- helpers ---------------------------------------------------------------------------------------
_ts = iter(range(1_700_000_000, 1_800_000_000, 100))


def _question(engine, team, text, *, answer=None, channel=None, asker="W0ASKER001"):
    """A posted question (in `channel`, the workspace's Q&A channel by default), with an answer."""
    channel = channel or QA[team]
    ts = f"{next(_ts)}.000100"
    with session_scope(engine) as s:
        asked = asking.ask_question(
            s, team_id=team, asker_id=asker, text=text, qa_channel_id=channel, request_id=f"r{ts}"
        )
        asking.mark_posted(s, team_id=team, question_id=asked.question_id, channel_id=channel, message_ts=ts)
        asking.record_permalink(
            s,
            team_id=team,
            question_id=asked.question_id,
            permalink=f"https://{team.lower()}.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        )
        if answer:
            answered_ts = f"{float(ts) + 5:.6f}"
            asking.record_reply(
                s,
                team_id=team,
                channel_id=channel,
                thread_ts=ts,
                message_ts=answered_ts,
                author_id="W0HELPER01",
                text=answer,
                at=datetime.fromtimestamp(float(answered_ts), UTC),
            )
    return asked.question_id


def _lessons(engine, team, text, channel=None):
    with session_scope(engine) as s:
        return lessons.lessons_for(s, team_id=team, text=text, channel_id=channel)


def _search(engine, team, text, channel=None):
    with session_scope(engine) as s:
        return search_questions(s, team_id=team, text=text, channel_id=channel).matches


VPN = "How do I set up the VPN on a new laptop?"
VPN_ANSWER = "Install the client from the IT portal, then sign in with SSO."


# -- topics ----------------------------------------------------------------------------------------


def test_a_topic_new_to_a_workspace_takes_the_organisations_key_and_name(engine, org):
    with session_scope(engine) as s:
        paris = topics.resolve(s, team_id=PARIS, raw="Runbook")
        singapore = topics.resolve(s, team_id=SINGAPORE, raw="#runbooks ")
        globex = topics.resolve(s, team_id=OTHER, raw="Runbooks")
        assert (singapore.team_id, singapore.key, singapore.name) == (SINGAPORE, "runbook", "Runbook")
        assert singapore.id != paris.id  # each workspace keeps its own row
        assert (globex.key, globex.name) == ("runbooks", "Runbooks")  # another organisation's is not adopted
        assert topics.pooled(s, team_id=SINGAPORE, topic_ids=[singapore.id]) == sorted([paris.id, singapore.id])
        assert topics.pooled(s, team_id=OTHER, topic_ids=[globex.id]) == [globex.id]
        topics.resolve(s, team_id=PARIS, raw="Kubernetes")
        topics.resolve(s, team_id=OTHER, raw="Kanban")
        # The picker offers the organisation's topics, each once, the workspace's own row first.
        offered = topics.suggest(s, team_id=SINGAPORE, typed="")
        assert sorted((t.name, t.team_id) for t in offered) == [("Kubernetes", PARIS), ("Runbook", SINGAPORE)]
        assert topics.find(s, team_id=SINGAPORE, raw="kubernetes") is None
        assert topics.find(s, team_id=SINGAPORE, raw="kubernetes", organisation=True).team_id == PARIS
        assert [t.name for t in topics.suggest(s, team_id=OTHER, typed="")] == ["Kanban", "Runbooks"]


# -- the knowledge base ----------------------------------------------------------------------------


def test_an_answer_from_paris_is_suggested_and_found_in_singapore_with_its_own_link(engine, org):
    earlier = _question(engine, PARIS, VPN, answer=VPN_ANSWER)
    [lesson] = _lessons(engine, SINGAPORE, "VPN setup on my new laptop?")
    assert (lesson.question_id, lesson.team_id, lesson.answer) == (earlier, PARIS, VPN_ANSWER)
    assert lesson.permalink.startswith(f"https://{PARIS.lower()}.slack.com/archives/{QA[PARIS]}/")
    [match] = _search(engine, SINGAPORE, "vpn laptop")
    assert (match.question_id, match.team_id, match.answer) == (earlier, PARIS, VPN_ANSWER)
    assert match.permalink == lesson.permalink
    # "This answers it": a question of another workspace of the organisation can settle a held one.
    with session_scope(engine) as s:
        held = asking.ask_question(
            s,
            team_id=SINGAPORE,
            asker_id="W0ASKER002",
            text="VPN setup on my new laptop?",
            qa_channel_id=QA[SINGAPORE],
            suggest=True,
        )
        assert held.held
        assert (
            asking.decide_held(
                s, team_id=SINGAPORE, question_id=held.question_id, user_id="W0ASKER002", answered_by=earlier
            )
            is asking.HeldChoice.DEFLECTED
        )


def test_another_organisation_never_sees_the_knowledge_base(engine, org):
    earlier = _question(engine, PARIS, VPN, answer=VPN_ANSWER)
    # The same text, the same channel id and the same asker id in another organisation: nothing.
    assert _lessons(engine, OTHER, VPN, channel=QA[OTHER]) == []
    assert _search(engine, OTHER, "vpn laptop", channel=QA[OTHER]) == []
    with session_scope(engine) as s:
        held = asking.ask_question(
            s, team_id=OTHER, asker_id="W0ASKER001", text="Anything", qa_channel_id=QA[OTHER], request_id="held"
        )
        asking.qa.change_status(s, team_id=OTHER, question_id=held.question_id, old="pending", status="held")
    with session_scope(engine) as s:
        # A forged "This answers it" naming another organisation's question is refused.
        assert (
            asking.decide_held(
                s, team_id=OTHER, question_id=held.question_id, user_id="W0ASKER001", answered_by=earlier
            )
            is asking.HeldChoice.UNKNOWN_ANSWER
        )
    # And the other way round.
    theirs = _question(engine, OTHER, "Where is the VPN client for laptops?", answer="On the Globex intranet.")
    assert theirs not in {m.question_id for m in _search(engine, PARIS, "vpn laptops")}
    assert theirs not in {m.question_id for m in _search(engine, SINGAPORE, "vpn laptops")}


def test_a_question_of_a_private_channel_is_only_found_from_that_channel(engine, org):
    secret = _question(
        engine, PARIS, "How do we handle a VPN outage during the reorg?", answer="Call the on-call lead."
    )
    private = _question(engine, PARIS, VPN, answer=VPN_ANSWER, channel=PRIVATE)
    unknown = _question(engine, PARIS, "VPN keeps dropping on a new laptop", answer="Update it.", channel="C0NEVERSEEN")
    seen_from = {
        "nowhere": {m.question_id for m in _search(engine, PARIS, "vpn laptop")},
        "the Q&A channel": {m.question_id for m in _search(engine, PARIS, "vpn laptop", channel=QA[PARIS])},
        "Singapore": {m.question_id for m in _search(engine, SINGAPORE, "vpn laptop", channel=QA[SINGAPORE])},
        "the private channel": {m.question_id for m in _search(engine, PARIS, "vpn laptop", channel=PRIVATE)},
    }
    assert private not in seen_from["nowhere"] | seen_from["the Q&A channel"] | seen_from["Singapore"]
    assert private in seen_from["the private channel"]
    # A conversation Knowhow has not learnt about counts as private; public ones are found anywhere.
    assert unknown not in seen_from["nowhere"] | seen_from["Singapore"]
    assert secret in seen_from["nowhere"] & seen_from["Singapore"] & seen_from["the private channel"]
    # Suggestions follow the same rule, and so does "This answers it".
    assert private not in {lesson.question_id for lesson in _lessons(engine, SINGAPORE, VPN, QA[SINGAPORE])}
    assert private in {lesson.question_id for lesson in _lessons(engine, PARIS, VPN, PRIVATE)}
    with session_scope(engine) as s:
        held = asking.ask_question(
            s,
            team_id=SINGAPORE,
            asker_id="W0ASKER002",
            text="Something else entirely",
            qa_channel_id=QA[SINGAPORE],
            asked_in_channel_id=QA[SINGAPORE],
            request_id="held",
        )
        asking.qa.change_status(s, team_id=SINGAPORE, question_id=held.question_id, old="pending", status="held")
    with session_scope(engine) as s:
        assert (
            asking.decide_held(
                s, team_id=SINGAPORE, question_id=held.question_id, user_id="W0ASKER002", answered_by=private
            )
            is asking.HeldChoice.UNKNOWN_ANSWER
        )
    # Once Slack says the conversation is public, its questions are found everywhere.
    with session_scope(engine) as s:
        channels.record(s, team_id=PARIS, channel_id="C0NEVERSEEN", private=False)
    assert unknown in {m.question_id for m in _search(engine, SINGAPORE, "vpn laptop")}


def test_export_reads_the_organisation_and_leaves_private_questions_out(engine, org):
    paris = _question(engine, PARIS, VPN, answer=VPN_ANSWER)
    singapore = _question(engine, SINGAPORE, "Who approves travel?", answer="Your manager.")
    private = _question(engine, PARIS, "Reorg plans?", channel=PRIVATE)
    _question(engine, OTHER, "Globex's own question")

    def exported(team, **kw):
        with session_scope(engine) as s:
            return {(q.team_id, q.permalink) for q in export.knowledge(s, team_id=team, **kw)}

    def ids(team, **kw):
        with session_scope(engine) as s:
            return [q.id for q in export.knowledge(s, team_id=team, **kw)]

    assert ids(SINGAPORE) == [str(paris), str(singapore)]
    assert ids(SINGAPORE, workspace_only=True) == [str(singapore)]
    assert ids(PARIS, include_private=True) == [str(paris), str(singapore), str(private)]
    assert {team for team, _ in exported(PARIS)} == {PARIS, SINGAPORE}
    assert all(link.startswith(f"https://{team.lower()}.slack.com/") for team, link in exported(PARIS))
    assert len(ids(OTHER, include_private=True)) == 1


# -- the Mentor Center -----------------------------------------------------------------------------


def _listed(engine, team, name="Leadership"):
    with session_scope(engine) as s:
        info, _ = mentoring.add_topic(s, team_id=team, raw=name, user_id="W0ADMIN001", curated=True)
        return info.id


def _profile(engine, team, user, role="Engineering Manager", years=3):
    with session_scope(engine) as s:
        mentoring.ensure_profile(s, team_id=team, user_id=user, slack=LONDON, now=T0)
        mentoring.save_profile(s, team_id=team, user_id=user, role=role, location="London", years_in_role=years, now=T0)


def _volunteer(engine, team, user, topic_id, capacity=1):
    _profile(engine, team, user)
    with session_scope(engine) as s:
        done = mentoring.volunteer(
            s, team_id=team, user_id=user, topic_ids=[topic_id], capacity=capacity, note="Happy to help", now=T0
        )
        notify.after_volunteering(s, team, user, done)
        return done


def _ask(engine, team, user, topic_id):
    _profile(engine, team, user, role="Engineering Manager", years=0)
    with session_scope(engine) as s:
        done = mentoring.ask_for_mentor(
            s, team_id=team, protege_id=user, topic_id=topic_id, goal="Run my first one-to-ones", now=T0
        )
        notify.after_request(s, team, user, done)
        return done


def _outbox(engine, kind):
    with session_scope(engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()
        return [(row.team_id, row.payload) for row in rows]


def test_a_protege_in_paris_is_matched_with_a_mentor_in_singapore_each_written_to_at_home(engine, org):
    paris_topic, singapore_topic = _listed(engine, PARIS), _listed(engine, SINGAPORE, "leadership")
    asked = _ask(engine, PARIS, NEW_MANAGER, paris_topic)
    assert asked.outcome is mentoring.RequestOutcome.WAITING
    with session_scope(engine) as s:  # a call for volunteers in Paris
        call = mentoring.create_call(
            s,
            team_id=PARIS,
            topic_id=paris_topic,
            goals="Grow new managers",
            weeks=12,
            hours_per_month=2,
            channel_id="C0GENERAL1",
            created_by="W0ADMIN001",
            request_key=None,
            now=T0,
        )
    # Volunteering in Singapore offers the waiting Paris request, and tells the protégé in Paris;
    # the Paris call's counts are brought up to date, in Paris.
    volunteered = _volunteer(engine, SINGAPORE, OLD_MANAGER, singapore_topic)
    assert volunteered.rounds == [(asked.request_id, 1)]
    assert [team for team, _ in _outbox(engine, kinds.OUTBOX_MENTOR_CANDIDATES)] == [PARIS]
    assert _outbox(engine, kinds.OUTBOX_MENTOR_CALL_REFRESH) == [(PARIS, f'{{"call_id": {call}}}')]
    with session_scope(engine) as s:
        offer = mentoring.on_offer(s, team_id=PARIS, request_id=asked.request_id)
        assert [mentor for mentor, _ in offer.candidates] == [OLD_MANAGER]
        assert mentoring.demand(s, team_id=PARIS, topic_id=paris_topic).volunteers == 1
        assert mentoring.demand(s, team_id=SINGAPORE, topic_id=singapore_topic).seeking == 1
    with session_scope(engine) as s:
        chosen = mentoring.choose(
            s, team_id=PARIS, request_id=asked.request_id, protege_id=NEW_MANAGER, mentor_id=OLD_MANAGER, now=T0
        )
        assert chosen.outcome is ChooseOutcome.ASKED
        notify.after_choice(
            s,
            PARIS,
            request_id=asked.request_id,
            round_="1",
            protege_id=NEW_MANAGER,
            mentor_id=OLD_MANAGER,
            chosen=chosen,
        )
    assert _outbox(engine, kinds.OUTBOX_MENTOR_ASK)[0][0] == SINGAPORE  # asked where they volunteered
    # The mentor answers from Singapore, where the button was.
    with session_scope(engine) as s:
        done = mentoring.answer(
            s, team_id=SINGAPORE, mentorship_id=chosen.mentorship_id, mentor_id=OLD_MANAGER, accept=True, now=T0
        )
        assert done.outcome is AnswerOutcome.ACCEPTED
        notify.after_answer(s, SINGAPORE, chosen.mentorship_id, done)
    with session_scope(engine) as s:
        info = mentoring.mentorship(s, team_id=SINGAPORE, mentorship_id=chosen.mentorship_id)
        assert (info.team_id, info.mentor_team_id, info.note, info.topic) == (
            PARIS,
            SINGAPORE,
            "Happy to help",
            "Leadership",
        )
        mentor_view = mentoring.status(
            s,
            team_id=SINGAPORE,
            user_id=OLD_MANAGER,
            profile=mentoring.get_profile(s, team_id=SINGAPORE, user_id=OLD_MANAGER),
        )
        assert [m.protege_id for m in mentor_view.mentoring] == [NEW_MANAGER]
    # The introduction is opened in the protégé's workspace first.
    assert [team for team, _ in _outbox(engine, kinds.OUTBOX_MENTOR_INTRO)] == [PARIS]
    # Halfway, each is asked in their own workspace.
    with session_scope(engine) as s:
        notify.sweep(s, T0 + timedelta(weeks=7))
    assert sorted((team, payload) for team, payload in _outbox(engine, kinds.OUTBOX_MENTOR_HALFWAY)) == sorted(
        [
            (PARIS, f'{{"mentorship_id": {info.id}, "user_id": "{NEW_MANAGER}"}}'),
            (SINGAPORE, f'{{"mentorship_id": {info.id}, "user_id": "{OLD_MANAGER}"}}'),
        ]
    )
    # The mentor's one place is taken, across the organisation.
    second = _ask(engine, SINGAPORE, "W0NEWMGR02", singapore_topic)
    assert second.outcome is mentoring.RequestOutcome.WAITING


def test_another_organisation_never_meets_the_mentors_even_with_the_same_ids_and_topic(engine, org):
    acme_topic = _listed(engine, SINGAPORE)
    _volunteer(engine, SINGAPORE, OLD_MANAGER, acme_topic)
    globex_topic = _listed(engine, OTHER)  # "Leadership" there too
    asked = _ask(engine, OTHER, NEW_MANAGER, globex_topic)  # and the same user id
    assert asked.outcome is mentoring.RequestOutcome.WAITING
    with session_scope(engine) as s:
        assert mentoring.mentors_for(s, team_id=OTHER, topic_id=globex_topic) == []
        assert mentoring.demand(s, team_id=OTHER, topic_id=globex_topic).volunteers == 0
        assert mentoring.demand(s, team_id=SINGAPORE, topic_id=acme_topic).seeking == 0
        # Ids from another organisation's buttons find nothing.
        assert mentoring.request_brief(s, team_id=SINGAPORE, request_id=asked.request_id) is None
        chosen = mentoring.choose(
            s, team_id=SINGAPORE, request_id=asked.request_id, protege_id=NEW_MANAGER, mentor_id=OLD_MANAGER, now=T0
        )
        assert chosen.outcome is ChooseOutcome.STALE
    # Globex's own volunteer is matched, never Acme's.
    _volunteer(engine, OTHER, "W0GLOBEX01", globex_topic)
    with session_scope(engine) as s:
        offer = mentoring.on_offer(s, team_id=OTHER, request_id=asked.request_id)
        assert [mentor for mentor, _ in offer.candidates] == ["W0GLOBEX01"]


def test_someone_who_volunteers_in_two_workspaces_is_one_mentor(engine, org):
    paris_topic, singapore_topic = _listed(engine, PARIS), _listed(engine, SINGAPORE)
    _volunteer(engine, PARIS, OLD_MANAGER, paris_topic, capacity=2)
    _volunteer(engine, SINGAPORE, OLD_MANAGER, singapore_topic, capacity=1)
    with session_scope(engine) as s:
        [paris_view] = mentoring.mentors_for(s, team_id=PARIS, topic_id=paris_topic)
        [singapore_view] = mentoring.mentors_for(s, team_id=SINGAPORE, topic_id=singapore_topic)
    assert (paris_view.team_id, paris_view.capacity) == (PARIS, 2)  # the offer made where the protégé is
    assert (singapore_view.team_id, singapore_view.capacity) == (SINGAPORE, 1)


# -- the scoreboard and the App Home ---------------------------------------------------------------


def test_the_scoreboard_counts_the_organisation_unless_the_workspace_chose_its_own(engine, org):
    paris_topic, singapore_topic = _listed(engine, PARIS), _listed(engine, SINGAPORE)
    _ask(engine, PARIS, "W0SEEKER01", paris_topic)
    _ask(engine, PARIS, "W0SEEKER02", paris_topic)
    _ask(engine, SINGAPORE, "W0SEEKER03", singapore_topic)
    _ask(engine, OTHER, "W0SEEKER04", _listed(engine, OTHER))
    _question(engine, SINGAPORE, "Who approves travel?", answer="Your manager.")
    now = T0 + timedelta(hours=1)
    with session_scope(engine) as s:
        board = scoreboard.live_board(s, team_id=PARIS, now=now, threshold=3)
        week = figures.week(s, team_id=PARIS, start=T0, end=now, pool=workspaces.pool(s, team_id=PARIS))
        asked_now = utcnow()  # questions are stamped with the real time
        questions = figures.questions(
            s,
            team_id=PARIS,
            start=asked_now - timedelta(hours=1),
            end=asked_now + timedelta(hours=1),
            pool=workspaces.pool(s, team_id=PARIS),
        )
    # Three people seeking across the organisation: an exact count, where each workspace's is not.
    assert board.workspaces == 2
    assert board.mentoring["seeking"].text == "3"
    assert [(name, row["seeking"].text) for name, row in board.topics] == [("Leadership", "3")]
    assert week["pool"] == sorted([PARIS, SINGAPORE]) and questions["asked"] == 1
    assert [t["topic_id"] for t in week["mentoring"]["topics"]] == [paris_topic]  # named as Paris has it
    with session_scope(engine) as s:
        scoreboard.save_schedule(
            s,
            team_id=PARIS,
            channel_id="C0GENERAL1",
            weekday=0,
            hour=9,
            minute=0,
            tz="Europe/Paris",
            user_id="W0ADMIN001",
            now=now,
            scope=scoreboard.WORKSPACE,
        )
    with session_scope(engine) as s:
        assert scoreboard.schedule(s, team_id=PARIS, default_channel=None).scope == scoreboard.WORKSPACE
        alone = scoreboard.live_board(s, team_id=PARIS, now=now, threshold=3)
        assert scoreboard.live_board(s, team_id=SINGAPORE, now=now, threshold=3).mentoring["seeking"].text == "3"
        with pytest.raises(scoreboard.SettingsError):
            scoreboard.save_schedule(
                s,
                team_id=PARIS,
                channel_id=None,
                weekday=0,
                hour=9,
                minute=0,
                tz="UTC",
                user_id="W0ADMIN001",
                now=now,
                scope="galaxy",
            )
    assert alone.workspaces == 1
    assert alone.mentoring["seeking"].text == "fewer than 3"


def test_changes_are_shown_only_against_a_week_of_the_same_figures():
    start, end = T0 - timedelta(days=7), T0
    workspace_week = scoreboard.Snapshot(start - timedelta(days=7), start, {"questions": {"asked": 10}})
    org_week = scoreboard.Snapshot(start, end, {"pool": [PARIS, SINGAPORE], "questions": {"asked": 30}})
    assert scoreboard.board(org_week, workspace_week, 3).questions["asked"].change is None
    later = scoreboard.Snapshot(end, end + timedelta(days=7), {"pool": [PARIS, SINGAPORE], "questions": {"asked": 33}})
    assert scoreboard.board(later, org_week, 3).questions["asked"].change == 3


def test_the_app_home_shows_a_persons_own_rows_from_every_workspace(engine, org):
    _question(engine, PARIS, "First question", asker=NEW_MANAGER)
    _question(engine, SINGAPORE, "Second question", asker=NEW_MANAGER)
    _question(engine, OTHER, "Globex's question by the same id", asker=NEW_MANAGER)
    with session_scope(engine) as s:
        picture = home.picture(s, team_id=SINGAPORE, user_id=NEW_MANAGER, now=T0)
    assert picture.asked == 2
    assert {q.text for q in picture.questions} == {"First question", "Second question"}
