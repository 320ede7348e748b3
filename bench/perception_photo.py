"""Photos of screens (issue 26): character error and time per photo, on the tuning sets and on the
held-out set (tests/photo_set.py), for the bot's reader, for plain engines on the same images, and
for each correction stage alone (an ablation).

Sets: `tuning` (the first pass's 15 photos: three screens, tilted from one side, one ripple),
`varied` (the second pass's 15 tuning photos, drawn like the held-out set with another seed and
other screens) and `held-out` (24 photos never tuned on).

Rows:
  bot             `ImageReader.read_bytes` as configured by `--engine` (default: the bot's default,
                  `auto`: a photo goes to RapidOCR on `photo.flatten_colour`)
  bot-tesseract   the reader with engine = "tesseract": `photo.flatten`, `prepare`, Tesseract, lines
                  under 30 % confidence dropped
  tesseract       plain Tesseract on the photo as it is (`tesseract IMG stdout`, its defaults)
  rapidocr        plain RapidOCR 3.x on the photo as it is (the wheel's models, defaults)
  ablation rows   one stage added at a time, same engine calls as above:
    t+ripple            Tesseract (`prepare`, --psm 4) after the ripple cut
    t+ripple+warp       … and the screen found, unwarped and its frame trimmed
    t+ripple+warp+light … and the lighting evened (`even_light`) = bot-tesseract without the
                        confidence filter (`prepare` enlarges small text in every Tesseract row)
    r+ripple            RapidOCR after the ripple cut (colour)
    r+warp              RapidOCR after the unwarp and trim only (no ripple cut)
    r+ripple+warp+light RapidOCR on `photo.flatten` (grey, light evened): the Tesseract picture

CER = jiwer's character error rate against the drawn text, whitespace runs made one space, empty
lines dropped, lines joined by one space. Time = wall time of one read, after one warm-up read
(RapidOCR's model load is not counted). Target: mean CER ≤ 3 % and every photo ≤ 1 s.

`--cache FILE` keeps each row's per-photo figures (JSON), so rows can be run in separate calls
(each under the 3-minute bench limit); `--choice` then reports, per set, how often `auto`'s engine
was the better of the two on a photo (its CER ≤ the other's), from the `bot` and `bot-tesseract`
rows in the cache.

    .venv/bin/python bench/perception_photo.py                       # all sets, the four main rows
    .venv/bin/python bench/perception_photo.py --sets held-out --rows bot --cache /tmp/photos.json
    .venv/bin/python bench/perception_photo.py --cache /tmp/photos.json --choice --rows
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

TARGET_CER = 0.03
TARGET_SECONDS = 1.0


def squash(text: str) -> str:
    return " ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def cer(expected: tuple[str, ...], text: str) -> float:
    import jiwer

    return float(jiwer.cer(squash("\n".join(expected)), squash(text) or "<nothing>"))


def plain_tesseract(data: bytes) -> str:
    done = subprocess.run(["tesseract", "stdin", "stdout"], input=data, capture_output=True, check=True,
                          env={**os.environ, "OMP_THREAD_LIMIT": "1"}, timeout=120)
    return done.stdout.decode("utf-8", errors="replace")


def rows_of(names: list[str], engine: str | None):
    import numpy as np
    from PIL import Image

    from chatops.bot.config import OCRConfig
    from chatops.bot.perception import photo
    from chatops.bot.perception.image import ImageReader
    from chatops.bot.perception.ocr_text import reading_order
    from chatops.bot.perception.rapidocr_engine import build_rapidocr
    from chatops.bot.perception.tesseract_ocr import prepare, tesseract

    pool = ThreadPoolExecutor(max_workers=1)
    reader = ImageReader(OCRConfig(**({"engine": engine} if engine else {})), max_pixels=40_000_000, executor=pool)
    rapid = None

    def bot(data: bytes) -> str:
        return reader.read_bytes(data).text

    def rapidocr(data: bytes) -> str:
        nonlocal rapid
        rapid = rapid or build_rapidocr()
        result = rapid(Image.open(io.BytesIO(data)).convert("RGB"))
        if not result.txts:
            return ""
        words = [(min(p[0] for p in box), min(p[1] for p in box), max(p[1] for p in box), str(text))
                 for box, text in zip(result.boxes, result.txts, strict=False)]
        return "\n".join(reading_order(words))

    tesseract_reader = ImageReader(OCRConfig(engine="tesseract"), max_pixels=40_000_000, executor=pool)

    def rapid_on(picture) -> str:
        nonlocal rapid
        rapid = rapid or build_rapidocr()
        result = rapid(np.ascontiguousarray(np.asarray(picture.convert("RGB"))))
        if not result.txts:
            return ""
        words = [(min(p[0] for p in box), min(p[1] for p in box), max(p[1] for p in box), str(text))
                 for box, text in zip(result.boxes, result.txts, strict=False)]
        return "\n".join(reading_order(words))

    def staged(engine: str, *stages: str):
        def read(data: bytes) -> str:
            picture = Image.open(io.BytesIO(data)).convert("RGB")
            if engine == "tesseract":
                gray = np.asarray(picture.convert("L"))
                if "ripple" in stages:
                    gray = photo.remove_ripple(gray)
                if "warp" in stages:
                    corners = photo.screen_corners(gray)
                    if corners is not None:
                        gray = photo.trim_bezel(photo.unwarp(gray, corners))
                if "light" in stages:
                    gray = photo.even_light(gray)
                return tesseract(prepare(Image.fromarray(gray)))
            if "light" in stages:
                return rapid_on(photo.flatten(picture))
            rgb = np.asarray(picture)
            gray = np.asarray(picture.convert("L"))
            if "ripple" in stages:
                mask = photo.ripple_mask(gray)
                if mask is not None:
                    gray = photo.notched(gray, mask)
                    rgb = np.dstack([photo.notched(np.ascontiguousarray(rgb[..., k]), mask) for k in range(3)])
            if "warp" in stages:
                corners = photo.screen_corners(gray)
                if corners is not None:
                    top, bottom, left, right = photo.bezel_box(photo.unwarp(gray, corners))
                    rgb = photo.unwarp(np.ascontiguousarray(rgb), corners)[top:bottom, left:right]
            return rapid_on(Image.fromarray(np.ascontiguousarray(rgb)))
        return read

    table = {"bot": bot, "bot-tesseract": lambda data: tesseract_reader.read_bytes(data).text,
             "tesseract": plain_tesseract, "rapidocr": rapidocr,
             "t+ripple": staged("tesseract", "ripple"), "t+ripple+warp": staged("tesseract", "ripple", "warp"),
             "t+ripple+warp+light": staged("tesseract", "ripple", "warp", "light"),
             "r+ripple": staged("rapidocr", "ripple"), "r+warp": staged("rapidocr", "warp"),
             "r+ripple+warp+light": staged("rapidocr", "light")}
    return {name: table[name] for name in names}


def measure(photos, read) -> list[tuple[str, float, float, str]]:
    read(photos[0].data)  # warm-up: models loaded, caches filled
    results = []
    for photo in photos:
        started = time.perf_counter()
        text = read(photo.data)
        results.append((photo.name, cer(photo.lines, text), time.perf_counter() - started, text))
    return results


ROWS = ["bot", "bot-tesseract", "tesseract", "rapidocr", "t+ripple", "t+ripple+warp", "t+ripple+warp+light",
        "r+ripple", "r+warp", "r+ripple+warp+light"]


def choice_report(cache: dict) -> None:
    """How often `auto`'s engine (RapidOCR for a photo) read a photo at least as well as the other."""
    print("\n## choice: auto's engine against the other, per photo (from the cache)")
    for set_name, rows in cache.items():
        if "bot" not in rows or "bot-tesseract" not in rows:
            continue
        chosen, other = rows["bot"], rows["bot-tesseract"]
        names = [name for name in chosen if name in other]
        right = [name for name in names if chosen[name][0] <= other[name][0]]
        best = statistics.mean(min(chosen[n][0], other[n][0]) for n in names)
        print(f"{set_name:<9} chosen engine at least as good on {len(right)}/{len(names)} photos; "
              f"mean CER chosen {statistics.mean(chosen[n][0] for n in names):.1%}, "
              f"other {statistics.mean(other[n][0] for n in names):.1%}, best of both per photo {best:.1%}")
        for name in names:
            if name not in right:
                print(f"    worse: {name} chosen {chosen[name][0]:.1%} other {other[name][0]:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["tuning", "varied", "held-out"],
                        choices=["tuning", "varied", "held-out"])
    parser.add_argument("--rows", nargs="*", default=["bot", "bot-tesseract", "tesseract", "rapidocr"], choices=ROWS)
    parser.add_argument("--engine", choices=["auto", "tesseract", "rapidocr"], default=None)
    parser.add_argument("--each", action="store_true", help="print every photo's figures")
    parser.add_argument("--cache", type=Path, help="JSON file keeping each row's per-photo figures")
    parser.add_argument("--choice", action="store_true", help="report auto's choice from the cache")
    args = parser.parse_args()

    import json

    from tests.photo_set import held_out_photos, tuning_photos, varied_tuning_photos

    cache = json.loads(args.cache.read_text()) if args.cache and args.cache.exists() else {}
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} {platform.node()} python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; CT2/ORT defaults")
    readers = rows_of(args.rows, args.engine)
    sets = {"tuning": tuning_photos, "varied": varied_tuning_photos, "held-out": held_out_photos}
    for set_name in args.sets if readers else []:
        photos = sets[set_name]()
        print(f"\n## {set_name}: {len(photos)} photos")
        print(f"{'row':<20} {'mean CER':>9} {'median':>7} {'worst':>7} {'≤3 %':>6} {'mean s':>7} {'max s':>7}")
        for row, read in readers.items():
            results = measure(photos, read)
            errors, seconds = [r[1] for r in results], [r[2] for r in results]
            print(f"{row:<20} {statistics.mean(errors):>8.1%} {statistics.median(errors):>7.1%} "
                  f"{max(errors):>7.1%} {sum(e <= TARGET_CER for e in errors):>3}/{len(errors):<2} "
                  f"{statistics.mean(seconds):>7.2f} {max(seconds):>7.2f}", flush=True)
            if args.each:
                for name, error, took, _ in results:
                    print(f"    {name:<28} {error:6.1%} {took:5.2f} s")
            cache.setdefault(set_name, {})[row] = {name: [error, took] for name, error, took, _ in results}
            if args.cache:
                args.cache.write_text(json.dumps(cache))
    if args.choice:
        choice_report(cache)


if __name__ == "__main__":
    main()
