"""Reading a picture with the Tesseract binary: the picture prepared for it, then read in a subprocess.

The Debian `tesseract-ocr` binary runs as a subprocess per image in the perception worker pool:
about 0.6–0.8 s and 1–2 % character error on a dense 1280×720 terminal screenshot, 0.2–0.3 s on a
dialog or dashboard, ~50 MiB per process (figures: `bench/perception_image.py`, 2 cores).

Why a subprocess rather than pytesseract: pytesseract is itself a wrapper that writes temporary
files and runs the same binary; calling it directly feeds the image through stdin (no files),
sets `OMP_THREAD_LIMIT=1` and a timeout, and needs no extra package.

Preprocessing, measured on rendered terminal, dialog and dashboard screenshots:
grayscale; dark themes inverted to dark-on-light (Tesseract is ~40 % faster on it), taking the
brightest channel first so red or blue text on black keeps its contrast; small text enlarged so
glyphs are ~16 px tall (16 px monospace text: 2.5 % → 1.1–1.4 % error); a blank margin added.
`--psm 4` (one column of variable-size text) rather than `--psm 6`: the same on terminals and
dialogs, but `--psm 6` silently dropped text inside boxes (a dashboard's alert banner).
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import shutil
import statistics
import subprocess

from PIL import Image, ImageChops, ImageOps

from chatops.bot.perception.image_file import short_reason
from chatops.bot.perception.ocr_text import tidy
from chatops.bot.perception.types import PerceptionError

log = logging.getLogger("chatops.perception.image")

TESSERACT_PSM = "4"
OCR_TIMEOUT = 60.0  # seconds for one image
TARGET_TEXT_HEIGHT = 16  # pixels: small text is enlarged to about this (see `text_height`)
MAX_UPSCALE = 2.5
MAX_OCR_PIXELS = 16_000_000  # what Tesseract is given at most, after scaling
MARGIN = 12  # pixels of background around the image: text touching the edge is often missed
INSTALL_TESSERACT = "apt-get install tesseract-ocr"
_LANGUAGES = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")
_WARNED: set[str] = set()  # missing language packs already logged


def prepare(image: Image.Image) -> Image.Image:
    """Grayscale, dark text on a light background, small text enlarged, a margin added."""
    gray = image if image.mode == "L" else image.convert("L")
    if _median(gray) < 128:  # a dark theme: light text on dark
        if image.mode == "RGB":  # the brightest channel: red or blue text on black stays bright
            red, green, blue = image.split()
            gray = ImageChops.lighter(ImageChops.lighter(red, green), blue)
        gray = ImageOps.invert(gray)
    height = text_height(gray)
    scale = 1.0
    if height is not None and height < TARGET_TEXT_HEIGHT:
        scale = min(TARGET_TEXT_HEIGHT / height, MAX_UPSCALE)
    pixels = gray.width * gray.height
    if pixels * scale * scale > MAX_OCR_PIXELS:
        scale = math.sqrt(MAX_OCR_PIXELS / pixels)
    if abs(scale - 1.0) > 0.05:
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return ImageOps.expand(gray, border=MARGIN, fill=_mode(gray))


def _median(gray: Image.Image) -> int:
    histogram = gray.histogram()
    half, seen = sum(histogram) / 2, 0
    for level, count in enumerate(histogram):
        seen += count
        if seen >= half:
            return level
    return 255


def _mode(gray: Image.Image) -> int:
    histogram = gray.histogram()
    return max(range(256), key=histogram.__getitem__)


def text_height(gray: Image.Image, band: int = 64) -> float | None:
    """The typical height in pixels of a run of text rows (≈ 0.75 × the font size), or None.

    The image is cut into vertical bands `band` pixels wide, so a box's vertical border only
    hides the text in its own band; in each band, the rows holding ink (pixels far from the
    background level) form runs, one per text line; the median run height is the estimate."""
    background = _mode(gray)
    ink = gray.point([255 if abs(level - background) > 64 else 0 for level in range(256)])
    columns = max(1, -(-gray.width // band))
    profile = ink.resize((columns, gray.height), Image.Resampling.BOX).tobytes()  # mean ink per band row
    runs: list[int] = []
    for column in range(columns):
        start = None
        for row in range(gray.height):
            inked = profile[row * columns + column] >= 3  # ≥ 1 ink pixel in the band's row
            if inked and start is None:
                start = row
            elif not inked and start is not None:
                runs.append(row - start)
                start = None
    runs = [run for run in runs if 4 <= run <= 150]  # not specks, not boxes and photos
    return statistics.median(runs) if runs else None


def tesseract(gray: Image.Image, languages: str = "eng", *, timeout: float = OCR_TIMEOUT,
              min_line_confidence: float | None = None) -> str:
    """Run the Tesseract binary on a prepared image: the text, tidied. With `min_line_confidence`
    (0–100), lines whose words Tesseract is on average less sure of are dropped: on a photo, the
    noise of a surface can come out as a line of invented words."""
    if not _LANGUAGES.match(languages):
        raise PerceptionError(f"could not be read (perception.ocr.languages {languages!r} is not like 'eng+deu')")
    binary = shutil.which("tesseract")
    if binary is None:
        raise PerceptionError(f"could not be read: Tesseract OCR is not installed ({INSTALL_TESSERACT})")
    buffer = io.BytesIO()
    gray.save(buffer, "PPM")  # binary PGM: no compression to spend time on
    command = [binary, "stdin", "stdout", "--psm", TESSERACT_PSM, "-l", languages]
    if min_line_confidence is not None:
        command.append("tsv")
    try:
        done = subprocess.run(command, input=buffer.getvalue(), capture_output=True, timeout=timeout,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=False)
    except subprocess.TimeoutExpired:
        raise PerceptionError(f"could not be read (OCR took longer than {timeout:g} s)") from None
    except FileNotFoundError:
        raise PerceptionError(f"could not be read: Tesseract OCR is not installed ({INSTALL_TESSERACT})") from None
    except OSError as exc:
        raise PerceptionError(f"could not be read (Tesseract could not start: {short_reason(exc)})") from None
    stderr = done.stderr.decode("utf-8", errors="replace")
    if done.returncode != 0:
        raise PerceptionError(_tesseract_failure(stderr))
    for language in re.findall(r"Failed loading language '([^']+)'", stderr):  # "eng+xyz": read with eng
        if language not in _WARNED:
            _WARNED.add(language)
            log.warning("Tesseract has no '%s' language data (apt-get install tesseract-ocr-%s); reading without it",
                        language, language.lower().replace("_", "-"))
    output = done.stdout.decode("utf-8", errors="replace")
    if min_line_confidence is not None:
        output = confident_lines(output, min_line_confidence)
    return tidy(output)


def confident_lines(tsv: str, minimum: float) -> str:
    """Tesseract's TSV (one row per word, with its block, paragraph and line numbers and a 0–100
    confidence) back to text lines, keeping the lines whose mean word confidence is `minimum` or
    more."""
    lines: dict[tuple[str, str, str], list[tuple[float, str]]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        try:
            confidence = float(cells[10])
        except ValueError:
            continue
        lines.setdefault((cells[2], cells[3], cells[4]), []).append((confidence, cells[11]))
    kept = [" ".join(word for _, word in words) for words in lines.values()
            if sum(c for c, _ in words) / len(words) >= minimum]
    return "\n".join(kept)


def _tesseract_failure(stderr: str) -> str:
    missing = re.search(r"Failed loading language '([^']+)'", stderr)
    if missing:
        pack = missing.group(1).lower().replace("_", "-")
        return (f"could not be read (Tesseract has no '{missing.group(1)}' language data: "
                f"apt-get install tesseract-ocr-{pack})")
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    log.warning("tesseract failed: %s", stderr.strip()[-500:])
    return f"could not be read (Tesseract failed: {short_reason(Exception(lines[-1] if lines else 'no output'))})"
