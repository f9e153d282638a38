"""The Mentor Center's ranking (core/matching.py): pure functions, no database.

Unit tests pin each rule; property tests (hypothesis) check over random volunteers and requests
what matching must never do, request after request as core.mentoring offers them (the one rule,
`rank`): exceed a mentor's room, match someone with themself, repeat a (protégé, mentor, topic)
pair, or offer an excluded mentor.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import matching
from core.matching import (
    Candidate,
    Mentor,
    Request,
    eligible,
    hours_overlap,
    rank,
    reason,
    role_fit,
    role_words,
    tenure,
)

LEADERSHIP, HIRING, PYTHON = 1, 2, 3
HOUR = 3600
LONDON, NEW_YORK, TOKYO = 0, -5 * HOUR, 9 * HOUR


def _ids(candidates) -> list[str]:
    return [c.mentor_id for c in candidates]


def _em(user_id: str, **kw) -> Mentor:
    """An Engineering Manager in London offering Leadership, unless told otherwise."""
    defaults = dict(
        topics=frozenset({LEADERSHIP}), role="Engineering Manager", years=3, location="London", tz_offset=LONDON
    )
    return Mentor(user_id, **(defaults | kw))


def _ask(protege_id: str = "UPROTEGE", **kw) -> Request:
    defaults = dict(topic_id=LEADERSHIP, role="Engineering Manager", location="London", tz_offset=LONDON)
    return Request(protege_id, **(defaults | kw))


# -- eligibility -------------------------------------------------------------------------------


def test_the_topic_must_match():
    mentors = [_em("UA", topics=frozenset({HIRING})), _em("UB", topics=frozenset({HIRING, LEADERSHIP}))]
    assert _ids(rank(_ask(), mentors)) == ["UB"]
    assert _ids(rank(_ask(topic_id=PYTHON), mentors)) == []


def test_never_the_protege_themself():
    mentors = [_em("UPROTEGE", years=10), _em("UB", years=1)]
    assert _ids(rank(_ask("UPROTEGE"), mentors)) == ["UB"]


def test_excluded_mentors_are_never_offered():
    mentors = [_em("UA"), _em("UB"), _em("UC")]
    assert _ids(rank(_ask(excluded=frozenset({"UA", "UC"})), mentors)) == ["UB"]
    assert rank(_ask(excluded=frozenset({"UA", "UB", "UC"})), mentors) == []


def test_capacity_and_pause_are_respected():
    full = _em("UFULL", capacity=2, load=2)
    room = _em("UROOM", capacity=2, load=1)
    paused = _em("UPAUSED", capacity=3, paused=True)
    assert (full.room, room.room, paused.room) == (0, 1, 0)
    assert _ids(rank(_ask(), [full, room, paused])) == ["UROOM"]
    # Overbooked (capacity lowered below what runs) is simply full, never negative room.
    assert _em("UX", capacity=1, load=3).room == 0


def test_same_location_filters_and_any_location_does_not():
    mentors = [
        _em("ULON", location="london "),
        _em("UNYC", location="New York", tz_offset=NEW_YORK),
        _em("UNONE", location=None),
    ]
    assert _ids(rank(_ask(location_pref="same"), mentors)) == ["ULON"]
    assert set(_ids(rank(_ask(location_pref="any"), mentors))) == {"ULON", "UNYC", "UNONE"}
    # A protégé with no location given cannot be matched on it: nobody is filtered out.
    assert len(rank(_ask(location=None, location_pref="same"), mentors)) == 3


def test_at_most_three_candidates_best_first():
    mentors = [_em(f"U{i}", years=i) for i in range(6)]
    got = rank(_ask(), mentors)
    assert len(got) == matching.CANDIDATES == 3
    assert [c.score for c in got] == sorted((c.score for c in got), reverse=True)
    # Two or more years score alike; ties go by mentor id, whatever order the mentors came in.
    assert _ids(got) == ["U2", "U3", "U4"]
    assert _ids(rank(_ask(), list(reversed(mentors)))) == ["U2", "U3", "U4"]


# -- role and tenure ---------------------------------------------------------------------------


def test_role_words_set_seniority_aside():
    assert role_words("Senior Engineering Manager") == frozenset({"engineering", "manager"})
    assert role_fit(role_words("Engineering Manager"), role_words("Senior Engineering Manager")) == 1.0
    assert role_fit(role_words("Engineering Manager"), role_words("Manager")) == 0.5
    assert role_fit(role_words("Engineering Manager"), role_words("Designer")) == 0.0
    assert role_fit(role_words(None), role_words("Designer")) == 0.0
    # A title of seniority words only is still a role.
    assert role_words("Head") == frozenset({"head"})


def test_small_words_in_a_title_do_not_make_roles_alike():
    # "Head of Sales" has nothing of "Head of Engineering" but the word "of".
    assert role_fit(role_words("Head of Engineering"), role_words("Head of Sales")) == 0.0
    assert role_fit(role_words("Head of Engineering"), role_words("VP of Engineering")) == 0.5
    ask = _ask(role="Senior Software Engineer", target_role="Head of Engineering", role_pref="target")
    mentors = [_em("USALES", role="Head of Sales", years=10), _em("UENG", role="Director of Engineering", years=2)]
    assert _ids(rank(ask, mentors)) == ["UENG", "USALES"]


def test_role_preference_mine_target_or_any():
    ic = _em("UIC", role="Senior Software Engineer", years=3)
    em = _em("UEM", role="Engineering Manager", years=3)
    moving = dict(role="Software Engineer", target_role="Engineering Manager")
    assert _ids(rank(_ask(role_pref="mine", **moving), [em, ic]))[0] == "UIC"
    assert _ids(rank(_ask(role_pref="target", **moving), [em, ic]))[0] == "UEM"
    # "any": whichever of the two fits better, so both roles score fully.
    both = rank(_ask(role_pref="any", **moving), [em, ic])
    assert {c.mentor_id: c.why["role"] for c in both} == {"UEM": 1.0, "UIC": 1.0}
    # "target" with no target given falls back to the protégé's own role.
    assert _ids(rank(_ask(role_pref="target", role="Software Engineer"), [em, ic]))[0] == "UIC"


def test_two_years_in_the_role_beat_one():
    assert (tenure(0), tenure(1), tenure(2), tenure(10)) == (0.0, 0.5, 1.0, 1.0)
    assert tenure(None) == matching.UNKNOWN_TENURE
    mentors = [_em("UA1", years=1), _em("UB2", years=2), _em("UC0", years=0)]
    assert _ids(rank(_ask(), mentors)) == ["UB2", "UA1", "UC0"]
    # Two years or ten: the same; the id breaks the tie.
    assert _ids(rank(_ask(), [_em("UZ10", years=10), _em("UA2", years=2)])) == ["UA2", "UZ10"]


def test_tenure_in_an_unrelated_role_does_not_outrank_the_right_role():
    unrelated = _em("UDATA", role="Data Scientist", years=10)
    right_new = _em("UEM", role="Engineering Manager", years=1)
    right = _em("UEM2", role="Engineering Manager", years=2)
    assert _ids(rank(_ask(), [unrelated, right_new, right])) == ["UEM2", "UEM", "UDATA"]
    # Even with no years given at all, the right role comes first.
    assert _ids(rank(_ask(), [unrelated, _em("UEMX", years=None)])) == ["UEMX", "UDATA"]


# -- working hours and spread ------------------------------------------------------------------


def test_hours_overlap():
    assert hours_overlap(LONDON, LONDON) == 1.0
    assert hours_overlap(LONDON, NEW_YORK) == pytest.approx(3 / 8)
    assert hours_overlap(LONDON, TOKYO) == pytest.approx(0.0)
    assert hours_overlap(NEW_YORK, LONDON) == hours_overlap(LONDON, NEW_YORK)
    # Around the date line: +12 and -11 are one hour apart.
    assert hours_overlap(12 * HOUR, -11 * HOUR) == pytest.approx(7 / 8)
    assert hours_overlap(LONDON, 5 * HOUR + 1800) == pytest.approx(2.5 / 8)


def test_working_hours_break_a_tie_but_do_not_beat_the_role():
    near = _em("UZNEAR", location="Paris", tz_offset=1 * HOUR)
    far = _em("UAFAR", location="Tokyo", tz_offset=TOKYO)
    assert _ids(rank(_ask(), [far, near])) == ["UZNEAR", "UAFAR"]
    # A right-role mentor far away still beats an unrelated one next door.
    designer = _em("UDESIGN", role="Designer", location="London", tz_offset=LONDON)
    assert _ids(rank(_ask(), [designer, far])) == ["UAFAR", "UDESIGN"]


def test_spread_a_loaded_mentor_ranks_below_an_equal_free_one():
    busy = _em("UABUSY", capacity=3, load=1)
    free = _em("UZFREE", capacity=3)
    assert _ids(rank(_ask(), [busy, free])) == ["UZFREE", "UABUSY"]
    shown = _em("UASHOWN", capacity=3, on_offer=2)
    assert _ids(rank(_ask(), [shown, free])) == ["UZFREE", "UASHOWN"]
    # Spread is a tie-breaker between equals, not a reason to prefer the wrong role.
    assert _ids(rank(_ask(), [busy, _em("UDESIGN", role="Designer", capacity=3)])) == ["UABUSY", "UDESIGN"]


def test_the_score_is_explained_part_by_part():
    (c,) = rank(_ask(), [_em("UA", years=1, tz_offset=NEW_YORK)])
    assert c.why == pytest.approx({"role": 1.0, "tenure": 0.5, "hours": 3 / 8, "spread": 1.0})
    assert c.score == pytest.approx(sum(matching.WEIGHTS[k] * v for k, v in c.why.items()))


# -- the reason the protégé reads --------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, text",
    [
        (dict(role="Engineering Manager", years=3, location="London"), "Engineering Manager for 3 years, London"),
        (dict(role="Product Manager", years=1, location="Berlin"), "Product Manager for 1 year, Berlin"),
        (dict(role="Designer", years=0, location="Lisbon"), "Designer for less than a year, Lisbon"),
        (dict(role="Data Scientist", years=None, location="Paris"), "Data Scientist, Paris"),
        (dict(role="Head of Sales", years=7, location=None), "Head of Sales for 7 years"),
        (dict(role=None, years=None, location=None), "Role not given"),
    ],
)
def test_reason(kw, text):
    assert reason(Mentor("UA", frozenset({LEADERSHIP}), **kw)) == text


def test_candidates_carry_their_reason():
    (c,) = rank(_ask(), [_em("UA", years=3)])
    assert c.reason == "Engineering Manager for 3 years, London"


# -- request after request ---------------------------------------------------------------------


@dataclass
class Turn:
    request: Request
    candidates: list[Candidate]
    # The mentor taken (the protégé chose the best candidate, who accepted), or None.
    mentor_id: str | None


def take_turns(requests: list[Request], mentors: list[Mentor]) -> list[Turn]:
    """Requests offered one after another, oldest first, as core.mentoring does: each ranked by
    `rank` against the mentors as they stand at its turn (places taken, times on offer), with
    the mentors its protégé already worked with in its topic excluded (as core.mentoring's
    requests are); each protégé takes their best candidate."""
    now = {m.user_id: m for m in mentors}
    paired: dict[tuple[str, int], set[str]] = {}
    out = []
    for request in requests:
        worked_with = paired.setdefault((request.protege_id, request.topic_id), set())
        asked = replace(request, excluded=request.excluded | worked_with)
        candidates = rank(asked, [now[m.user_id] for m in mentors])
        for c in candidates:
            now[c.mentor_id] = replace(now[c.mentor_id], on_offer=now[c.mentor_id].on_offer + 1)
        taken = candidates[0].mentor_id if candidates else None
        if taken is not None:
            now[taken] = replace(now[taken], load=now[taken].load + 1)
            worked_with.add(taken)
        out.append(Turn(request, candidates, taken))
    return out


def test_requests_take_turns_oldest_first_and_spread():
    mentors = [_em("UA", years=5), _em("UB", years=1)]
    first, second, third = take_turns([_ask("UP1"), _ask("UP2"), _ask("UP3")], mentors)
    assert first.mentor_id == "UA" and _ids(first.candidates) == ["UA", "UB"]
    # UA's one place is taken: the next request is offered UB alone, and the third nobody.
    assert second.mentor_id == "UB" and _ids(second.candidates) == ["UB"]
    assert third.mentor_id is None and third.candidates == []


def test_a_protege_is_never_paired_twice_with_one_mentor_in_a_topic():
    mentors = [_em("UA", capacity=3, years=5), _em("UB", capacity=3, years=1)]
    first, again = take_turns([_ask("UP1"), _ask("UP1")], mentors)
    assert first.mentor_id == "UA" and again.mentor_id == "UB"
    # Another topic is another pairing.
    other = take_turns(
        [_ask("UP1"), _ask("UP1", topic_id=HIRING)], [_em("UA", capacity=3, topics=frozenset({LEADERSHIP, HIRING}))]
    )
    assert [a.mentor_id for a in other] == ["UA", "UA"]


def test_a_single_turn_is_rank():
    mentors = [_em(f"U{i}", years=i % 4, tz_offset=(i % 5) * HOUR, capacity=1 + i % 2) for i in range(10)]
    (only,) = take_turns([_ask()], mentors)
    assert only.candidates == rank(_ask(), mentors)


def test_rank_scores_every_candidate_as_score_does():
    mentors = [_em(f"U{i}", years=i % 4, tz_offset=(i % 5) * HOUR, load=i % 2, capacity=2) for i in range(10)]
    for c in rank(_ask(), mentors, k=10):
        assert c == matching.score(_ask(), next(m for m in mentors if m.user_id == c.mentor_id))


# -- properties ---------------------------------------------------------------------------------

USERS = [f"U{i:02d}" for i in range(12)]
TOPICS = [1, 2, 3, 4]
ROLES = ["Engineering Manager", "Senior Software Engineer", "Product Manager", "Designer", "Head of Sales", None]
PLACES = [("London", 0), ("New York", -5 * HOUR), ("Bangalore", 5 * HOUR + 1800), (None, 0)]

mentor_st = st.builds(
    lambda topics, capacity, load, on_offer, role, years, place, paused: (
        topics,
        capacity,
        load,
        on_offer,
        role,
        years,
        place,
        paused,
    ),
    st.frozensets(st.sampled_from(TOPICS), min_size=1, max_size=3),
    st.integers(1, 3),
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from(ROLES),
    st.one_of(st.none(), st.integers(0, 12)),
    st.sampled_from(PLACES),
    st.booleans(),
)


@st.composite
def scenarios(draw):
    # Mentors are distinct people (one offer each); protégés come from the same people, so a
    # protégé may also be a mentor, and may ask twice in one topic.
    mentor_ids = draw(st.lists(st.sampled_from(USERS), unique=True, max_size=len(USERS)))
    mentors = []
    for user_id in mentor_ids:
        topics, capacity, load, on_offer, role, years, (location, tz), paused = draw(mentor_st)
        mentors.append(Mentor(user_id, topics, capacity, load, on_offer, role, years, location, tz, paused))
    requests = draw(
        st.lists(
            st.builds(
                lambda protege, topic, role, target, role_pref, place, location_pref, excluded: Request(
                    protege, topic, role, target, role_pref, place[0], location_pref, place[1], excluded
                ),
                st.sampled_from(USERS),
                st.sampled_from(TOPICS),
                st.sampled_from(ROLES),
                st.sampled_from(ROLES),
                st.sampled_from(["any", "mine", "target"]),
                st.sampled_from(PLACES),
                st.sampled_from(["any", "any", "same"]),
                st.frozensets(st.sampled_from(USERS), max_size=4),
            ),
            max_size=25,
        )
    )
    return mentors, requests


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_turn_properties(scenario):
    mentors, requests = scenario
    original = {m.user_id: m for m in mentors}
    out = take_turns(requests, mentors)
    assert [a.request for a in out] == requests

    taken: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    pairs: set[tuple[str, str, int]] = set()
    for a in out:
        r = a.request
        ids = _ids(a.candidates)
        # At most three, distinct, best first (ties by id).
        assert len(ids) <= matching.CANDIDATES and len(set(ids)) == len(ids)
        keys = [(-c.score, c.mentor_id) for c in a.candidates]
        assert keys == sorted(keys)
        for mentor_id in ids:
            m = original[mentor_id]
            assert mentor_id != r.protege_id
            assert mentor_id not in r.excluded
            assert r.topic_id in m.topics and not m.paused
            # Shown only with room left at this request's turn, and never a repeated pair.
            assert m.room - taken[mentor_id] > 0
            assert (r.protege_id, mentor_id, r.topic_id) not in pairs
            assert eligible(r, m)
            # Scored exactly as `score` does, with the places taken and the showings so far.
            now = replace(m, load=m.load + taken[mentor_id], on_offer=m.on_offer + shown[mentor_id])
            assert a.candidates[ids.index(mentor_id)] == matching.score(r, now)
        shown.update(ids)
        # The mentor taken is the best candidate; nobody is taken only when nobody fits.
        assert a.mentor_id == (ids[0] if ids else None)
        if a.mentor_id is None:
            for m in mentors:
                free = replace(m, load=m.load + taken[m.user_id])
                assert not eligible(r, free) or (r.protege_id, m.user_id, r.topic_id) in pairs
        else:
            taken[a.mentor_id] += 1
            pairs.add((r.protege_id, a.mentor_id, r.topic_id))
    # Capacity is never exceeded: each mentor is taken at most as often as they had room.
    for mentor_id, n in taken.items():
        assert n <= original[mentor_id].room


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_rank_properties(scenario):
    mentors, requests = scenario
    for r in requests:
        got = rank(r, mentors)
        fitting = [m for m in mentors if eligible(r, m)]
        assert len(got) == min(len(fitting), matching.CANDIDATES)
        assert all(c.mentor_id != r.protege_id and c.mentor_id not in r.excluded for c in got)
        # Nobody left out scores better than the last one shown.
        if got:
            shown = set(_ids(got))
            worst = (-got[-1].score, got[-1].mentor_id)
            for m in fitting:
                if m.user_id not in shown:
                    assert (-matching.score(r, m).score, m.user_id) > worst
