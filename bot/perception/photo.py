"""Phone photos of a screen, made readable before OCR: the screen found and flattened, the lighting
evened out, the moiré ripple removed.

A screenshot is pixels as the screen drew them; a photo of a monitor is taken at an angle, lit by
the room, and overlaid with moiré (the camera's sensor grid beating against the screen's). OCR
reads the first well and the second badly, so `looks_like_photo` tells them apart and `flatten`
corrects a photo:

- *Which is it.* A camera writes its make or model into EXIF; a screenshot has none. Without EXIF,
  a screenshot is mostly flat: runs of identical neighbouring pixels (even a JPEG screenshot keeps
  most of them), where sensor noise leaves almost none.
- *The screen.* The largest four-cornered outline (OpenCV's contours of the edge map, simplified
  with `approxPolyDP`) that covers at least `MIN_SCREEN_SHARE` of the photo is taken as the screen
  and warped to a rectangle (`getPerspectiveTransform`). No such outline: the photo is kept whole.
- *Moiré.* A regular ripple is a few bright peaks away from the centre of the image's 2-D spectrum;
  those peaks are cut out (a notch filter) and the rest transformed back. Text has no such peaks.
- *Light.* The background brightness is estimated by a wide blur of a morphological closing (text
  removed) and divided out, so a lamp's gradient becomes one level; then the contrast is stretched.

OpenCV comes with the `photos` extra (`pip install "chatops[photos]"`); without it photos are read
as they are. Blocking: called in the perception worker.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PIL import Image

log = logging.getLogger("chatops.perception.photo")

CAMERA_TAGS = (0x010F, 0x0110)  # EXIF Make, Model
FLAT_SHARE = 0.25  # below this share of equal neighbours, a picture is a photo (screenshots, even as
# JPEG, measured 0.79–0.96; photos 0.03–0.10; a screenshot full of pictures keeps its flat chrome)
MIN_SCREEN_SHARE = 0.2  # a screen outline must cover at least this much of the photo
PEAK_RATIO = 20.0  # a spectrum point this many times its neighbourhood is a ripple, not text
_WARNED: list[bool] = []


def opencv() -> Any | None:
    """`cv2`, or None when the photos extra is not installed (logged once)."""
    try:
        import cv2

        return cv2
    except ImportError:
        if not _WARNED:
            _WARNED.append(True)
            log.warning("photos are read uncorrected: OpenCV is not installed (pip install 'chatops[photos]')")
        return None


def looks_like_photo(image: Image.Image, pixels: Image.Image | None = None) -> bool:
    """A camera's photo rather than a screenshot (see the module's docstring): `image` as opened
    (for its EXIF), `pixels` its decoded RGB or L pixels when already at hand."""
    try:
        exif = image.getexif()
        if any(exif.get(tag) for tag in CAMERA_TAGS):
            return True
    except Exception:  # a damaged EXIF block says nothing either way
        pass
    return flat_share(pixels or image) < FLAT_SHARE


def flat_share(image: Image.Image) -> float:
    """The share of pixels equal to their right-hand neighbour in grey (≈ 0.9 for a screenshot)."""
    gray = np.asarray(image.convert("L").resize((min(image.width, 640), min(image.height, 360))), dtype=np.int16)
    if gray.shape[1] < 2:
        return 1.0
    return float(np.mean(gray[:, 1:] == gray[:, :-1]))


def flatten(image: Image.Image) -> Image.Image:
    """A photo of a screen as a flat, evenly lit, ripple-free grey picture of the screen alone
    (what Tesseract is given)."""
    cv2 = opencv()
    if cv2 is None:
        return image
    gray = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2GRAY)
    gray = remove_ripple(gray)  # first: the ripple is regular only before the warp bends it
    corners = screen_corners(gray)
    if corners is not None:
        gray = unwarp(gray, corners)
        gray = trim_bezel(gray)
    gray = even_light(gray)
    return Image.fromarray(gray)


def flatten_colour(image: Image.Image) -> Image.Image:
    """A photo of a screen as the screen alone, upright, ripple-free and evenly lit, in its colours
    (what RapidOCR is given). Its detector and recogniser were trained on camera pictures and do
    worse on Tesseract's picture: on the tuning photos (tests/photo_set.py `varied_tuning_photos`)
    the grey picture with its contrast stretched (`flatten`) read at 2.2 % mean character error,
    the grey one without lighting correction at 1.4 %, the colour one at 1.3 % (1.2 % with
    `even_light_colour`); without the ripple cut, 14.1 % (dashboards' ripple read as text)."""
    cv2 = opencv()
    if cv2 is None:
        return image
    rgb = np.asarray(image.convert("RGB"))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    mask = ripple_mask(gray)
    if mask is not None:
        gray = notched(gray, mask)
        rgb = np.dstack([notched(np.ascontiguousarray(rgb[..., channel]), mask) for channel in range(3)])
    corners = screen_corners(gray)
    if corners is not None:
        rgb = unwarp(np.ascontiguousarray(rgb), corners)
        top, bottom, left, right = bezel_box(unwarp(gray, corners))
        rgb = rgb[top:bottom, left:right]
    return Image.fromarray(even_light_colour(np.ascontiguousarray(rgb)))


def even_light_colour(rgb: np.ndarray) -> np.ndarray:
    """Each colour divided by the background's brightness (as in `even_light`, text removed by a
    morphological closing, then a wide blur), so a lamp's gradient becomes one level and faint grey
    labels in the dim corner keep their contrast. No contrast stretch: stretched, the sensor noise
    grows with it. On 10 tuning photos of dashboards (`varied_dashboard_photos`) RapidOCR's mean
    character error went from 2.5 % to 1.0 % (a faint label in the shade was missed before); on
    the 15 `varied_tuning_photos` from 1.3 % to 1.2 %. A dark theme is inverted around it."""
    import cv2

    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    dark = np.median(gray) < 128
    if dark:
        rgb, gray = 255 - rgb, 255 - gray
    size = max(15, (min(gray.shape) // 20) | 1)
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    background = cv2.GaussianBlur(background, (0, 0), size / 2).astype(np.float32)
    level = rgb.astype(np.float32) * (240.0 / np.maximum(background, 1.0))[..., None]
    even = np.clip(level, 0, 255).astype(np.uint8)
    return 255 - even if dark else even


def screen_corners(gray: np.ndarray) -> np.ndarray | None:
    """The screen's four corners (top-left, top-right, bottom-right, bottom-left), or None."""
    import cv2

    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    edges = cv2.Canny(blurred, 30, 90)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    area = gray.shape[0] * gray.shape[1]
    best, best_area = None, MIN_SCREEN_SHARE * area
    for contour in contours:
        hull = cv2.convexHull(contour)
        outline = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        size = cv2.contourArea(outline)
        if len(outline) == 4 and best_area <= size < 0.98 * area:
            best, best_area = outline.reshape(4, 2).astype(np.float32), size
    return None if best is None else _ordered(best)


def _ordered(points: np.ndarray) -> np.ndarray:
    sums, diffs = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.array([points[np.argmin(sums)], points[np.argmin(diffs)], points[np.argmax(sums)],
                     points[np.argmax(diffs)]], dtype=np.float32)


def unwarp(gray: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The quadrilateral warped to an upright rectangle as wide and tall as its longer sides."""
    import cv2

    top_left, top_right, bottom_right, bottom_left = corners
    width = int(max(np.linalg.norm(top_right - top_left), np.linalg.norm(bottom_right - bottom_left)))
    height = int(max(np.linalg.norm(bottom_left - top_left), np.linalg.norm(bottom_right - top_right)))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(gray, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def remove_ripple(gray: np.ndarray) -> np.ndarray:
    """Cut the spectrum's isolated peaks (a moiré's regular ripple) and transform back (see
    `ripple_mask`); a picture without such peaks is returned as it is."""
    mask = ripple_mask(gray)
    return gray if mask is None else notched(gray, mask)


def ripple_mask(gray: np.ndarray) -> np.ndarray | None:
    """The notch filter for a picture's ripple, in its centred spectrum's coordinates, or None.
    A peak is a point `PEAK_RATIO` times brighter than its neighbourhood's mean (log magnitudes),
    away from the centre, where text and layout are; a picture with many such points has texture,
    not a ripple, and gets None. The grey picture's mask serves its three colour channels: the
    ripple lies over all three alike."""
    import cv2

    spectrum = cv2.dft(gray.astype(np.float32), flags=cv2.DFT_COMPLEX_OUTPUT)  # ~4× numpy's fft2
    magnitude = np.fft.fftshift(np.log1p(cv2.magnitude(spectrum[..., 0], spectrum[..., 1])))
    rows, cols = gray.shape
    y, x = np.ogrid[:rows, :cols]
    outside = np.hypot((y - rows // 2) / rows, (x - cols // 2) / cols) > 0.06
    peaks = outside & (magnitude - cv2.blur(magnitude, (31, 31)) > np.log(PEAK_RATIO))
    if not peaks.any() or peaks.sum() > 400:
        return None
    mask = np.ones_like(magnitude)
    for py, px in zip(*np.nonzero(peaks), strict=True):
        mask[max(0, py - 4):py + 5, max(0, px - 4):px + 5] = 0.0
    return mask


def notched(channel: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One 8-bit channel with its spectrum multiplied by `mask` (see `ripple_mask`). OpenCV's
    single-precision DFT: numpy's double-precision FFTs took half of a photo's correction
    (0.3 of 0.5 s for the four transforms of a 1280×720 colour photo)."""
    import cv2

    spectrum = cv2.dft(channel.astype(np.float32), flags=cv2.DFT_COMPLEX_OUTPUT)
    spectrum *= np.fft.ifftshift(mask).astype(np.float32)[..., None]
    cleaned = cv2.idft(spectrum, flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT)
    return np.clip(cleaned, 0, 255).astype(np.uint8)


def trim_bezel(gray: np.ndarray, most: float = 0.08) -> np.ndarray:
    """The screen without the monitor's dark frame, which the outline often includes (see
    `bezel_box`). (Tesseract reads a page framed in black badly: 2 lines of a dashboard's 6 with
    the frame, all 6 without.)"""
    top, bottom, left, right = bezel_box(gray, most)
    return gray[top:bottom, left:right]


def bezel_box(gray: np.ndarray, most: float = 0.08) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the screen inside the monitor's dark frame: edge rows and
    columns much darker than the screen are cut, at most `most` of each side. A dark screen keeps
    its frame (it does not stand out, and does not hurt either)."""
    rows, cols = gray.shape
    level = float(np.median(gray))
    if level < 96:
        return 0, rows, 0, cols
    dark = level * 0.5
    top, bottom, left, right = 0, rows, 0, cols
    while top < rows * most and gray[top, left:right].mean() < dark:
        top += 1
    while rows - bottom < rows * most and gray[bottom - 1, left:right].mean() < dark:
        bottom -= 1
    while left < cols * most and gray[top:bottom, left].mean() < dark:
        left += 1
    while cols - right < cols * most and gray[top:bottom, right - 1].mean() < dark:
        right -= 1
    margin = 3  # the frame's blurred inner edge
    if (top, bottom, left, right) == (0, rows, 0, cols):
        return 0, rows, 0, cols
    top, bottom = min(top + margin, bottom), max(bottom - margin, top)
    left, right = min(left + margin, right), max(right - margin, left)
    return top, bottom, left, right


def even_light(gray: np.ndarray) -> np.ndarray:
    """Divide out the background's brightness, then stretch the contrast to the full range. On a
    dark theme (light text) the background is the darkest level, so the image is inverted first
    and back after."""
    import cv2

    dark = np.median(gray) < 128
    work = 255 - gray if dark else gray
    size = max(15, (min(work.shape) // 20) | 1)
    background = cv2.morphologyEx(work, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    background = cv2.GaussianBlur(background, (0, 0), size / 2)
    level = work.astype(np.float32) / np.maximum(background.astype(np.float32), 1.0)
    flat = np.clip(level * 235, 0, 255).astype(np.uint8)
    low, high = np.percentile(flat, (1, 99.5))
    if high - low >= 10:
        flat = np.clip((flat.astype(np.float32) - low) * 255 / (high - low), 0, 255).astype(np.uint8)
    return 255 - flat if dark else flat
