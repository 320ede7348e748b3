"""How often Tesseract reads a test server's URL exactly off a terminal screenshot, over many ports.

Several tests (tests/http/test_followups.py, tests/test_provenance.py, tests/http/test_video_upload.py)
draw `$ curl -sI http://127.0.0.1:PORT/…` on a screenshot and assert that the plan checks exactly
that URL. The port is the test server's, a new one each run, so the drawn digits change from run to
run: a misread digit on one port in a hundred is a flaky test. This reads the same screens, made the
same way, for `--ports` ports from the kernel's ephemeral range (seeded), with the product's reader
(`ImageReader.text_of`, the default engine), and counts the exact reads per font size.

    .venv/bin/python bench/ocr_urls.py --ports 60 --sizes 16,20
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from chatops.bot.config import OCRConfig  # noqa: E402
from chatops.bot.perception.image import ImageReader  # noqa: E402
from chatops.bot.perception.image_file import decoded, open_image  # noqa: E402
from tests.screens import terminal_screenshot  # noqa: E402


def screens(url: str, font_size: int) -> dict[str, list[str]]:
    """The screens the tests draw (the video's second frame as a still)."""
    return {
        "followups": [f"$ curl -sI {url}/health", "HTTP/1.1 502 Bad Gateway"],
        "provenance": ["$ systemctl status nginx",
                       "* nginx.service - A high performance web server and a reverse proxy server",
                       "     Active: failed (Result: exit-code) since Tue 2026-11-24 09:12:03 UTC",
                       "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)",
                       f"$ curl -sI {url}/broken", "HTTP/1.1 502 Bad Gateway"],
        "video_upload": ["$ systemctl status nginx", "Active: active (running)", f"$ curl -sI {url}/broken",
                         "HTTP/1.1 502 Bad Gateway"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ports", type=int, default=60)
    parser.add_argument("--sizes", default="16")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ports = random.Random(args.seed).sample(range(32768, 61000), args.ports)
    with ThreadPoolExecutor(max_workers=1) as pool:
        reader = ImageReader(OCRConfig(), max_pixels=40_000_000, executor=pool)
        for size in (int(s) for s in args.sizes.split(",")):
            exact: dict[str, int] = {}
            misses: list[str] = []
            started = time.monotonic()
            for port in ports:
                url = f"http://127.0.0.1:{port}"
                for name, lines in screens(url, size).items():
                    data = terminal_screenshot(lines, font_size=size)
                    text = reader.text_of(decoded(open_image(data, 40_000_000)))
                    wanted = next(line for line in lines if "curl" in line).split(" ", 3)[-1]
                    if wanted in text:
                        exact[name] = exact.get(name, 0) + 1
                    else:
                        got = next((line for line in text.splitlines() if "curl" in line), "(no curl line)")
                        misses.append(f"{name} {wanted} -> {got}")
            seconds = time.monotonic() - started
            print(f"font {size}px: " + ", ".join(f"{name} {exact.get(name, 0)}/{len(ports)}"
                                                 for name in screens("", size)) + f"  ({seconds:.0f} s)")
            for miss in misses:
                print(f"    missed: {miss}")


if __name__ == "__main__":
    main()
