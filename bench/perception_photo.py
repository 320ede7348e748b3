"""Photos of screens (issue 26): character error and time per photo, on the tuning set and on the
held-out set (tests/photo_set.py), for the bot's reader and for plain engines on the same images.

Rows per set:
  bot           `ImageReader.read_bytes` as configured by `--engine` (default: the bot's default):
                photo detected, corrected (bot.perception.photo), then OCR
  tesseract     plain Tesseract on the photo as it is (`tesseract IMG stdout`, its defaults)
  rapidocr      plain RapidOCR 3.x on the photo as it is (the wheel's models, defaults)

CER = jiwer's character error rate against the drawn text, whitespace runs made one space, empty
lines dropped, lines joined by one space. Time = wall time of one read, after one warm-up read
(RapidOCR's model load is not counted). Target: mean CER ≤ 3 % and every photo ≤ 1 s.

    .venv/bin/python bench/perception_photo.py                       # both sets, all rows
    .venv/bin/python bench/perception_photo.py --sets held-out --rows bot
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
    from PIL import Image

    from chatops.bot.config import OCRConfig
    from chatops.bot.perception.image import ImageReader, build_rapidocr, reading_order

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

    table = {"bot": bot, "tesseract": plain_tesseract, "rapidocr": rapidocr}
    return {name: table[name] for name in names}


def measure(photos, read) -> list[tuple[str, float, float, str]]:
    read(photos[0].data)  # warm-up: models loaded, caches filled
    results = []
    for photo in photos:
        started = time.perf_counter()
        text = read(photo.data)
        results.append((photo.name, cer(photo.lines, text), time.perf_counter() - started, text))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["tuning", "held-out"], choices=["tuning", "held-out"])
    parser.add_argument("--rows", nargs="+", default=["bot", "tesseract", "rapidocr"],
                        choices=["bot", "tesseract", "rapidocr"])
    parser.add_argument("--engine", choices=["tesseract", "rapidocr"], default=None)
    parser.add_argument("--each", action="store_true", help="print every photo's figures")
    args = parser.parse_args()

    from tests.photo_set import held_out_photos, tuning_photos

    print(f"# {time.strftime('%Y-%m-%d %H:%M')} {platform.node()} python {platform.python_version()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; CT2/ORT defaults")
    readers = rows_of(args.rows, args.engine)
    sets = {"tuning": tuning_photos, "held-out": held_out_photos}
    for set_name in args.sets:
        photos = sets[set_name]()
        print(f"\n## {set_name}: {len(photos)} photos")
        print(f"{'row':<10} {'mean CER':>9} {'median':>7} {'worst':>7} {'≤3 %':>6} {'mean s':>7} {'max s':>7}")
        for row, read in readers.items():
            results = measure(photos, read)
            errors, seconds = [r[1] for r in results], [r[2] for r in results]
            print(f"{row:<10} {statistics.mean(errors):>8.1%} {statistics.median(errors):>7.1%} "
                  f"{max(errors):>7.1%} {sum(e <= TARGET_CER for e in errors):>3}/{len(errors):<2} "
                  f"{statistics.mean(seconds):>7.2f} {max(seconds):>7.2f}", flush=True)
            if args.each:
                for name, error, took, _ in results:
                    print(f"    {name:<28} {error:6.1%} {took:5.2f} s")


if __name__ == "__main__":
    main()
