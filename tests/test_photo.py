"""Photos of a screen (issue 26): told apart from screenshots, then flattened, freed of moiré and
evenly lit before Tesseract reads them, or flattened in colour for RapidOCR, the engine `auto`
chooses for photos. Real pictures: Pillow-drawn screens photographed by
`tests.screens.tilted_photo` (perspective, light gradient, moiré, blur, noise, JPEG)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import jiwer
import numpy as np
import pytest
from PIL import Image

from chatops.bot.config import OCRConfig
from chatops.bot.perception import photo
from chatops.bot.perception.image import ImageReader
from chatops.bot.perception.image_file import decoded, open_image
from chatops.bot.perception.tesseract_ocr import confident_lines, prepare, tesseract
from chatops.bot.perception.types import MediaFile
from tests.screens import (
    TERMINAL_LINES,
    dashboard_lines,
    dashboard_screenshot,
    dialog_lines,
    encode,
    error_dialog_screenshot,
    terminal_screenshot,
    tilted_photo,
)

SCREENS = {"terminal": (terminal_screenshot, lambda: TERMINAL_LINES),
           "dialog": (error_dialog_screenshot, dialog_lines),
           "dashboard": (dashboard_screenshot, dashboard_lines)}


def squash(lines: list[str]) -> str:
    return " ".join(" ".join(line.split()) for line in lines if line.strip())


def cer(expected: list[str], text: str) -> float:
    return jiwer.cer(squash(expected), squash(text.splitlines()))


@pytest.fixture(scope="module")
def reader():
    """Tesseract's photo path (the `auto` engine takes it when RapidOCR is not installed)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield ImageReader(OCRConfig(engine="tesseract"), max_pixels=40_000_000, executor=pool)


def pixels(data: bytes) -> Image.Image:
    return decoded(open_image(data, 40_000_000))


def test_screenshots_and_photos_are_told_apart():
    for make, _ in SCREENS.values():
        shot = make()
        as_jpeg = encode(Image.open(io.BytesIO(shot)), "JPEG")
        assert not photo.looks_like_photo(Image.open(io.BytesIO(shot)))
        assert not photo.looks_like_photo(Image.open(io.BytesIO(as_jpeg)))  # a JPEG screenshot is still one
        assert photo.looks_like_photo(Image.open(io.BytesIO(tilted_photo(shot, tilt=10))))
    camera = Image.open(io.BytesIO(terminal_screenshot()))
    exif = camera.getexif()
    exif[0x010F] = "Pixel 9"  # EXIF Make: a camera wrote it, however clean it looks
    buffer = io.BytesIO()
    camera.save(buffer, "JPEG", exif=exif)
    assert photo.looks_like_photo(Image.open(io.BytesIO(buffer.getvalue())))


@pytest.mark.parametrize("name", list(SCREENS))
@pytest.mark.parametrize("tilt", [0, 25])
async def test_a_photo_of_a_screen_is_corrected_before_ocr(reader, name, tilt):
    make, lines = SCREENS[name]
    data = tilted_photo(make(), tilt=tilt)
    reading = await reader.read(MediaFile(f"{name}.jpg", data, "image/jpeg"))
    raw = tesseract(prepare(pixels(data)))  # what the reader did before: the photo as it is
    # Measured on every CPU code path (bench/results/isa-margins.txt): corrected 1.3–12.3 %, raw
    # 3.9–58 %; OpenCV's SIMD path moves a figure by a few tenths of a percent. The straight
    # terminal photo sat 0.7 points under the old 13 % bound and 0.5 under "raw + 3.5", so the
    # bounds now say what the correction is for, with room for another CPU; the accuracy target
    # (mean CER ≤ 3 %) is bench/perception_photo.py's.
    corrected, as_is = cer(lines(), reading.text), cer(lines(), raw)
    assert reading.photo
    assert corrected <= 0.2, reading.text  # mostly there (uncorrected at 25°: terminal 27 %, dashboard 58 %)
    assert corrected <= as_is + 0.1  # never much worse than reading the photo as it is
    if name == "dashboard":
        assert as_is > 0.3 and corrected <= as_is / 4  # the correction is what makes it readable (~50 % → a few %)


async def test_a_screenshot_is_read_as_it_is(reader):
    reading = await reader.read(MediaFile("pods.png", terminal_screenshot(), "image/png"))
    assert not reading.photo and cer(TERMINAL_LINES, reading.text) <= 0.08  # 1.1 %; see tests/test_image.py


def test_the_screen_is_found_and_flattened():
    data = tilted_photo(error_dialog_screenshot(), tilt=25, moire=False)
    gray = np.asarray(pixels(data).convert("L"))
    corners = photo.screen_corners(gray)
    assert corners is not None
    top_left, top_right, bottom_right, bottom_left = corners
    assert top_left[0] < 200 and top_left[1] < 130 and bottom_right[0] > 1080 and bottom_right[1] > 590
    left_edge, right_edge = bottom_left[1] - top_left[1], bottom_right[1] - top_right[1]
    assert abs(left_edge - right_edge) > 40  # seen from the side: one edge shorter
    flat = photo.unwarp(gray, corners)
    assert flat.shape[1] > flat.shape[0] > 500  # an upright rectangle


def test_a_moire_ripple_is_cut_and_text_survives():
    ys, xs = np.mgrid[0:360, 0:640].astype(np.float32)
    page = np.asarray(pixels(terminal_screenshot(["$ uptime", "ERROR load average 42.0"], size=(640, 360),
                                                dark=False)).convert("L"), dtype=np.float32)
    rippled = np.clip(page * (0.9 + 0.1 * np.sin(xs * 0.9 + ys * 0.35)), 0, 255).astype(np.uint8)
    cleaned = photo.remove_ripple(rippled)
    blank = page > 250  # the white page, where only the ripple varies
    assert rippled[blank].std() > 10 and cleaned[blank].std() < rippled[blank].std() / 3
    assert "ERROR load average 42.0" in tesseract(prepare(Image.fromarray(cleaned)))


def test_unconfident_lines_are_dropped():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [header, "5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t96.1\tERROR", "5\t1\t1\t1\t1\t2\t0\t0\t9\t9\t91.0\tdisk",
            "5\t1\t1\t1\t2\t1\t0\t0\t9\t9\t12.5\tCee", "5\t1\t1\t1\t2\t2\t0\t0\t9\t9\t20.0\trere",
            "4\t1\t1\t1\t3\t0\t0\t0\t9\t9\t-1\t"]
    assert confident_lines("\n".join(rows), 30) == "ERROR disk"


async def test_auto_reads_a_photo_with_rapidocr_and_a_screenshot_with_tesseract():
    """`auto` picks per image: the measured better engine for a photo (RapidOCR on the corrected
    colour picture) and for a screenshot (Tesseract)."""
    lines = ["Sync stopped - File Bridge", "Remote host files-2.acme.net refused the key.", "Reconnect"]
    shot = error_dialog_screenshot(lines[0], lines[1:2], button=lines[2])
    with ThreadPoolExecutor(max_workers=1) as pool:
        reader = ImageReader(OCRConfig(), max_pixels=40_000_000, executor=pool)
        taken = await reader.read(MediaFile("phone.jpg", tilted_photo(shot, tilt=18), "image/jpeg"))
        screenshot = await reader.read(MediaFile("shot.png", shot, "image/png"))
    assert (taken.photo, taken.engine) == (True, "rapidocr")
    # 2.4 % here, 0.6 points under the old 3 % bound (the target, kept in bench/perception_photo.py);
    # onnxruntime and OpenCV pick their own SIMD code, so the test asks for the dialog mostly read
    # and its host name, the value a plan would use, read exactly
    assert cer(dialog_lines(lines[0], lines[1:2], lines[2]), taken.text) <= 0.1, taken.text
    assert "files-2.acme.net" in taken.text, taken.text
    assert (screenshot.photo, screenshot.engine) == (False, "tesseract")


def test_the_colour_correction_keeps_the_screen_alone_and_upright():
    data = tilted_photo(dashboard_screenshot(), tilt=25)
    flat = np.asarray(photo.flatten_colour(pixels(data)))
    assert flat.ndim == 3 and flat.shape[1] > flat.shape[0] > 500
    # the monitor's dark frame and the desk are gone: every edge of the picture is the light page
    edges = [flat[:6].mean(), flat[-6:].mean(), flat[:, :6].mean(), flat[:, -6:].mean()]
    assert min(edges) > 120, edges
    # the ripple is gone from the page: neighbouring pixels of the blank lower half barely differ
    blank = flat[int(flat.shape[0] * 0.7):int(flat.shape[0] * 0.9), 50:-50].astype(np.float32).mean(axis=2)
    raw = np.asarray(pixels(data).convert("L"), dtype=np.float32)[480:560, 300:900]
    assert np.abs(np.diff(blank, axis=1)).mean() < np.abs(np.diff(raw, axis=1)).mean() * 0.6
