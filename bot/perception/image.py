"""Screenshots and photos to text: which OCR engine reads a picture, and the reader that runs it.

The picture is opened and decoded by `bot.perception.image_file`; the engines are
`bot.perception.tesseract_ocr` and `bot.perception.rapidocr_engine` (their figures and settings
are in their docstrings); a photo of a screen is corrected by `bot.perception.photo`. This module
chooses between them, by `perception.ocr.engine` (figures: `bench/perception_image.py`, 1280×720
screenshots on 2 cores):

- `tesseract`: about 0.6–0.8 s and 1–2 % character error on a dense terminal screenshot, 0.2–0.3 s
  on a dialog or dashboard. Worse on photos.
- `rapidocr`: better on photos, but ~2.3 s on the terminal screenshot and ~0.8 GB resident: it
  misses the 1 s target, so it is imported only when an image needs it.
- `auto` (default): per image, the engine measured better on its kind. Screenshots and video
  frames go to Tesseract. Photos of a screen go to RapidOCR on the corrected colour picture when
  the `photos` extra is installed: on the 15 tuning photos (`tests/photo_set.py`
  `varied_tuning_photos`) it was the better engine on every one (1.2 % mean character error
  against 14.5 % for the corrected Tesseract path), and Tesseract's own confidence could not tell
  its good readings from its bad ones (a dashboard read at 52 % error had a mean word confidence
  of 93), so running Tesseract first and falling back on low confidence would not have chosen
  right. Figures: `bench/perception_photo.py`, `bench/results/issue26-photos.txt`.

Photos of a screen (EXIF from a camera, or sensor noise where a screenshot has flat runs of
pixels) are corrected before Tesseract reads them (`bot.perception.photo`: the screen found and
flattened, moiré cut, lighting evened; needs OpenCV from the `photos` extra). On 15 phone-like
photos of a terminal, a dialog and a dashboard (tests/screens.py `tilted_photo`: 0–25° from the
side, a light gradient, moiré, blur, noise, JPEG) the mean character error went from 22.6 % to
5.2 % (the dashboard from ~50 % to 1–5 %; small terminal text still 7–12 %), for ~0.1 s more.

Thread-safety: `read` may be awaited concurrently; the work runs in the given executor (its
`max_workers` bounds the OCR jobs, and so the Tesseract processes, at once). The reader keeps no
per-image state; the RapidOCR engine is built once under a lock and its calls are serialised.
Constructing a reader raises Pillow's process-wide `Image.MAX_IMAGE_PIXELS` to `max_pixels` when
that is lower, so Pillow's own bomb guard never refuses what the configuration allows.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from concurrent.futures import Executor
from typing import Any

from PIL import Image

from chatops.bot.config import OCRConfig
from chatops.bot.perception.idle_timer import restarted
from chatops.bot.perception.image_file import decoded, open_image, short_reason
from chatops.bot.perception.photo import flatten, flatten_colour, looks_like_photo, opencv
from chatops.bot.perception.rapidocr_engine import build_rapidocr, rapidocr_installed, rapidocr_text
from chatops.bot.perception.tesseract_ocr import prepare, tesseract
from chatops.bot.perception.types import ImageReading, MediaFile, PerceptionError

log = logging.getLogger("chatops.perception.image")

# On corrected photos, lines Tesseract is less than 30 % sure of are noise read as words: dropping
# them took the mean character error on 15 distorted photos from 7.1 % to 5.2 % (45: 5.8 %, 60: 11 %).
PHOTO_LINE_CONFIDENCE = 30.0
# The engine is dropped this long after the last image it read: built, it keeps ~80 MB (its two
# sessions, onnxruntime's plans and buffers), on top of which every later voice note or clip would
# peak. A release gives ~46 MB back (bench/ocr_memory.py; the rest is onnxruntime's and OpenCV's
# code pages and the first run's allocator high-water), and the next photo builds it again in
# ~0.16 s against ~1.2 s to read it (bench/results/issue23-memory-14.txt).
RAPIDOCR_RELEASE_AFTER = 300.0


class ImageReader:
    """One per perceiver: it chooses the engine for each picture and owns the RapidOCR engine's
    life (built on first need, dropped when idle), so the engines' modules stay stateless."""

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
        self._release_timer = restarted(self._release_timer, self.release_after, self.release, "ocr-release")

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
                raise PerceptionError(f"could not be read (RapidOCR failed: {short_reason(exc)})") from None
            finally:
                self._release_later()
        return rapidocr_text(result)
