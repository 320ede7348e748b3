"""Screenshots and photos to text: OCR in reading order with the lines kept, plus basic facts.

Two engines, chosen by `perception.ocr.engine` (figures: `bench/perception_image.py`, 1280×720
screenshots on 2 cores):

- `tesseract`: the Debian `tesseract-ocr` binary, run as a subprocess per image in the
  perception worker pool. About 0.6–0.8 s and 1–2 % character error on a dense terminal
  screenshot, 0.2–0.3 s on a dialog or dashboard, ~50 MiB per process. Worse on photos.
- `rapidocr`: RapidOCR 3.x on onnxruntime (`pip install 'chatops[photos]'`; the models are
  inside its wheel and are loaded from there, so nothing is downloaded). Better on photos, but
  ~2.3 s on the terminal screenshot and ~0.8 GB resident: it misses the 1 s target, so it is
  imported only when an image needs it.
- `auto` (default): per image, the engine measured better on its kind. Screenshots and video
  frames go to Tesseract. Photos of a screen go to RapidOCR on the corrected colour picture when
  the `photos` extra is installed: on the 15 tuning photos (`tests/photo_set.py`
  `varied_tuning_photos`) it was the better engine on every one (1.2 % mean character error
  against 14.5 % for the corrected Tesseract path), and Tesseract's own confidence could not tell
  its good readings from its bad ones (a dashboard read at 52 % error had a mean word confidence
  of 93), so running Tesseract first and falling back on low confidence would not have chosen
  right. Figures: `bench/perception_photo.py`, `bench/results/issue26-photos.txt`.

Why a subprocess rather than pytesseract: pytesseract is itself a wrapper that writes temporary
files and runs the same binary; calling it directly feeds the image through stdin (no files),
sets `OMP_THREAD_LIMIT=1` and a timeout, and needs no extra package.

Preprocessing for Tesseract, measured on rendered terminal, dialog and dashboard screenshots:
grayscale; dark themes inverted to dark-on-light (Tesseract is ~40 % faster on it), taking the
brightest channel first so red or blue text on black keeps its contrast; small text enlarged so
glyphs are ~16 px tall (16 px monospace text: 2.5 % → 1.1–1.4 % error); a blank margin added.
`--psm 4` (one column of variable-size text) rather than `--psm 6`: the same on terminals and
dialogs, but `--psm 6` silently dropped text inside boxes (a dashboard's alert banner).

Photos of a screen (EXIF from a camera, or sensor noise where a screenshot has flat runs of
pixels) are corrected before Tesseract reads them (`bot.perception.photo`: the screen found and
flattened, moiré cut, lighting evened; needs OpenCV from the `photos` extra). On 15 phone-like
photos of a terminal, a dialog and a dashboard (tests/screens.py `tilted_photo`: 0–25° from the
side, a light gradient, moiré, blur, noise, JPEG) the mean character error went from 22.6 % to
5.2 % (the dashboard from ~50 % to 1–5 %; small terminal text still 7–12 %), for ~0.1 s more.

Guards: the pixel count is read from the header (Pillow's `open` is lazy) and checked before any
pixel is decoded, so a 50,000×50,000 "bomb" is refused without allocating it; empty, undecodable or
truncated files and a missing engine become short `PerceptionError`s.

Thread-safety: `read` may be awaited concurrently; the work runs in the given executor (its
`max_workers` bounds the OCR jobs, and so the Tesseract processes, at once). The reader keeps no
per-image state; the RapidOCR engine is built once under a lock and its calls are serialised.
Constructing a reader raises Pillow's process-wide `Image.MAX_IMAGE_PIXELS` to `max_pixels` when
that is lower, so Pillow's own bomb guard never refuses what the configuration allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import io
import logging
import math
import os
import re
import shutil
import statistics
import subprocess
import threading
import unicodedata
import warnings
from concurrent.futures import Executor
from typing import Any

from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

from chatops.bot.config import OCRConfig
from chatops.bot.perception.photo import flatten, flatten_colour, looks_like_photo, opencv
from chatops.bot.perception.types import ImageReading, MediaFile, PerceptionError

log = logging.getLogger("chatops.perception.image")

TESSERACT_PSM = "4"
# On corrected photos, lines Tesseract is less than 30 % sure of are noise read as words: dropping
# them took the mean character error on 15 distorted photos from 7.1 % to 5.2 % (45: 5.8 %, 60: 11 %).
PHOTO_LINE_CONFIDENCE = 30.0
OCR_TIMEOUT = 60.0  # seconds for one image
TARGET_TEXT_HEIGHT = 16  # pixels: small text is enlarged to about this (see `text_height`)
MAX_UPSCALE = 2.5
# The engine is dropped this long after the last image it read: built, it keeps ~80 MB (its two
# sessions, onnxruntime's plans and buffers), on top of which every later voice note or clip would
# peak. A release gives ~46 MB back (bench/ocr_memory.py; the rest is onnxruntime's and OpenCV's
# code pages and the first run's allocator high-water), and the next photo builds it again in
# ~0.16 s against ~1.2 s to read it (bench/results/issue23-memory-14.txt).
RAPIDOCR_RELEASE_AFTER = 300.0
MAX_OCR_PIXELS = 16_000_000  # what Tesseract is given at most, after scaling
MARGIN = 12  # pixels of background around the image: text touching the edge is often missed
INSTALL_TESSERACT = "apt-get install tesseract-ocr"
INSTALL_RAPIDOCR = "pip install 'chatops[photos]'"
_LANGUAGES = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")
_SIXTEEN_BIT = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")
_WARNED: set[str] = set()  # missing language packs already logged
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u201a": "'"})

# Between Pillow's limit and twice it Pillow only warns; the reader refuses those images itself.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageReader:
    def __init__(self, config: OCRConfig, *, max_pixels: int, executor: Executor,
                 release_after: float = RAPIDOCR_RELEASE_AFTER) -> None:
        self.config = config
        self.max_pixels = max_pixels
        self.executor = executor
        self.release_after = release_after
        if Image.MAX_IMAGE_PIXELS is not None and max_pixels > Image.MAX_IMAGE_PIXELS:
            Image.MAX_IMAGE_PIXELS = max_pixels
        self._rapid: Any = None
        self._rapid_lock = threading.Lock()
        self._release_timer: threading.Timer | None = None

    @property
    def engine(self) -> str:
        return self.config.engine

    async def read(self, media: MediaFile) -> ImageReading:
        """OCR text (reading order, one line per line) and the image's size and format; the
        description is left to `bot.perception.vision`. Raises `PerceptionError`."""
        if not media.data:
            raise PerceptionError("is empty")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.read_bytes, media.data)

    def read_bytes(self, data: bytes) -> ImageReading:
        """The blocking part of `read` (call it in a worker thread)."""
        image = open_image(data, self.max_pixels)
        width, height = image.size
        image_format = image.format or "unknown"
        rgb = decoded(image, self.max_pixels)
        if self.engine != "rapidocr" and looks_like_photo(image, rgb) and opencv() is not None:
            if self.engine == "auto" and rapidocr_installed():
                text = self._rapid_ocr(flatten_colour(rgb))
                engine = "rapidocr"
            else:
                text = tesseract(prepare(flatten(rgb)), self.config.languages,
                                 min_line_confidence=PHOTO_LINE_CONFIDENCE)
                engine = "tesseract"
            return ImageReading(text=text, width=width, height=height, format=image_format, engine=engine,
                                photo=True)
        engine = "rapidocr" if self.engine == "rapidocr" else "tesseract"
        return ImageReading(text=self.text_of(rgb), width=width, height=height, format=image_format, engine=engine)

    def text_of(self, rgb: Image.Image) -> str:
        """Blocking: the text of decoded pixels (RGB or L) with the configured engine (`auto`:
        Tesseract, the better one on what the screen drew); a video's frames come here straight
        from the decoder."""
        return self._rapid_ocr(rgb) if self.engine == "rapidocr" else tesseract(prepare(rgb), self.config.languages)

    # --- RapidOCR -----------------------------------------------------------------------------

    def load(self) -> None:
        """Build the engine now rather than on the first image (only RapidOCR has one)."""
        if self.engine == "rapidocr":
            self._rapid_engine()

    def release(self) -> bool:
        """Drop the RapidOCR engine and give its pages back (the next image builds it again, in
        ~0.2 s: its model files are in the page cache). True when there was one."""
        from chatops.bot.allocator import trim

        with self._rapid_lock:  # waits for a reading in progress: never dropped under one
            engine, self._rapid = self._rapid, None
        if engine is None:
            return False
        del engine
        gc.collect()  # RapidOCR's config and sessions hold cycles
        trim()
        return True

    def close(self) -> None:
        """Stop the idle timer (the engine itself goes with the reader)."""
        timer, self._release_timer = self._release_timer, None
        if timer is not None:
            timer.cancel()

    def _release_later(self) -> None:
        """(Re)start the idle timer: the engine is released `release_after` seconds after the
        last image it read, unless another image comes first."""
        if self.release_after <= 0:
            return
        if self._release_timer is not None:
            self._release_timer.cancel()
        timer = threading.Timer(self.release_after, self.release)
        timer.daemon = True
        timer.name = "ocr-release"
        self._release_timer = timer
        timer.start()

    def _rapid_engine(self) -> Any:
        with self._rapid_lock:
            if self._rapid is None:
                self._rapid = build_rapidocr()
            return self._rapid

    def _rapid_ocr(self, image: Image.Image) -> str:
        engine = self._rapid_engine()
        with self._rapid_lock:  # one call at a time: onnxruntime already uses every core
            try:
                result = engine(image)
            except Exception as exc:
                log.warning("RapidOCR failed: %s", exc)
                raise PerceptionError(f"could not be read (RapidOCR failed: {_short(exc)})") from None
            finally:
                self._release_later()
        boxes, texts = getattr(result, "boxes", None), getattr(result, "txts", None)
        if boxes is None or not texts:
            return ""
        words = []
        for box, text in zip(boxes, texts, strict=False):
            xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
            words.append((min(xs), min(ys), max(ys), str(text)))
        return tidy("\n".join(reading_order(words)))


# --- opening and decoding -------------------------------------------------------------------------

def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open lazily (the header only) and refuse an image over `max_pixels` before decoding it."""
    if not data:
        raise PerceptionError("is empty")
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:  # over twice Pillow's own limit: refused inside `open`
        raise _too_big(header_size(data), max_pixels) from None
    except UnidentifiedImageError:
        raise PerceptionError("could not be decoded (not an image format I know)") from None
    except Exception as exc:  # a damaged header
        raise PerceptionError(f"could not be decoded ({_short(exc)})") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise PerceptionError("could not be decoded (it has no pixels)")
    if width * height > max_pixels:
        raise _too_big((width, height), max_pixels)
    return image


def decoded(image: Image.Image, max_pixels: int = 0) -> Image.Image:
    """The pixels as RGB (or L), upright, transparency flattened onto white. Decoding happens here."""
    try:
        image.load()
        image = _upright(image)
        if image.mode in _SIXTEEN_BIT:  # 16-bit PNGs: scale to 8 bits (`convert` would clip)
            image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            flat.alpha_composite(rgba)
            image = flat.convert("RGB")
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
    except PerceptionError:
        raise
    except Image.DecompressionBombError:
        raise _too_big(image.size, max_pixels) from None
    except MemoryError:
        raise PerceptionError("could not be decoded (not enough memory)") from None
    except Exception as exc:  # truncated or corrupt pixel data: OSError, SyntaxError, zlib.error, …
        raise PerceptionError(f"could not be decoded ({_short(exc)})") from None
    return image


def _upright(image: Image.Image) -> Image.Image:
    """Phone photos carry their rotation in EXIF; a damaged EXIF block is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        return image


def header_size(data: bytes) -> tuple[int, int] | None:
    """The size a file's header claims, read without Pillow's bomb check (for the refusal)."""
    try:
        Image.init()
        openers = [Image.OPEN[name] for name in Image.ID]  # Pillow's registry of format openers
    except Exception:  # a Pillow without it: the refusal just has no size
        return None
    prefix = data[:16]
    for factory, accept in openers:
        accepted = True if accept is None else accept(prefix)
        if not accepted or isinstance(accepted, str):  # a str is Pillow's "yes, but" warning
            continue
        try:
            return factory(io.BytesIO(data), "").size
        except Exception:  # not this format: try the next
            continue
    return None


def _too_big(size: tuple[int, int] | None, max_pixels: int) -> PerceptionError:
    limit = f"{max_pixels / 1e6:g} megapixels" if max_pixels else "the pixel limit"
    if size is None:
        return PerceptionError(f"is too large; the limit is {limit}")
    return PerceptionError(f"is {size[0]}×{size[1]} pixels; the limit is {limit}")


def _short(exc: BaseException) -> str:
    """A Pillow or engine error as a few safe words: no object reprs, no paths, one line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if "truncated" in text.lower():
        return "the file is truncated"
    text = re.sub(r"<[^>]*>", "", text)  # "<_io.BytesIO object at 0x…>"
    text = re.sub(r"(/[\w.-]+)+", "…", text)  # file paths
    text = re.sub(r"\s+", " ", text).strip(" :")
    return text[:80] or type(exc).__name__


# --- preprocessing for Tesseract ------------------------------------------------------------------

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


# --- Tesseract ------------------------------------------------------------------------------------

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
        raise PerceptionError(f"could not be read (Tesseract could not start: {_short(exc)})") from None
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
    return f"could not be read (Tesseract failed: {_short(Exception(lines[-1] if lines else 'no output'))})"


def tidy(text: str) -> str:
    """One text line per screen line: trailing spaces and empty lines gone, typographic quotes
    and ligatures made plain (screens of logs and commands use straight quotes)."""
    text = unicodedata.normalize("NFKC", text.replace("\f", "")).translate(_QUOTES)
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


# --- RapidOCR -------------------------------------------------------------------------------------

def rapidocr_model_files() -> dict[str, str]:
    """The detection and recognition models inside the installed rapidocr wheel."""
    from pathlib import Path

    import rapidocr

    models = Path(rapidocr.__file__).resolve().parent / "models"
    found: dict[str, str] = {}
    for task in ("det", "rec"):
        candidates = sorted(models.glob(f"*_{task}_*.onnx"))
        if not candidates:
            raise PerceptionError(f"could not be read (the rapidocr wheel has no {task} model; "
                                  f"reinstall it: {INSTALL_RAPIDOCR})")
        found[task] = str(candidates[-1])
    return found


@functools.cache
def rapidocr_installed() -> bool:
    """Whether the `photos` extra's RapidOCR can be imported (found, not imported: it is heavy)."""
    import importlib.util

    return importlib.util.find_spec("rapidocr") is not None and importlib.util.find_spec("onnxruntime") is not None


# RapidOCR's detector scales a picture so its SHORT side is at least 736 px (`limit_type: min`): a
# corrected 1050×600 photo went in at 1312×736. Capping the LONG side at 800 instead (`max`) halved
# the detector's time. Chosen on the 15 tuning photos (`varied_tuning_photos`) with a scratch
# harness (mean character error 1.25 % → 0.95 %; 1024: 1.20 %, 640: 1.11 %; that harness handed
# RapidOCR the colours in the wrong order); through the bot's own path: 1.2 % → 1.1 %.
# Figures: bench/results/issue26-photos.txt.
RAPIDOCR_DET_LONG_SIDE = 800
# The recogniser reads text boxes in batches padded to the widest box's width; one box at a time
# pads nothing: on the tuning photos (the same harness, interleaved, load ~7) its CPU time per
# photo went from 0.86 s (batches of 6, the library's default) to 0.69 s, and the bot's tuning
# character error from 1.1 % to 1.0 %; a box's reading no longer depends on its batch-mates.
RAPIDOCR_REC_BATCH = 1


def rapidocr_threads() -> int:
    """onnxruntime threads per session: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def build_rapidocr() -> Any:
    """RapidOCR with the wheel's own models (named explicitly, so it never downloads), the angle
    classifier off (screenshots are upright), the detector's input capped (`RAPIDOCR_DET_LONG_SIDE`),
    text boxes recognised one at a time (`RAPIDOCR_REC_BATCH`),
    its sessions without spinning threads (`quiet_sessions`) and its INFO logging silenced."""
    try:
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise PerceptionError(f"could not be read: the RapidOCR engine is not installed ({INSTALL_RAPIDOCR})") \
            from exc
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    models = rapidocr_model_files()
    params = {"Global.use_cls": False, "Global.log_level": "error",
              "Det.model_path": models["det"], "Rec.model_path": models["rec"],
              "Det.limit_type": "max", "Det.limit_side_len": RAPIDOCR_DET_LONG_SIDE,
              "Rec.rec_batch_num": RAPIDOCR_REC_BATCH,
              "EngineConfig.onnxruntime.intra_op_num_threads": rapidocr_threads()}
    try:
        engine = RapidOCR(params=params)
    except Exception as exc:
        log.warning("RapidOCR could not start: %s", exc)
        raise PerceptionError(f"could not be read (RapidOCR could not start: {_short(exc)})") from None
    quiet_sessions(engine, models)
    return engine


def quiet_sessions(engine: Any, models: dict[str, str]) -> None:
    """Give RapidOCR two onnxruntime sessions whose idle threads sleep instead of spinning, before
    it builds its own. onnxruntime's worker threads spin between operators by default; on two
    cores shared with Whisper, Tesseract and the bot, the spinning thread takes the core the work
    needs: on the tuning photos (load ~7.5, interleaved) two spinning threads read a photo in 2.12 s
    median wall and 1.03 s of CPU, two sleeping ones in 1.12 s and 0.65 s (one thread: 1.02 s,
    0.57 s; but 0.48 s at best against 0.29 s, so two threads win when the cores are free).
    RapidOCR has no setting for spinning, but its config takes a ready session (`session`, rapidocr
    PR #451). Handing it over before the first image matters for memory: building RapidOCR's own
    sessions and then replacing them loaded each model twice (measured alone: the build's peak
    +119 → +91 MB, kept +97 → +85 MB; bench/results/issue23-memory-2.txt). If its internals
    differ (another version), the sessions it built are replaced instead; if that fails too, its
    own are kept and that is logged."""
    try:
        import onnxruntime
        from omegaconf import flag_override

        sessions = {}
        for task in ("det", "rec"):
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 4
            options.enable_cpu_mem_arena = False
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = rapidocr_threads()
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            sessions[task] = onnxruntime.InferenceSession(models[task], sess_options=options,
                                                          providers=["CPUExecutionProvider"])
        for task, section in (("det", engine.cfg.Det), ("rec", engine.cfg.Rec)):
            with flag_override(section, "allow_objects", True):  # a session is not a config value
                section.session = sessions[task]
        for part, task in ((engine._load_det_model(), "det"), (engine._load_rec_model(), "rec")):
            if part.session.session is not sessions[task]:  # a version that ignores `session`
                part.session.session = sessions[task]
    except Exception as exc:  # another rapidocr layout: its own sessions still work, only spin
        log.info("RapidOCR keeps its own onnxruntime sessions (%s)", _short(exc))
        for name in ("Det", "Rec"):  # a session it could not take must not break every later image
            with contextlib.suppress(Exception):
                section = engine.cfg[name]
                with flag_override(section, "allow_objects", True):
                    section.pop("session", None)


def reading_order(words: list[tuple[float, float, float, str]]) -> list[str]:
    """Text boxes `(left, top, bottom, text)` as lines, top to bottom, left to right: a box joins
    a line when it overlaps the line's first box by half of both their heights."""
    lines: list[tuple[float, float, list[tuple[float, str]]]] = []  # (top, bottom, [(left, text)])
    for left, top, bottom, text in sorted(words, key=lambda word: (word[1] + word[2]) / 2):
        height = max(bottom - top, 1.0)
        for line_top, line_bottom, members in reversed(lines[-3:]):
            overlap = min(bottom, line_bottom) - max(top, line_top)
            if overlap >= 0.5 * height and overlap >= 0.5 * max(line_bottom - line_top, 1.0):
                members.append((left, text))
                break
        else:
            lines.append((top, bottom, [(left, text)]))
    return [" ".join(text for _, text in sorted(members)) for _, _, members in lines]
