"""Photos of screens (issue 26): where a photo's time goes, stage by stage, and the RapidOCR
settings before and after the speed pass, interleaved photo by photo (load on this shared machine
changes by the minute, so rows run one after the other would measure the load, not the code).

For each photo of a set (tests/photo_set.py), in alternating order:
  before  RapidOCR as the first version built it: the library's detector sizing (short side
          scaled up to 736 px) and onnxruntime's default spinning worker threads
  after   `image.build_rapidocr()` as it is now (long side capped, threads that sleep)
Both read the same corrected colour picture (`photo.flatten_colour`). For `after`, each stage of
`ImageReader.read_bytes` is timed too: decode, photo test, ripple mask, notch (4 DFT pairs),
screen corners + unwarp + bezel, light, RapidOCR detection and recognition (its own
`elapse_list`). Wall seconds min/median/max, and CPU seconds (all threads; unlike wall time,
load barely moves it), plus the mean character error of both.

    .venv/bin/python bench/photo_stages.py --set varied
    .venv/bin/python bench/photo_stages.py --set held-out
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=["varied", "held-out", "dashboards"], default="varied")
    args = parser.parse_args()

    import logging

    import cv2
    import numpy as np
    from PIL import Image
    from rapidocr import RapidOCR

    from bench.perception_photo import cer
    from chatops.bot.perception import photo
    from chatops.bot.perception.image_file import decoded, open_image
    from chatops.bot.perception.ocr_text import reading_order
    from chatops.bot.perception.rapidocr_engine import build_rapidocr, rapidocr_model_files
    from tests.photo_set import held_out_photos, varied_dashboard_photos, varied_tuning_photos

    photos = {"varied": varied_tuning_photos, "held-out": held_out_photos,
              "dashboards": varied_dashboard_photos}[args.set]()
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    models = rapidocr_model_files()
    engines = {"before": RapidOCR(params={"Global.use_cls": False, "Global.log_level": "error",
                                          "Det.model_path": models["det"], "Rec.model_path": models["rec"]}),
               "after": build_rapidocr()}

    def text(result) -> str:
        if not result.txts:
            return ""
        words = [(min(p[0] for p in box), min(p[1] for p in box), max(p[1] for p in box), str(t))
                 for box, t in zip(result.boxes, result.txts, strict=False)]
        return "\n".join(reading_order(words))

    def corrected(data: bytes, stages: dict[str, list[float]] | None) -> Image.Image:
        def lap(name: str, started: float) -> float:
            now = time.perf_counter()
            if stages is not None:
                stages.setdefault(name, []).append(now - started)
            return now

        t = time.perf_counter()
        image = open_image(data, 40_000_000)
        rgb_image = decoded(image)
        t = lap("decode", t)
        photo.looks_like_photo(image, rgb_image)
        t = lap("photo test", t)
        rgb = np.asarray(rgb_image.convert("RGB"))
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        mask = photo.ripple_mask(gray)
        t = lap("ripple mask", t)
        if mask is not None:
            gray = photo.notched(gray, mask)
            rgb = np.dstack([photo.notched(np.ascontiguousarray(rgb[..., c]), mask) for c in range(3)])
        t = lap("notch", t)
        corners = photo.screen_corners(gray)
        if corners is not None:
            rgb = photo.unwarp(np.ascontiguousarray(rgb), corners)
            top, bottom, left, right = photo.bezel_box(photo.unwarp(gray, corners))
            rgb = rgb[top:bottom, left:right]
        t = lap("corners+unwarp", t)
        out = photo.even_light_colour(np.ascontiguousarray(rgb))
        lap("light", t)
        return Image.fromarray(out)  # as the bot gives it (a numpy array would be taken as BGR)

    for engine in engines.values():  # warm-up: sessions built, arenas filled
        engine(corrected(photos[0].data, None))
    stages: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {name: [] for name in engines}
    cpu: dict[str, list[float]] = {name: [] for name in engines}
    errors: dict[str, list[float]] = {name: [] for name in engines}
    load_start = os.getloadavg()[0]
    started_at = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    for index, item in enumerate(photos):
        order = list(engines) if index % 2 == 0 else list(engines)[::-1]
        for name in order:
            w0, c0 = time.perf_counter(), time.process_time()
            picture = corrected(item.data, stages if name == "after" else None)
            o0 = time.perf_counter()
            result = engines[name](picture)
            if name == "after":
                elapsed = [x or 0.0 for x in result.elapse_list]
                stages.setdefault("RapidOCR detection", []).append(elapsed[0])
                stages.setdefault("RapidOCR recognition", []).append(elapsed[2])
                stages.setdefault("RapidOCR other", []).append(time.perf_counter() - o0 - elapsed[0] - elapsed[2])
            wall[name].append(time.perf_counter() - w0)
            cpu[name].append(time.process_time() - c0)
            errors[name].append(cer(item.lines, text(result)))
    ended_at = time.strftime("%H:%M:%S UTC", time.gmtime())
    print(f"# bench/photo_stages.py --set {args.set}: {len(photos)} photos, {started_at} – {ended_at}, "
          f"{platform.node()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"load {load_start:.1f} → {os.getloadavg()[0]:.1f}")
    print(f"{'reader':<8} {'mean CER':>9} {'≤3 %':>6}  {'wall min / med / max':>22}  {'CPU min / med / max':>20}")
    for name in engines:
        w, c, e = wall[name], cpu[name], errors[name]
        print(f"{name:<8} {statistics.mean(e):>8.2%} {sum(x <= 0.03 for x in e):>3}/{len(e):<2}  "
              f"{min(w):6.2f} / {statistics.median(w):5.2f} / {max(w):5.2f}  "
              f"{min(c):5.2f} / {statistics.median(c):5.2f} / {max(c):5.2f}")
    print(f"\n{'stage (after)':<22} {'min':>6} {'median':>7} {'max':>6}  seconds wall")
    for name, values in stages.items():
        print(f"{name:<22} {min(values):6.3f} {statistics.median(values):7.3f} {max(values):6.3f}")


if __name__ == "__main__":
    main()
