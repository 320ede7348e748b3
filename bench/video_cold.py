"""Time to the first video with the speech model cold, and what releasing the video model gives back
(issue 26, `whisper.video_model`).

Each run is a fresh process of one checkout with its default `PerceptionConfig` and the voice model
loaded first (as `perception.preload`, or any bot that has heard a note): the first clip then pays
for whatever the video path still has to load (with `video_model = "base"`: base, ~145 MB read from
the page cache), the second clip is warm. In this checkout the video model is then released
(`Transcriber.release`) and the process's RSS read before and after, and a third clip times the
load again after a release. `--against DIR` runs another checkout's code (PYTHONPATH) in turn with
this one, interleaved, and prints both with the ratio of the medians.

    .venv/bin/python bench/video_cold.py --runs 3 --against /path/to/main-checkout
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import asyncio, json, sys, time
from pathlib import Path

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

async def main():
    from chatops.bot.config import PerceptionConfig
    from chatops.bot.perception.pipeline import Perceiver
    from chatops.bot.perception.types import MediaFile
    data = Path(sys.argv[1]).read_bytes()
    perceiver = Perceiver(PerceptionConfig())
    started = time.perf_counter()
    await perceiver.preload()
    out = {"voice_load": time.perf_counter() - started}
    for key in ("first", "second"):
        started = time.perf_counter()
        part = await perceiver.perceive(MediaFile(f"{key}.mp4", data, "video/mp4"))
        out[key] = time.perf_counter() - started
        assert part.ok and part.kind == "video", part.text
    out["model"] = part.details["model"]
    out["heard"] = part.details["heard"]
    video = getattr(perceiver, "video_transcriber", None)
    if video is not None and video is not perceiver.transcriber:
        out["rss_loaded"] = rss_mb()
        video.release()
        out["rss_released"] = rss_mb()
        started = time.perf_counter()
        await perceiver.perceive(MediaFile("third.mp4", data, "video/mp4"))
        out["after_release"] = time.perf_counter() - started
    perceiver.close()
    print(json.dumps(out))

asyncio.run(main())
"""


def one_run(code: Path, clip_path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(clip_path)], capture_output=True, text=True, env=env,
                          cwd=code, timeout=600)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.machine import stamp
    from tests.clips import clip
    from tests.screens import error_dialog_screenshot, terminal_screenshot

    measured = stamp()
    data = clip([(terminal_screenshot(["$ kubectl rollout status deploy/payments",
                                       "error: deployment exceeded its progress deadline"]), 5),
                 (error_dialog_screenshot(), 5)],
                speech="the rollout of the payments service is stuck again, look at this dialog", speech_at=1.0)
    clip_path = Path("/tmp") / f"video-cold-{os.getpid()}.mp4"
    clip_path.write_bytes(data)
    codes = {"baseline": args.against.resolve(), "this": ROOT} if args.against else {"this": ROOT}
    found: dict[str, list[dict]] = {label: [] for label in codes}
    try:
        for _ in range(args.runs):  # interleaved: baseline, this, baseline, this, …
            for label, code in codes.items():
                found[label].append(one_run(code, clip_path))
    finally:
        clip_path.unlink(missing_ok=True)
    print(f"# bench/video_cold.py --runs {args.runs}: a 10 s 720p clip with speech; {measured.done().line()}")
    for label, runs in found.items():
        print(f"## {label}: {codes[label]} (video heard by {runs[0]['model']}: {runs[0]['heard']!r})")
        print(f"voice model load {spread([r['voice_load'] for r in runs])} s; first video (cold) "
              f"{spread([r['first'] for r in runs])} s; second (warm) {spread([r['second'] for r in runs])} s "
              f"(min / median / max of {len(runs)})")
        if "rss_loaded" in runs[0]:
            given = [r["rss_loaded"] - r["rss_released"] for r in runs]
            print(f"video model released: RSS {spread([r['rss_loaded'] for r in runs])} -> "
                  f"{spread([r['rss_released'] for r in runs])} MB (given back {spread(given)} MB); the next clip "
                  f"after a release {spread([r['after_release'] for r in runs])} s")
    if args.against:
        base = statistics.median(r["first"] for r in found["baseline"])
        this = statistics.median(r["first"] for r in found["this"])
        warm = statistics.median(r["second"] for r in found["this"]) / statistics.median(
            r["second"] for r in found["baseline"])
        print(f"ratio this/baseline, medians: first video {this / base:.2f}x, second video {warm:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
