"""RapidOCR's share of the bot's memory (issue 23, memory pass 14): what building the engine keeps,
what reading a photo adds for the moment, what a release gives back, and the time per photo,
for onnxruntime settings compared interleaved.

    .venv/bin/python bench/ocr_memory.py                       # 3 rounds, 5 photos each, ~2 min
    .venv/bin/python bench/ocr_memory.py --rounds 5 --photos 8

Each round runs one fresh process per variant, in alternating order (A B, then B A, …). A process
limits glibc's arenas as `chatops` does, corrects the held-out photos first (`flatten_colour`, the
colour picture RapidOCR is given: its arrays are not counted), then, with a 5 ms sampler of its own
RSS: builds the engine as the bot does (`ImageReader`, engine "rapidocr"), reads the photos one
after another (the first photo and the later ones apart: onnxruntime's first run plans its
memory), drops the engine (`ImageReader.release`) and trims, and builds it again. Time is the
RapidOCR call alone (wall), so a slowdown is not diluted by the photo correction.

Variants:
  default       the bot's sessions (`quiet_sessions`: CPU arena off, memory pattern on)
  no-pattern    the same with onnxruntime's `enable_mem_pattern = False`
  arena         the CPU arena on (onnxruntime's own default), memory pattern on
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ("default", "no-pattern", "arena")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Sampler:
    """The process's highest RSS since the last `reset`, sampled every 5 ms in a thread."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def reset(self) -> float:
        now = rss_mb()
        self.peak = now
        return now

    def stop(self) -> None:
        self._stop.set()


def patch_sessions(variant: str) -> None:
    """Change the sessions `quiet_sessions` makes, without touching the bot's code."""
    if variant == "default":
        return
    import onnxruntime

    real = onnxruntime.InferenceSession

    def session(path: Any, sess_options: Any = None, **kwargs: Any) -> Any:
        if sess_options is not None and variant == "no-pattern":
            sess_options.enable_mem_pattern = False
        if sess_options is not None and variant == "arena":
            sess_options.enable_cpu_mem_arena = True
        return real(path, sess_options=sess_options, **kwargs)

    onnxruntime.InferenceSession = session  # type: ignore[misc]


def worker(variant: str, photos: int) -> dict[str, Any]:
    from chatops.bot.allocator import limit_arenas, trim

    limit_arenas()
    from concurrent.futures import ThreadPoolExecutor

    import onnxruntime  # noqa: F401 -- imported before the baseline is read, as in the bot at its peak
    import rapidocr  # noqa: F401

    from chatops.bot.config import OCRConfig
    from chatops.bot.perception.image import ImageReader
    from chatops.bot.perception.image_file import decoded, open_image
    from chatops.bot.perception.photo import flatten_colour
    from tests.photo_set import held_out_photos

    patch_sessions(variant)
    chosen = list(held_out_photos())[:photos]
    pictures = [flatten_colour(decoded(open_image(photo.data, 40_000_000))) for photo in chosen]
    gc.collect()
    trim()
    sampler = Sampler()
    reader = ImageReader(OCRConfig(engine="rapidocr"), max_pixels=40_000_000, executor=ThreadPoolExecutor(1),
                         release_after=0)
    before = sampler.reset()
    started = time.perf_counter()
    reader.load()
    build_s = time.perf_counter() - started
    built = rss_mb()
    result: dict[str, Any] = {"variant": variant, "build_kept": built - before, "build_peak": sampler.peak - before,
                              "build_s": build_s, "photo_peak": [], "photo_s": [], "after_photos": 0.0}
    for picture in pictures:
        start_rss = sampler.reset()
        started = time.perf_counter()
        reader._rapid_ocr(picture)
        result["photo_s"].append(time.perf_counter() - started)
        result["photo_peak"].append(sampler.peak - start_rss)
    result["after_photos"] = rss_mb() - before
    released_at = rss_mb()
    reader.release()
    gc.collect()
    trim()
    result["released"] = released_at - rss_mb()
    started = time.perf_counter()
    reader.load()
    result["rebuild_s"] = time.perf_counter() - started
    started = time.perf_counter()
    reader._rapid_ocr(pictures[0])
    result["first_photo_after_rebuild_s"] = time.perf_counter() - started
    sampler.stop()
    return result


def spread(values: list[float], unit: str = "", digits: int = 0) -> str:
    return " / ".join(f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values))) + unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--variants", default="default,no-pattern", help=f"comma-separated, of {VARIANTS}")
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.photos)))
        return
    variants = args.variants.split(",")
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "")}
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}, "
          f"{args.rounds} rounds × {args.photos} held-out photos, variants {variants}", flush=True)
    for round_number in range(args.rounds):
        order = variants if round_number % 2 == 0 else variants[::-1]
        for variant in order:
            out = subprocess.run([sys.executable, __file__, "--worker", variant, "--photos", str(args.photos)],
                                 env=env, capture_output=True, text=True, check=True)
            runs[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'(min / median / max of the rounds)':36}" + "".join(f"{v:>26}" for v in variants))
    rows = [
        ("build: kept (MB)", lambda r: r["build_kept"], 0, ""),
        ("build: peak over start (MB)", lambda r: r["build_peak"], 0, ""),
        ("first photo: transient (MB)", lambda r: r["photo_peak"][0], 0, ""),
        ("later photos: transient, max (MB)", lambda r: max(r["photo_peak"][1:]), 0, ""),
        ("kept after the photos (MB)", lambda r: r["after_photos"], 0, ""),
        ("given back by a release (MB)", lambda r: r["released"], 0, ""),
        ("time per photo, median (s)", lambda r: statistics.median(r["photo_s"]), 3, ""),
        ("first photo (s)", lambda r: r["photo_s"][0], 3, ""),
        ("rebuild after a release (s)", lambda r: r["rebuild_s"], 3, ""),
        ("first photo after a rebuild (s)", lambda r: r["first_photo_after_rebuild_s"], 3, ""),
    ]
    for label, value, digits, unit in rows:
        print(f"{label:36}" + "".join(f"{spread([value(r) for r in runs[v]], unit, digits):>26}" for v in variants))
    base = variants[0]
    for variant in variants[1:]:
        ratios = [statistics.median(b["photo_s"]) / statistics.median(a["photo_s"])
                  for a, b in zip(runs[base], runs[variant], strict=True)]
        print(f"time per photo, {variant} / {base} (per round): {spread(ratios, digits=2)}")


if __name__ == "__main__":
    main()
