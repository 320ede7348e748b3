"""Video perception time on a generated 1-minute 720p screen recording, beside bare PyAV decode and
bare Tesseract on the same frames.

The clip (made with the system ffmpeg from tests/clips.py): 1280×720 H.264 + AAC at `--fps`, twelve
screens of 5 s each (a terminal filling up with commands and errors, an error dialog, a
dashboard), with espeak-ng speech over the first ~20 s. Its known on-screen error lines are checked
against the timeline: each must be found (exactly, or with OCR slips such as "10.20,30.42": at
least 90 % alike), dated within 1 s of when it appeared.

Rows:
  pipeline      `Perceiver.perceive` of the clip: probe, audio decode + Whisper (the video model,
                `whisper.video_model`: base by default), scene change detection over every frame,
                Tesseract on each scene, dedupe (models loaded before timing)
  bare decode   PyAV decoding every video frame, nothing else
  bare ocr      Tesseract (the bot's preprocessing) on the frames the pipeline read

Target: pipeline ≤ 1× the clip's length on 2 cores. A missed target is reported, not an error.

    .venv/bin/python bench/perception_video.py            # 60 s at 30 fps
    .venv/bin/python bench/perception_video.py --fps 10 --seconds 30
    .venv/bin/python bench/perception_video.py --whisper base   # base for voice notes too (whisper-base extra)
    .venv/bin/python bench/perception_video.py --video-model same   # videos heard by the voice model (tiny.en)
    .venv/bin/python bench/perception_video.py --talk   # speech over the whole clip, not the first ~20 s
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import io  # noqa: E402
import time  # noqa: E402
from difflib import SequenceMatcher  # noqa: E402

NAMES = ["payments", "checkout", "ledger", "search", "billing", "accounts", "gateway", "reports", "invoices",
         "shipping", "catalog", "pricing"]


def screens(count: int) -> list[tuple[bytes, list[tuple[str, int]]]]:
    """`count` screens; each with the error lines that first appear on it."""
    from tests.screens import dashboard_screenshot, error_dialog_screenshot, terminal_screenshot

    lines = ["$ kubectl get pods -n payments", "payments-api-7d9f8b6c5-x2k4q   0/1   CrashLoopBackOff   6   14m"]
    made: list[tuple[bytes, list[str]]] = []
    for index in range(count):
        if index == count // 2:
            made.append((error_dialog_screenshot(), ["DEPLOY_HEALTHCHECK_FAILED"]))
        elif index == count - 1:
            made.append((dashboard_screenshot(), []))
        else:
            name = NAMES[index % len(NAMES)]
            new = [f"$ curl -s https://{name}.example.com/health",
                   f"ERROR {name} connect ECONNREFUSED 10.20.30.{40 + index}:8443"]
            lines = (lines + new)[-26:]
            made.append((terminal_screenshot(lines), [new[1]]))
    return made


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--talk", action="store_true",
                        help="speech over the whole clip (the worst case for Whisper's time), not ~20 s")
    parser.add_argument("--whisper", help='perception.whisper.model, e.g. "base" (default: the default, tiny.en)')
    parser.add_argument("--video-model", help='perception.whisper.video_model: "same" or "base" (default: the default)')
    args = parser.parse_args()

    import av

    from chatops.bot.config import PerceptionConfig
    from chatops.bot.perception.pipeline import Perceiver
    from chatops.bot.perception.tesseract_ocr import prepare, tesseract
    from chatops.bot.perception.types import MediaFile
    from tests.clips import clip

    shown = 5
    made = screens(args.seconds // shown)
    speech = ("this is the deploy of the payments service this morning, the pods keep crashing and "
              "every health check after the rollout is refused, please look at the errors on screen")
    if args.talk:  # espeak-ng at 150 words a minute: ~2.3 words a second of clip, less the 1 s lead-in
        words = speech.split()
        speech = " ".join(words[i % len(words)] for i in range(int((args.seconds - 2) * 2.3)))
    started = time.perf_counter()
    data = clip([(png, shown) for png, _ in made], speech=speech, speech_at=1.0, fps=args.fps)
    print(f"clip: {args.seconds} s, 1280×720, {args.fps} fps, {len(data) / 1e6:.1f} MB "
          f"(made in {time.perf_counter() - started:.1f} s)")

    config = PerceptionConfig()
    if args.whisper:
        config.whisper.model = args.whisper
    if args.video_model:
        config.whisper.video_model = args.video_model
    perceiver = Perceiver(config)
    print(f"whisper model: {config.whisper.model}; videos heard by: {perceiver.video_transcriber.config.model}")
    perceiver.transcriber.load()
    perceiver.video_transcriber.load()  # warm, as the rows below say (the cold load: bench/video_cold.py)
    perceiver.image_reader.load()
    started = time.perf_counter()
    part = await perceiver.perceive(MediaFile("bench.mp4", data, "video/mp4"))
    pipeline = time.perf_counter() - started
    perceiver.close()

    started = time.perf_counter()
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = sum(1 for _ in container.decode(stream))
    decode = time.perf_counter() - started

    from chatops.bot.perception.frames import scan

    picked = scan(data, max_seconds=args.seconds, max_frames=30, threshold=PerceptionConfig().video.scene_change)
    started = time.perf_counter()
    for screen in picked.screens:
        tesseract(prepare(screen.image))
    ocr = time.perf_counter() - started

    timeline = [(e["at"], e["text"]) for e in part.details.get("timeline", []) if e["kind"] == "on screen"]
    found = near = dated = expected = 0
    for index, (_, errors) in enumerate(made):
        for line in errors:
            expected += 1
            exact = [at for at, text in timeline if line in text]
            scored = [(max(SequenceMatcher(None, line, read).ratio() for read in text.splitlines()), at)
                      for at, text in timeline]
            best, at = max(scored, default=(0.0, -1.0))  # the most alike line: others differ in a name only
            found += bool(exact)
            near += bool(exact) or best >= 0.9
            when = exact[0] if exact else at if best >= 0.9 else None
            dated += when is not None and abs(when - index * shown) <= 1.0
            if best < 0.9 and not exact:
                print(f"not found: {line!r} (shown from {index * shown} s)")
    print(f"{'pipeline':<12} {pipeline:6.1f} s  ({pipeline / args.seconds:.2f}× the clip; "
          f"{part.details.get('frames_read')} frames read) {'OK' if pipeline <= args.seconds else 'MISSED'}")
    print(f"{'bare decode':<12} {decode:6.1f} s  ({frames} frames)")
    print(f"{'bare ocr':<12} {ocr:6.1f} s  ({len(picked.screens)} frames)")
    print(f"error lines found: {found}/{expected} exactly, {near}/{expected} with OCR slips (≥ 90 % alike), "
          f"dated within 1 s: {dated}/{expected}")
    print(f"notes: {part.details.get('notes')}")
    heard = part.details.get("heard") or ""
    print(f"speech: {len(speech.split())} words said, {len(heard.split())} heard"
          f"{'' if not args.talk else f' (WER {_wer(speech, heard):.2f})'}")


def _wer(reference: str, heard: str) -> float:
    from tests.media import wer

    return wer(reference, heard)


if __name__ == "__main__":
    asyncio.run(main())
