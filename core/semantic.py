"""Optional semantic re-ranking of similar questions: the `semantic` extra
(`pip install knowhow[semantic]`).

The lexical ranking (core.search.similar_questions) finds earlier questions by the words they
share with a new one. This re-orders the best of them by meaning as well: "renew my residence
permit" and "RP renewal" share few words but mean much the same. Without the extra nothing here
is loaded and the ranking stays lexical.

The model: WordLlama's "l2_supercat" static token embeddings (Llama 2's 32,000-token vocabulary,
256 dimensions, float16), whose weights (16 MB) and tokenizer ship inside the `wordllama` wheel
from PyPI. They are read from the installed package's own files, by path: nothing is downloaded,
at install or at run time, and no network is needed. (WordLlama's own `WordLlama.load()` is not
used: it looks for the tokenizer in a folder the wheel does not have and then fetches it from the
Hugging Face hub; and importing `wordllama` calls `logging.basicConfig`. Only its files are read.)
A text's vector is the mean of its tokens' vectors, as `WordLlamaInference.embed` computes it.

The combined score of a candidate is (1 - weight) * its lexical score divided by the best one's
(so 1 for the lexical first) + weight * the cosine similarity of the two texts' vectors.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

PACKAGE = "wordllama"
WEIGHTS = Path("weights") / "l2_supercat_256.safetensors"
TOKENIZER = Path("tokenizers") / "l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"
# Share of the combined score given to meaning. In one candidate list the cosines spread over a
# narrower range than the lexical shares (on SemEval dev, 0.31 against 0.54 on average), so
# meaning needs the larger weight to count. Chosen on SemEval-2016 3B dev
# (bench/similar_quality.py --semantic prints the sweep): MAP rose with the weight, by about 3
# points from 0.5 to 0.9 on SQLite and 1 on PostgreSQL, and meaning alone (1.0) was best on dev,
# about 1 point above 0.8; but it drops the lexical evidence altogether, and on train_part2 it was
# worse than 0.8 on both databases (0.8 was the best or within 0.1 MAP of it there). A one-off
# check with every candidate of both splits in one workspace (1,170 questions, the top 30
# re-ranked, the other questions' candidates as distractors) peaked at 0.7-0.8.
WEIGHT = 0.8
# A pasted log says little more about meaning after its first lines, and costs time: each text is
# cut to this many characters before it is embedded.
MAX_CHARS = 2000


class _Model:
    """The tokenizer and the token vectors: read-only once built, so shared by every thread
    (the tokenizer's encode_batch does not change it; padding and truncation stay off)."""

    def __init__(self, tokenizer, vectors) -> None:
        self.tokenizer = tokenizer
        self.vectors = vectors  # (vocabulary, dimensions) float16, not writeable

    def embed(self, texts: list[str]):
        """Unit-length mean token vectors of `texts` (a text with no tokens: all zeros)."""
        import numpy as np

        encodings = self.tokenizer.encode_batch([t[:MAX_CHARS] for t in texts], add_special_tokens=False)
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            if ids.size:
                out[row] = self.vectors[np.clip(ids, 0, self.vectors.shape[0] - 1)].mean(axis=0, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


_lock = threading.Lock()
_loaded = False  # tried to load (whatever came of it)
_model: _Model | None = None


def _load() -> _Model:
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


def _get() -> _Model | None:
    global _loaded, _model
    if not _loaded:
        with _lock:
            if not _loaded:
                try:
                    _model = _load()
                except ImportError as e:
                    logger.info("semantic re-ranking off: the semantic extra is not installed (%s)", e)
                except Exception:
                    logger.warning("semantic re-ranking off: its model did not load", exc_info=True)
                _loaded = True
    return _model


def available() -> bool:
    """Whether the semantic extra is installed and its model loads (loaded once; never raises)."""
    try:
        return _get() is not None
    except Exception:  # pragma: no cover - _get catches everything it expects
        return False


def _lexical_shares(scores: list[float]) -> list[float]:
    """Lexical scores as shares of the best one, in [0, 1]. Both engines score higher-is-better
    and above zero; should one not, the scores are spread over [0, 1] by their range instead."""
    best, worst = max(scores), min(scores)
    if worst > 0:
        return [s / best for s in scores]
    if best == worst:
        return [1.0] * len(scores)
    return [(s - worst) / (best - worst) for s in scores]


def rerank(query: str, candidates: list[tuple[int, float, str]], *, weight: float = WEIGHT) -> list[tuple[int, float]]:
    """(question_id, combined score) of `candidates`, best first.

    `candidates`: (question_id, lexical score, the question's text and details), best first, as
    the lexical ranking gave them; texts read best as plain text (`storage.search.plain` turns
    Slack mrkdwn links into their labels). Candidates with the same combined score keep their lexical
    order. Without the extra, the lexical order and scores come back unchanged.
    """
    if not candidates:
        return []
    if not 0.0 <= weight <= 1.0:
        raise ValueError("weight must be between 0 and 1")
    model = _get()
    if model is None:
        return [(question_id, score) for question_id, score, _ in candidates]
    vectors = model.embed([query] + [text for _, _, text in candidates])
    cosines = (vectors[1:] @ vectors[0]).tolist()
    lexical = _lexical_shares([score for _, score, _ in candidates])
    combined = [(1 - weight) * lex + weight * cos for lex, cos in zip(lexical, cosines)]
    order = sorted(range(len(candidates)), key=lambda i: -combined[i])  # stable: ties stay in lexical order
    return [(candidates[i][0], combined[i]) for i in order]
