"""Screenshots and photos to text: OCR in reading order with lines kept, plus basic facts.

Tesseract (Debian `tesseract-ocr`) is the default engine: on rendered terminal screenshots it was
both exact and fast here (see the perception issue's figures), and it costs ~50 MB instead of
RapidOCR's ~0.9 GB. It runs as a subprocess (`--psm 6`: one uniform block, which keeps a terminal's
lines in order; `OMP_THREAD_LIMIT=1`, since OpenMP threads only slow it down on small images), in
the perception worker pool. The image's size is checked from its header before any pixel is
decoded, so a 50,000×50,000 "bomb" costs nothing.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import subprocess
from concurrent.futures import Executor

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.config import OCRConfig
from bot.perception.types import ImageReading, MediaFile, PerceptionError

OCR_TIMEOUT = 60
SMALL_TEXT_HEIGHT = 1000  # below this, upscaling 2× helps Tesseract read terminal fonts


class ImageReader:
    def __init__(self, config: OCRConfig, *, max_pixels: int, executor: Executor) -> None:
        self.config = config
        self.max_pixels = max_pixels
        self.executor = executor

    async def read(self, media: MediaFile) -> ImageReading:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._read, media)

    def _read(self, media: MediaFile) -> ImageReading:
        image = open_image(media.data, self.max_pixels)
        text = ocr(image, self.config) if self.config.engine == "tesseract" else rapid_ocr(image)
        return ImageReading(text=text, width=image.width, height=image.height, format=image.format or "unknown",
                            engine=self.config.engine)


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open lazily, refuse oversize images from the header, then decode fully."""
    if not data:
        raise PerceptionError("is empty")
    limit = f"the limit is {max_pixels / 1e6:g} megapixels"
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError as exc:  # Pillow's own guard, for headers past twice its limit
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(claimed.group(1)) / 1e6:g} megapixels" if claimed else "far too large"
        raise PerceptionError(f"is {size}; {limit}") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PerceptionError(f"could not be decoded ({_first_line(exc)})") from None
    width, height = image.size
    if width * height > max_pixels:
        raise PerceptionError(f"is {width}×{height} pixels; {limit}")
    try:
        image.load()
    except Exception as exc:  # truncated or corrupt pixel data
        raise PerceptionError(f"could not be decoded ({_first_line(exc)})") from None
    return image


def prepare(image: Image.Image) -> Image.Image:
    """Grayscale, dark text on light (terminals are light on dark), small text enlarged."""
    gray = ImageOps.grayscale(image.convert("RGB"))
    histogram = gray.histogram()
    mean = sum(level * count for level, count in enumerate(histogram)) / max(1, sum(histogram))
    if mean < 128:
        gray = ImageOps.invert(gray)
    if gray.height < SMALL_TEXT_HEIGHT:
        gray = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.LANCZOS)
    return gray


def ocr(image: Image.Image, config: OCRConfig) -> str:
    binary = shutil.which("tesseract")
    if binary is None:
        raise PerceptionError("could not be read: Tesseract is not installed (apt-get install tesseract-ocr)")
    buffer = io.BytesIO()
    prepare(image).save(buffer, "PNG")
    try:
        done = subprocess.run(
            [binary, "stdin", "stdout", "--psm", "6", "-l", config.languages, "-c", "preserve_interword_spaces=1"],
            input=buffer.getvalue(), capture_output=True, timeout=OCR_TIMEOUT,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"}, check=False,
        )
    except subprocess.TimeoutExpired:
        raise PerceptionError(f"could not be read (OCR took longer than {OCR_TIMEOUT} s)") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
        raise PerceptionError(f"could not be read (tesseract: {reason[0][:120]})")
    return tidy(done.stdout.decode("utf-8", errors="replace"))


def rapid_ocr(image: Image.Image) -> str:
    """RapidOCR (models inside its wheel): better on photos, far heavier. Optional."""
    try:
        from rapidocr import RapidOCR
    except ImportError:
        raise PerceptionError("could not be read: RapidOCR is not installed (pip install rapidocr onnxruntime)") \
            from None
    engine = RapidOCR(params={"Global.use_cls": False, "Global.log_level": "critical"})
    result = engine(image.convert("RGB"))
    return tidy("\n".join(getattr(result, "txts", None) or ()))


def tidy(text: str) -> str:
    """Lines kept, trailing spaces gone, runs of empty lines folded."""
    lines = [line.rstrip() for line in text.replace("\f", "").splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:120]
