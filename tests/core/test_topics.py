"""Topics: free-form, normalised so that one topic is one topic however it is written."""

from __future__ import annotations

import pytest

from core import topics
from core.topics import TopicError
from storage.db import session_scope

TEAM = "T0FAKETEAM"


@pytest.mark.parametrize(
    "a, b",
    [
        ("Kubernetes", "kubernetes "),
        ("#kubernetes", "KUBERNETES"),
        ("machine-learning", "Machine   Learning"),
        ("CI_CD", "ci cd"),
        ("Ｋｕｂｅｒｎｅｔｅｓ", "kubernetes"),  # full-width letters
        ("Straße", "STRASSE"),  # casefolding, not just lower()
    ],
)
def test_spellings_of_one_topic_share_a_key(a, b):
    assert topics.normalise(a).key == topics.normalise(b).key


def test_the_name_shown_is_tidied_but_keeps_its_case():
    assert topics.normalise("  #Incident   Response. ").name == "Incident Response"


@pytest.mark.parametrize("raw", ["", "   ", "#", "...", "\u200b"])
def test_a_topic_needs_a_letter_or_digit(raw):
    with pytest.raises(TopicError):
        topics.normalise(raw)


def test_a_topic_name_has_a_length_limit():
    with pytest.raises(TopicError, match="too long"):
        topics.normalise("x" * (topics.MAX_TOPIC_CHARS + 1))


def test_resolving_reuses_the_existing_topic_and_its_first_spelling(engine):
    with session_scope(engine) as s:
        first = topics.resolve(s, team_id=TEAM, raw="Kubernetes", created_by="U1")
        again = topics.resolve(s, team_id=TEAM, raw=" kubernetes", created_by="U2")
        assert again.id == first.id and again.name == "Kubernetes"


def test_a_plural_or_singular_of_an_existing_topic_is_that_topic(engine):
    with session_scope(engine) as s:
        runbook = topics.resolve(s, team_id=TEAM, raw="Runbook")
        assert topics.resolve(s, team_id=TEAM, raw="runbooks").id == runbook.id
        kubernetes = topics.resolve(s, team_id=TEAM, raw="Kubernetes")  # ends in s: not a plural of anything here
        assert topics.resolve(s, team_id=TEAM, raw="kubernetes").id == kubernetes.id
        assert topics.resolve(s, team_id=TEAM, raw="Kubernete").id == kubernetes.id  # the obvious duplicate


def test_topics_belong_to_their_workspace(engine):
    with session_scope(engine) as s:
        ours = topics.resolve(s, team_id=TEAM, raw="Payroll")
        theirs = topics.resolve(s, team_id="T0OTHERTEAM", raw="Payroll")
        assert ours.id != theirs.id
        assert [t.name for t in topics.suggest(s, team_id="T0OTHERTEAM", typed="")] == ["Payroll"]


def test_resolve_all_dedupes_and_caps(engine):
    with session_scope(engine) as s:
        got = topics.resolve_all(s, team_id=TEAM, raws=["SQL", "sql", "Python"])
        assert [t.name for t in got] == ["SQL", "Python"]
        with pytest.raises(TopicError, match="at most"):
            topics.resolve_all(s, team_id=TEAM, raws=[f"topic {n}" for n in range(topics.MAX_TOPICS_PER_QUESTION + 1)])


def test_suggestions_match_what_was_typed_most_used_first(engine):
    from core import asking

    with session_scope(engine) as s:
        topics.resolve(s, team_id=TEAM, raw="Data Science")
        for n in range(2):
            asking.ask_question(
                s, team_id=TEAM, asker_id="U1", text=f"q{n}", qa_channel_id="C0Q", topics=["Data Engineering"]
            )
        topics.resolve(s, team_id=TEAM, raw="Design")
        names = [t.name for t in topics.suggest(s, team_id=TEAM, typed="data")]
        assert names == ["Data Engineering", "Data Science"]
        assert [t.name for t in topics.suggest(s, team_id=TEAM, typed="100%_")] == []  # LIKE wildcards are literal
