"""Searching earlier questions, on both databases: safe with any input, ranked, scoped, in step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import asking
from core.search import QuestionState, query_terms, search_questions
from storage import search as index
from storage.db import session_scope
from tests.public import public_channels
from tests.races import race

TEAM = "T0FAKETEAM"
QA = "C0QUESTION"

_public = public_channels((TEAM, "T0OTHERTEAM"), QA)


def _question(engine, text, ts, team=TEAM):
    with session_scope(engine) as s:
        outcome = asking.ask_question(
            s, team_id=team, asker_id="U0ASKER", text=text, qa_channel_id=QA, request_id=f"r{ts}"
        )
        asking.mark_posted(s, team_id=team, question_id=outcome.question_id, channel_id=QA, message_ts=ts)
    return outcome.question_id


def _answer(engine, thread_ts, ts, text, user="U0HELPER"):
    with session_scope(engine) as s:
        return asking.record_reply(
            s,
            team_id=TEAM,
            channel_id=QA,
            thread_ts=thread_ts,
            message_ts=ts,
            author_id=user,
            text=text,
            at=datetime.fromtimestamp(float(ts), UTC),
        )


def _search(engine, text, team=TEAM, **kw):
    with session_scope(engine) as s:
        return search_questions(s, team_id=team, text=text, **kw)


@pytest.fixture
def library(engine):
    ids = {
        "vpn": _question(engine, "How do I set up the VPN on a new laptop?", "1700000001.000100"),
        "expenses": _question(engine, "Where do I file travel expenses?", "1700000002.000100"),
        "deploy": _question(
            engine, "Can we deploy on Fridays?\nOur release process says no, but why?", "1700000003.000100"
        ),
        "kube": _question(engine, "Kubernetes pods keep restarting with OOMKilled", "1700000004.000100"),
    }
    _answer(
        engine,
        "1700000001.000100",
        "1700000011.000100",
        "Install the client from the IT portal, then sign in with SSO.",
    )
    _answer(engine, "1700000004.000100", "1700000014.000100", "Raise the memory limit in the deployment's resources.")
    return ids


def test_query_terms_keep_only_words():
    assert query_terms('How do I "deploy" (on) Fridays?! NEAR/3 * AND -x +y 🚀') == [
        "deploy",
        "fridays",
        "near",
        "3",
        "x",
        "y",
    ]
    assert query_terms("Как настроить VPN?") == ["как", "настроить", "vpn"]
    assert query_terms("what is the") == []


def test_the_best_match_comes_first(engine, library):
    page = _search(engine, "vpn setup for my laptop")
    assert page.matches[0].question_id == library["vpn"]
    assert page.matches[0].state is QuestionState.ANSWERED
    assert page.matches[0].answer.startswith("Install the client") and not page.matches[0].accepted


def test_answers_are_searched_too(engine, library):
    page = _search(engine, "memory limit")
    assert [m.question_id for m in page.matches] == [library["kube"]]


def test_stemming_matches_other_forms_of_a_word(engine, library):
    assert _search(engine, "deploying on friday").matches[0].question_id == library["deploy"]


def test_search_is_scoped_to_the_workspace(engine, library):
    _question(engine, "VPN for the other company", "1700000099.000100", team="T0OTHERTEAM")
    assert [m.question_id for m in _search(engine, "vpn").matches] == [library["vpn"]]
    assert [m.text for m in _search(engine, "vpn", team="T0OTHERTEAM").matches] == ["VPN for the other company"]


def test_unposted_questions_are_not_found(engine, library):
    with session_scope(engine) as s:
        asking.ask_question(
            s, team_id=TEAM, asker_id="U1", text="VPN pending question", qa_channel_id=QA, request_id="pending"
        )
    assert [m.question_id for m in _search(engine, "vpn pending").matches] == [library["vpn"]]


def test_edits_and_deletions_keep_the_index_in_step(engine, library):
    with session_scope(engine) as s:
        asking.edit_reply(
            s,
            team_id=TEAM,
            channel_id=QA,
            thread_ts="1700000004.000100",
            message_ts="1700000014.000100",
            author_id="U0HELPER",
            text="Use a vertical pod autoscaler",
            edited_ts="1700000020.000000",
        )
    assert _search(engine, "memory limit").matches == []
    assert [m.question_id for m in _search(engine, "autoscaler").matches] == [library["kube"]]
    with session_scope(engine) as s:
        asking.delete_reply(
            s, team_id=TEAM, channel_id=QA, thread_ts="1700000004.000100", message_ts="1700000014.000100"
        )
    assert _search(engine, "autoscaler").matches == []


def test_pages_of_five_with_more(engine):
    for n in range(12):
        _question(engine, f"Question {n} about onboarding", f"17000001{n:02d}.000100")
    first = _search(engine, "onboarding")
    second = _search(engine, "onboarding", offset=5)
    third = _search(engine, "onboarding", offset=10)
    assert (len(first.matches), first.has_more) == (5, True)
    assert (len(second.matches), second.has_more) == (5, True)
    assert (len(third.matches), third.has_more) == (2, False)
    seen = [m.question_id for p in (first, second, third) for m in p.matches]
    assert len(set(seen)) == 12


HOSTILE = [
    '"',
    "'",
    '"unbalanced',
    "a AND",
    "OR",
    "NOT NOT",
    "NEAR(vpn laptop, 2)",
    "vpn*",
    "*",
    "(",
    ")",
    "[]",
    "{}",
    "title:vpn",
    "^vpn",
    "-",
    "+",
    "\\",
    "vpn & | ! :*",
    "<!channel>",
    "&amp; &lt;",
    "🚀🔥",
    "Как настроить VPN?",
    "如何申请新的笔记本电脑？",
    "متى يبدأ التقييم",
    "",
    "   ",
    "the of and",
    "x" * 5000,
    "vpn " * 500,
    "\x00\x01",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_anything_a_person_can_type_is_safe_to_search(engine, library, text):
    page = _search(engine, text)
    assert isinstance(page.matches, list)


def test_slack_markup_is_indexed_as_people_read_it(engine):
    qid = _question(
        engine,
        "Is &lt;the runbook&gt; at <https://wiki.example.com/ops|the ops wiki> current? cc <@U0123>",
        "1700000500.000100",
    )
    assert [m.question_id for m in _search(engine, "ops wiki runbook").matches] == [qid]
    assert _search(engine, "https").matches == [] and _search(engine, "U0123").matches == []


def test_rebuilding_the_whole_index_finds_the_same(engine, library):
    from storage import search as index

    before = [m.question_id for m in _search(engine, "vpn laptop memory deploy").matches]
    with session_scope(engine) as s:
        assert index.reindex_all(s, batch=2) == 4
    assert [m.question_id for m in _search(engine, "vpn laptop memory deploy").matches] == before


def test_informative_terms_prefer_rare_words_and_leave_out_common_ones():
    from core.search import informative_terms

    freq = {"qatar": 900, "bank": 300, "salary": 40, "transfer": 12}
    terms = ["qatar", "bank", "salary", "transfer", "überstunden"]
    # bank (30%) and qatar (90%) are too common; a word the statistics do not know comes after
    # the known rare ones.
    assert informative_terms(terms, freq, documents=2000) == ["transfer", "salary", "überstunden"]
    assert informative_terms(["qatar", "bank"], freq, documents=2000) == ["bank", "qatar"]  # nothing rare left
    many = {f"w{n}": n + 1 for n in range(20)}
    assert informative_terms(list(many), many, documents=2000) == [f"w{n}" for n in range(8)]
    # In a small store every word is cheap to search, rarest first.
    assert informative_terms(["qatar", "bank", "salary"], freq, documents=1000)[:1] == ["salary"]
    assert set(informative_terms(["a1", "b2"], {"a1": 3, "b2": 4}, documents=4)) == {"a1", "b2"}


def test_the_candidate_search_takes_the_best_words_its_budget_affords():
    from core.search import affordable

    freq = {"visa": 40, "renewal": 900, "fee": 2500, "qid": 5}
    # In the order given (title words first, each rarest first): the first whatever it costs, then
    # each word that still fits, skipping one that does not; an unknown word costs nothing.
    assert affordable(["visa", "fee", "qid", "renewal", "unheard"], freq, budget=1000) == [
        "visa",
        "qid",
        "renewal",
        "unheard",
    ]
    assert affordable(["fee", "visa"], freq, budget=1000) == ["fee"]  # the first, though over budget
    assert affordable(["fee", "visa"], freq, budget=3000) == ["fee", "visa"]
    assert affordable([], freq) == []


def test_similar_questions_are_searched_by_the_words_the_budget_affords(engine, library, monkeypatch):
    """On a large store a middling word held by thousands of questions is not searched: what is
    found holds the rarer words, and the words left out still rank it."""
    from sqlalchemy import text

    from core import search

    for n in range(12):
        _question(engine, f"Our printer on floor {n} jams again", f"17000007{n:02d}.000100")
    wanted = _question(engine, "The printer toner of the accounting office is empty", "1700000800.000100")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE question_search"))
    with session_scope(engine) as s:
        counts = index.document_frequencies(s, ["printer", "toner", "refills"])[0]
    assert counts["printer"] > counts["toner"] + counts["refills"]
    asked = "Who refills printer toner?"
    monkeypatch.setattr(search, "SEARCH_BUDGET", counts["printer"] - 1)  # all but "printer"
    with session_scope(engine) as s:
        hits, _ = search.candidates(s, reader=index.reader(s, team_id=TEAM), text=asked, limit=10)
    assert [h.question_id for h in hits] == [wanted]  # no jammed printer: "printer" was not searched
    monkeypatch.setattr(search, "SEARCH_BUDGET", 10_000)
    with session_scope(engine) as s:
        hits, _ = search.candidates(s, reader=index.reader(s, team_id=TEAM), text=asked, limit=10)
    assert hits[0].question_id == wanted and len(hits) == 10  # every word searched: the jams too


def test_the_title_counts_as_many_times_as_the_reranking_asks(engine, library):
    """core.search.rerank counts an earlier question's first line TITLE_WEIGHT times, or as many
    as the model mixing its cosine asks (core.semantic.title_weight): a question whose title
    names the problem rises above one that mentions it among other things."""
    from core import search

    titled = _question(
        engine,
        "Printer toner empty\nSomeone said the supplies cupboard on floor two has spares, anyone know?",
        "1700000901.000100",
    )
    mentioned = _question(
        engine,
        "Kitchen coffee machine broken again\nAlso the printer toner is empty and nobody knows who orders toner",
        "1700000902.000100",
    )
    asked = "The printer says the toner is empty: who orders toner?"
    with session_scope(engine) as s:
        hits = [index.Hit(titled, 0.0), index.Hit(mentioned, 0.0)]
        once = search.rerank(s, reader=index.reader(s, team_id=TEAM), text=asked, hits=hits, title_weight=1)
        four = search.rerank(s, reader=index.reader(s, team_id=TEAM), text=asked, hits=hits, title_weight=4)
    assert [h.question_id for h in once] == [mentioned, titled]
    assert [h.question_id for h in four] == [titled, mentioned]


def test_the_suggestions_count_the_title_as_the_model_in_use_asks(engine, library, monkeypatch):
    """core.lessons.rank_similar scores its candidates' words with the title weight the model mixing
    its cosine was tuned with (WordLlama: 4), the words-only ranking with core.search's own."""
    from core import lessons, semantic

    asked = []
    real = lessons.rerank
    monkeypatch.setattr(lessons, "rerank", lambda *a, **kw: asked.append(kw.get("title_weight")) or real(*a, **kw))
    with session_scope(engine) as s:
        lessons.rank_similar(s, team_id=TEAM, text="How do I set up the VPN on my laptop?", limit=3)
    if semantic.name() == "wordllama":
        assert asked == [4]
    else:
        assert asked in ([None], [])  # words only (no model, or E5: tuned with the default)


def test_similar_questions_finds_the_same_problem_in_other_words(engine, library):
    from core.search import similar_questions

    text = (
        "Hi all, I just got my new laptop from IT today and I cannot connect to the VPN at all. "
        "What do I need to install and how do I log in? Thanks a lot!"
    )
    with session_scope(engine) as s:
        hits = similar_questions(s, team_id=TEAM, text=text)
    assert hits and hits[0].question_id == library["vpn"]


def test_document_frequencies_come_from_the_index(engine, library):
    from sqlalchemy import text

    from storage import search as index

    for n in range(6):
        _question(engine, f"Laptop question number {n}", f"17000006{n:02d}.000100")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE question_search"))
    with session_scope(engine) as s:
        stats = index.document_frequencies(s, ["laptop", "kubernetes", "zebra"])
    assert stats is not None
    counts, documents = stats
    assert documents >= 10
    assert counts["laptop"] > counts["kubernetes"] >= counts.get("zebra", 0)


@pytest.mark.parametrize(
    "word,stored",
    [
        ("technology", "Which technology does the new intranet use?"),  # FTS5: technolog, Snowball: technologi
        ("possibly", "Could I possibly work from the Lisbon office?"),  # possibl / possibli
        ("os", "Which OS image do new laptops get?"),  # under three letters: FTS5 keeps it whole
        ("überstunden", "Wie buche ich Überstunden?"),  # indexed without the mark
    ],
)
def test_document_frequencies_count_words_as_the_index_stems_them(engine, library, word, stored):
    """SQLite: the vocabulary is looked up by Snowball's Porter stem, which is not FTS5's for every
    word: such a word is counted as FTS5 reads it, not as held by no question (which would make a
    common word look like the rarest: weighed the most and searched outside the budget)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL counts from its planner's statistics by its own stems")
    held = [_question(engine, f"{stored} ({n})", f"17000007{n:02d}.000100") for n in range(3)]
    with session_scope(engine) as s:
        counts, _ = index.document_frequencies(s, [word, "quuxbaz"])
    assert counts[word] == len(held)
    assert counts["quuxbaz"] == 0  # held by none


def test_a_word_counted_in_no_question_is_found_once_a_question_holds_it(engine, library):
    """The document counts are kept a while: a word no question held when it was counted (kept as
    0) is counted again by the search, so the question that brought it is found."""
    terms = ["zeppelinport"]
    with session_scope(engine) as s:
        stale = index.document_frequencies(s, terms)
    if engine.dialect.name == "sqlite":  # (PostgreSQL counts a lexeme its statistics lack as 1)
        assert stale[0]["zeppelinport"] == 0
    new = _question(engine, "Where is the zeppelinport badge office?", "1700000990.000100")
    with session_scope(engine) as s:
        hits = index.search(s, reader=index.reader(s, team_id=TEAM), terms=terms, limit=5, known=stale)
    assert [h.question_id for h in hits] == [new]


def test_every_typed_word_counts(engine, library):
    both = _question(engine, "Laptop for a VPN trip abroad?", "1700000700.000100")
    page = _search(engine, "vpn laptop")
    assert page.matches[0].question_id == both  # holds both words: ranked above those with one
    assert {m.question_id for m in page.matches} == {both, library["vpn"]}


@pytest.mark.parametrize(
    "stored,typed",
    [
        ("Wie buche ich Überstunden?", "überstunden"),
        ("Where do I find my résumé template?", "résumé"),
        ("नमस्ते टीम, छुट्टी की नीति कहाँ है?", "नमस्ते"),
        ("Are the İstanbul office hours different?", "İstanbul"),
    ],
)
def test_words_with_accents_and_marks_are_found(engine, library, stored, typed):
    qid = _question(engine, stored, "1700000800.000100")
    assert qid in [m.question_id for m in _search(engine, typed).matches]
    from core.search import similar_questions

    with session_scope(engine) as s:
        assert qid in [h.question_id for h in similar_questions(s, team_id=TEAM, text=f"{typed} filler words here")]


def test_words_keep_their_combining_marks():
    assert query_terms("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]


def test_racing_replies_both_stay_searchable(engine, library):
    for n in range(10):
        ts_a, ts_b = f"17000009{n:02d}.000100", f"17000009{n:02d}.000200"
        word_a, word_b = f"wireguard{n}", f"openvpn{n}"
        race(
            engine,
            lambda s, ts=ts_a, w=word_a: asking.record_reply(
                s,
                team_id=TEAM,
                channel_id=QA,
                thread_ts="1700000001.000100",
                message_ts=ts,
                author_id="U0A",
                text=f"try {w}",
                at=datetime.now(UTC),
            ),
            lambda s, ts=ts_b, w=word_b: asking.record_reply(
                s,
                team_id=TEAM,
                channel_id=QA,
                thread_ts="1700000001.000100",
                message_ts=ts,
                author_id="U0B",
                text=f"try {w}",
                at=datetime.now(UTC),
            ),
        )
        for word in (word_a, word_b):
            assert [m.question_id for m in _search(engine, word).matches] == [library["vpn"]], word


def test_an_accepted_answer_is_shown_and_the_question_is_resolved(engine, library):
    from core import accepting

    _answer(engine, "1700000001.000100", "1700000021.000100", "Or use the VPN web portal.")
    with session_scope(engine) as s:
        accepting.accept(
            s, team_id=TEAM, question_id=library["vpn"], answer_ts="1700000021.000100", user_id="U0ASKER", is_admin=True
        )
    [match] = [m for m in _search(engine, "vpn setup").matches if m.question_id == library["vpn"]]
    assert match.state is QuestionState.RESOLVED and match.accepted and match.answer == "Or use the VPN web portal."


def _every_match_ranked(engine, team, terms, limit, offset=0):
    """The plain search the index's search must agree with: every document matching any term
    scored, then the workspace's posted ones ordered (what `storage.search.search` once did)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = (
                "SELECT q.id, -bm25(question_fts, 10.0, 4.0, 2.0) AS score FROM question_fts "
                "JOIN question q ON q.id = question_fts.rowid WHERE question_fts MATCH :match "
                "AND q.team_id = :team AND q.status = 'posted' ORDER BY score DESC, q.id DESC LIMIT :limit OFFSET :offset"
            )
            match = " OR ".join(f'"{t}"' for t in terms)
        else:
            sql = (
                "SELECT s.question_id, ts_rank(s.document, query) AS score FROM question_search s "
                "JOIN question q ON q.id = s.question_id, to_tsquery('english', :match) AS query "
                "WHERE s.team_id = :team AND q.status = 'posted' AND s.document @@ query "
                "ORDER BY score DESC, s.question_id DESC LIMIT :limit OFFSET :offset"
            )
            match = " | ".join(terms)
        return conn.execute(text(sql), {"match": match, "team": team, "limit": limit, "offset": offset}).all()


def test_search_ranks_exactly_as_scoring_every_match(engine):
    """The index's search leaves out documents that hold only common words when the bounds on
    bm25 and ts_rank show they cannot rank among the best; the answer must stay exactly that of
    scoring every match, whatever the mix of common, rare and absent words, the page, and the
    other workspaces' and unposted questions ranked above."""
    import random

    from storage import search as index

    rng = random.Random(3)
    # Zipf-like vocabulary: the first words are in most questions, the last in a few.
    words = [
        "printer",
        "office",
        "network",
        "badge",
        "parking",
        "laptop",
        "monitor",
        "toner",
        "wifi",
        "payroll",
        "visa",
        "dentist",
        "kayak",
        "origami",
        "zeppelin",
    ]

    def sentence():
        return " ".join(rng.choices(words, weights=[1 / (i + 1) for i in range(len(words))], k=rng.randint(3, 12)))

    with session_scope(engine) as s:
        for n in range(220):
            # The other workspace's questions and unposted ones rank first for the rare words.
            team = "T0OTHERTEAM" if n < 50 else TEAM
            strong = n < 110
            text = "zeppelin kayak toner? " * 3 if strong else f"{sentence()}?\n{sentence()}"
            outcome = asking.ask_question(
                s, team_id=team, asker_id="U0ASKER", text=text, qa_channel_id=QA, request_id=f"x{n}"
            )
            if n < 50 or (not strong and n % 9):
                asking.mark_posted(
                    s, team_id=team, question_id=outcome.question_id, channel_id=QA, message_ts=f"17000{n:05d}.000100"
                )
    queries = [
        ["printer", "office"],
        ["printer", "toner"],
        ["office", "zeppelin"],
        ["printer", "office", "kayak"],
        ["network", "badge", "origami"],
        ["zeppelin"],
        ["printer", "office", "network", "badge", "parking", "visa"],
        ["toner", "wifi", "payroll", "dentist", "kayak", "origami", "zeppelin", "unheardof"],
        ["unheardof", "printer"],
    ]
    with session_scope(engine) as s:
        for terms in queries:
            # (Also with the counts already read from the vocabulary, as the similar-question
            # search passes them: SQLite then does not count the words again.)
            for known in (None, index.document_frequencies(s, terms)):
                for limit, offset in ((3, 0), (6, 0), (6, 5), (20, 10)):
                    got = index.search(
                        s, reader=index.reader(s, team_id=TEAM), terms=terms, limit=limit, offset=offset, known=known
                    )
                    want = _every_match_ranked(engine, TEAM, terms, limit, offset)
                    assert [h.question_id for h in got] == [i for i, _ in want], (terms, limit, offset, known)
                    assert [h.score for h in got] == pytest.approx([score for _, score in want], rel=1e-6)


def test_postgres_search_index_has_no_pending_list_to_read(engine):
    """Migration 0006: GIN's fast update would park new entries in a list every search reads."""
    from sqlalchemy import text

    from storage import migrate

    def options():
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT reloptions FROM pg_class WHERE relname = 'ix_question_search_document' AND relkind = 'i' "
                    "AND relnamespace = current_schema()::regnamespace"
                )
            ).scalar()

    if engine.dialect.name != "postgresql":
        migrate.downgrade(engine, "0005")  # nothing to undo on SQLite
        migrate.upgrade(engine)
        return
    assert options() == ["fastupdate=off"]
    migrate.downgrade(engine, "0005")
    assert options() is None
    migrate.upgrade(engine)
    assert options() == ["fastupdate=off"]
