"""Issue 23's peak-memory work (bench/results/issue23-memory-2.txt), each behaviour in a real
process or with the real models: the CLI limits glibc's arenas before any command's threads
allocate, the embedded model's child leaves pydantic out, perception gives freed memory back
after each fresh job, and RapidOCR loads each of its models once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chatops.bot.config import PerceptionConfig
from chatops.bot.perception.media import to_media
from chatops.bot.perception.pipeline import Perceiver
from chatops.storage import Store
from tests.screens import terminal_screenshot

ROOT = Path(__file__).resolve().parent.parent

# A command run through `chatops.bot.cli.main` that starts 8 threads, each allocating at the same
# time, and counts glibc's heaps afterwards (malloc_info's <heap nr=…>): the main arena plus one
# per thread that found the others busy, unless the arena count is limited.
ARENAS = textwrap.dedent("""
    import ctypes, json, os, re, sys, tempfile, threading
    sys.path.insert(0, {root!r})
    from chatops.bot import cli

    def command():
        barrier = threading.Barrier(8)
        kept = []

        def allocate():
            barrier.wait()
            for _ in range(2000):
                kept.append(bytearray(3000))

        threads = [threading.Thread(target=allocate) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        libc = ctypes.CDLL("libc.so.6")
        libc.fdopen.restype = ctypes.c_void_p
        libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
        libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.fflush.argtypes = [ctypes.c_void_p]
        with tempfile.TemporaryFile() as out:
            handle = libc.fdopen(os.dup(out.fileno()), b"w")
            libc.malloc_info(0, handle)
            libc.fflush(handle)
            out.seek(0)
            xml = out.read().decode()
        print(json.dumps({{"heaps": len(re.findall(r"<heap nr=", xml))}}))

    cli.app = command
    cli.main()
""")


def heaps_after_main(**env: str) -> int:
    script = ARENAS.format(root=str(ROOT))
    clean = {key: value for key, value in __import__("os").environ.items() if not key.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          check=True, env={**clean, **env})
    return json.loads(done.stdout.splitlines()[-1])["heaps"]


def test_every_command_runs_with_at_most_two_malloc_arenas() -> None:
    """`chatops chat` once ran with glibc's default (8 per core): the arena limit was set by
    `chatops run` only, and the peak-memory bench measures `chat`."""
    assert heaps_after_main() <= 2
    # the control: the operator's own setting wins, and glibc then makes an arena per busy thread
    assert heaps_after_main(MALLOC_ARENA_MAX="8") > 2


def test_the_embedded_models_child_does_not_import_pydantic() -> None:
    """The child runs `python -m chatops.bot.llm.embedded`: the config model it is started with is
    the parent's business; importing it cost the child 20 MB."""
    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import chatops.bot.llm.embedded; "
              "print(sorted(name for name in sys.modules if name.split('.')[0] in ('pydantic', 'pydantic_core')))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


async def test_a_fresh_perception_gives_freed_memory_back_and_a_cached_one_does_not(tmp_path, monkeypatch):
    from chatops.bot import allocator

    trims: list[bool] = []
    real = allocator.trim
    monkeypatch.setattr(allocator, "trim", lambda: trims.append(real()) or trims[-1])
    config = PerceptionConfig()
    store = await Store.open(tmp_path / "cache.db")
    perceiver = Perceiver(config, store=store)
    try:
        shot = to_media("shot.png", terminal_screenshot(), config.allowed_types)
        part = await perceiver.perceive(shot)
        assert part.ok and "kubectl get pods" in part.text
        assert len(trims) == 1  # after the OCR job, in a worker
        again = await perceiver.perceive(to_media("again.png", terminal_screenshot(), config.allowed_types))
        assert again.text == part.text and len(trims) == 1  # from the cache: no job, no trim
    finally:
        perceiver.close()
        await store.close()


def test_rapidocr_loads_each_model_once_and_reads_a_photo() -> None:
    """Its sessions were built by RapidOCR and then replaced by quiet ones: each model loaded
    twice. The sessions counted here are every `onnxruntime.InferenceSession` made, RapidOCR's
    included (it imports the class into its own module)."""
    pytest.importorskip("rapidocr")
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        import onnxruntime
        import rapidocr.inference_engine.onnxruntime.main as ort_main
        made = []

        class Counted(onnxruntime.InferenceSession):
            def __init__(self, path, *args, **kwargs):
                made.append(str(path).rsplit("/", 1)[-1])
                super().__init__(path, *args, **kwargs)

        onnxruntime.InferenceSession = Counted
        ort_main.InferenceSession = Counted
        from chatops.bot.perception.rapidocr_engine import build_rapidocr
        from tests.screens import terminal_screenshot
        from PIL import Image
        import io
        engine = build_rapidocr()
        image = Image.open(io.BytesIO(terminal_screenshot(["$ curl -s http://127.0.0.1:8099/health",
                                                          "curl: (7) Failed to connect"]))).convert("RGB")
        print(json.dumps(made))
        print(json.dumps(list(engine(image).txts)))
        for part in (engine.text_det, engine.text_rec):
            options = part.session.session.get_session_options()
            print(options.get_session_config_entry("session.intra_op.allow_spinning"))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True,
                          cwd=ROOT)
    made, texts, *spinning = done.stdout.strip().splitlines()
    models = json.loads(made)
    assert sorted(re.sub(r"^.*_(det|rec)_.*$", r"\1", name) for name in models) == ["det", "rec"], models
    assert "Failed to connect" in " ".join(json.loads(texts))
    assert spinning == ["0", "0"]  # the quiet sessions are the ones RapidOCR uses


def test_rapidocr_is_released_when_idle_and_a_later_photo_is_still_read() -> None:
    """The engine (~80 MB kept) is dropped `release_after` seconds after its last image, and the
    next image builds it again and reads the same text."""
    pytest.importorskip("rapidocr")
    import time
    from concurrent.futures import ThreadPoolExecutor

    from PIL import Image

    from chatops.bot.config import OCRConfig
    from chatops.bot.perception.image import ImageReader

    shot = terminal_screenshot(["$ curl -s http://127.0.0.1:8099/health", "curl: (7) Failed to connect"])
    image = Image.open(__import__("io").BytesIO(shot)).convert("RGB")
    reader = ImageReader(OCRConfig(engine="rapidocr"), max_pixels=40_000_000, executor=ThreadPoolExecutor(1),
                         release_after=1.0)
    try:
        first = reader.text_of(image)
        assert "8099/health" in first
        assert reader._rapid is not None
        deadline = time.monotonic() + 10
        while reader._rapid is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader._rapid is None  # released once idle
        assert reader.text_of(image) == first  # built again on the next image
        assert reader._rapid is not None
        armed = reader._release_timer
        reader.text_of(image)  # each image restarts the idle timer: the earlier one is cancelled
        assert armed is not None and armed.finished.is_set() and reader._rapid is not None
        assert reader._release_timer is not armed and reader._release_timer.is_alive()
    finally:
        reader.close()
    assert reader.release() is True and reader.release() is False
