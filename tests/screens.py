"""Screenshots drawn with Pillow, with known text, for the OCR tests and the image benchmark.

The main cases the bot sees in an incident channel:

- `terminal_screenshot(lines)`: a terminal (dark by default) showing commands and an error log in
  a monospace font, log levels coloured the way terminals colour them;
- `error_dialog_screenshot(title, lines)`: a light desktop with an application's error dialog;
- `dashboard_screenshot(title, rows)`: a light monitoring dashboard, cards of "label / value" in
  rows, with an optional alert banner; `dashboard_lines(...)` is its text in reading order;
- `png_claiming(width, height)`: a tiny PNG whose header claims a huge size (a decompression bomb).

Fonts: DejaVu Sans Mono / DejaVu Sans (Debian `fonts-dejavu-core`, which the Makefile installs for
the tests). Without them Pillow's bundled default font is used (not monospace, so the terminal
looks less real; the OCR figures were measured with DejaVu). The output is deterministic: same
arguments and fonts, same bytes.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian / Ubuntu: fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Fedora, Arch
    "/usr/share/fonts/TTF",
    "/Library/Fonts",
    "/System/Library/Fonts/Supplemental",
)
MONO = "DejaVuSansMono.ttf"
SANS = "DejaVuSans.ttf"
SANS_BOLD = "DejaVuSans-Bold.ttf"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Size = tuple[int, int]


@cache
def font_path(name: str) -> Path | None:
    """Where a font file is on this machine, or None."""
    for directory in FONT_DIRS:
        candidate = Path(directory) / name
        if candidate.is_file():
            return candidate
    return None


def have_fonts() -> bool:
    return all(font_path(name) is not None for name in (MONO, SANS, SANS_BOLD))


@cache
def font(name: str, size: int) -> Font:
    path = font_path(name)
    if path is None:  # no DejaVu: Pillow's own font (Aileron with FreeType, else a bitmap font)
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(path), size=size)


def encode(image: Image.Image, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    if image_format.upper() in ("JPEG", "JPG"):
        image.convert("RGB").save(buffer, "JPEG", quality=90)
    else:
        image.save(buffer, image_format)
    return buffer.getvalue()


def _width(draw: ImageDraw.ImageDraw, text: str, typeface: Font) -> float:
    return draw.textlength(text, font=typeface)


# --- a terminal ---------------------------------------------------------------------------------

TERMINAL_LINES = [
    "$ kubectl get pods -n payments",
    "NAME                              READY   STATUS             RESTARTS   AGE",
    "payments-api-7d9f8b6c5-x2k4q      0/1     CrashLoopBackOff   6          14m",
    "payments-api-7d9f8b6c5-zq8wn      1/1     Running            0          3d",
    "$ kubectl logs payments-api-7d9f8b6c5-x2k4q --previous | tail -n 14",
    "2026-03-14T09:41:02.118Z INFO  payments-api starting worker pool size=16 version=4.12.3",
    "2026-03-14T09:41:07.904Z WARN  slow query took 2841 ms: SELECT * FROM ledger WHERE account_id = $1",
    "2026-03-14T09:41:09.017Z ERROR request failed: POST /v1/charges status=502 latency_ms=30012",
    "2026-03-14T09:41:09.021Z ERROR psycopg.OperationalError: connection to server at 10.20.3.17 failed",
    "Traceback (most recent call last):",
    "  File \"/app/payments/db.py\", line 88, in execute",
    "    cursor.execute(query, params)",
    "  File \"/app/payments/ledger.py\", line 214, in charge",
    "    raise LedgerUnavailable(f\"ledger write failed after {attempts} attempts\")",
    "payments.errors.LedgerUnavailable: ledger write failed after 3 attempts",
    "2026-03-14T09:41:12.650Z WARN  circuit breaker OPEN for ledger (failures=17, threshold=10)",
    "2026-03-14T09:41:15.201Z INFO  health check /healthz returned 503 in 12 ms",
    "2026-03-14T09:41:20.774Z ERROR pod restarted (exit code 137, OOMKilled)",
    "$ curl -s https://api.example.net/health",
    "ERROR connect ECONNREFUSED 10.20.30.40:8443",
]

DARK = {"background": (30, 30, 30), "text": (204, 204, 204), "error": (241, 76, 76), "warn": (229, 192, 123),
        "info": (97, 175, 239), "prompt": (80, 200, 120)}
LIGHT = {"background": (255, 255, 255), "text": (40, 40, 40), "error": (200, 30, 30), "warn": (150, 100, 0),
         "info": (0, 90, 180), "prompt": (0, 130, 50)}


def _line_colour(line: str, palette: dict[str, tuple[int, int, int]]) -> tuple[int, int, int]:
    upper = line.upper()
    if line.lstrip().startswith("$"):
        return palette["prompt"]
    if any(word in upper for word in ("ERROR", "FATAL", "TRACEBACK", "EXCEPTION", "UNAVAILABLE")):
        return palette["error"]
    if "WARN" in upper:
        return palette["warn"]
    if " INFO " in f" {upper} ":
        return palette["info"]
    return palette["text"]


def terminal_screenshot(lines: Sequence[str] = TERMINAL_LINES, *, size: Size = (1280, 720), dark: bool = True,
                        font_size: int = 16, image_format: str = "PNG") -> bytes:
    """A terminal showing `lines` top to bottom in a monospace font, encoded as `image_format`.

    Raises ValueError when the lines do not fit (a clipped line would not match its text)."""
    palette = DARK if dark else LIGHT
    image = Image.new("RGB", size, palette["background"])
    draw = ImageDraw.Draw(image)
    typeface = font(MONO, font_size)
    margin, step = 12, round(font_size * 1.35)
    if margin + step * len(lines) > size[1] - margin:
        raise ValueError(f"{len(lines)} lines do not fit in {size[1]} pixels at {font_size} px")
    for index, line in enumerate(lines):
        if margin + _width(draw, line, typeface) > size[0] - margin:
            raise ValueError(f"line {index} is wider than {size[0]} pixels: {line!r}")
        draw.text((margin, margin + index * step), line, font=typeface, fill=_line_colour(line, palette))
    return encode(image, image_format)


# --- an error dialog on a light desktop ---------------------------------------------------------

DIALOG_TITLE = "Deployment failed - Release Manager"
DIALOG_LINES = [
    "The release checkout-web v2.31.0 could not be deployed to production.",
    "Health check https://checkout.example.com/healthz returned HTTP 503",
    "after 5 attempts (timeout 30 s). 2 of 6 instances were rolled back.",
    "Error code: DEPLOY_HEALTHCHECK_FAILED (request id 7f3c9a12)",
]


def error_dialog_screenshot(title: str = DIALOG_TITLE, lines: Sequence[str] = DIALOG_LINES, *, button: str = "OK",
                            size: Size = (1280, 720), font_size: int = 16, image_format: str = "PNG") -> bytes:
    """A desktop with an application's error dialog: a title bar, a red error icon, the message
    lines and a button. Its text in reading order is `dialog_lines(title, lines, button)`."""
    image = Image.new("RGB", size, (222, 226, 230))
    draw = ImageDraw.Draw(image)
    body, bold = font(SANS, font_size), font(SANS_BOLD, font_size)
    step = round(font_size * 1.5)
    text_width = max([_width(draw, line, body) for line in lines] + [_width(draw, title, bold)])
    width, height = int(text_width) + 140, 44 + 30 + step * len(lines) + 80
    if width > size[0] - 40 or height > size[1] - 40:
        raise ValueError("the dialog does not fit the screen")
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    # shadow, window, title bar
    draw.rectangle((left + 4, top + 4, left + width + 4, top + height + 4), fill=(190, 194, 198))
    draw.rectangle((left, top, left + width, top + height), fill=(255, 255, 255), outline=(160, 160, 160))
    draw.rectangle((left + 1, top + 1, left + width - 1, top + 40), fill=(240, 240, 240))
    draw.text((left + 16, top + 12), title, font=bold, fill=(20, 20, 20))
    # the error icon: a red disc with a white cross
    cx, cy, r = left + 40, top + 44 + 30 + 10, 18
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(210, 40, 40))
    draw.line((cx - 7, cy - 7, cx + 7, cy + 7), fill=(255, 255, 255), width=4)
    draw.line((cx - 7, cy + 7, cx + 7, cy - 7), fill=(255, 255, 255), width=4)
    for index, line in enumerate(lines):
        draw.text((left + 80, top + 44 + 20 + index * step), line, font=body, fill=(30, 30, 30))
    # the button, bottom right
    label = _width(draw, button, body)
    bx1, by1 = left + width - 24, top + height - 20
    bx0, by0 = bx1 - max(90, int(label) + 40), by1 - 36
    draw.rounded_rectangle((bx0, by0, bx1, by1), radius=4, fill=(0, 103, 192))
    draw.text(((bx0 + bx1 - label) / 2, by0 + 9), button, font=body, fill=(255, 255, 255))
    return encode(image, image_format)


def dialog_lines(title: str = DIALOG_TITLE, lines: Sequence[str] = DIALOG_LINES, button: str = "OK") -> list[str]:
    return [title, *lines, button]


# --- a monitoring dashboard ---------------------------------------------------------------------

Card = tuple[str, str]  # (label, value), e.g. ("p99 latency", "1840 ms")

DASHBOARD_TITLE = "Checkout service - production overview"
DASHBOARD_ALERT = "Alert firing: HighErrorRate on checkout-web for 12 minutes (error rate above 5 %)"
DASHBOARD_ROWS: list[list[Card]] = [
    [("Requests per second", "1,284"), ("Error rate", "7.9 %"), ("p99 latency", "1840 ms")],
    [("CPU usage", "93 %"), ("Memory usage", "71 %"), ("Pods ready", "4 / 6")],
]


def dashboard_screenshot(title: str = DASHBOARD_TITLE, rows: Sequence[Sequence[Card]] = DASHBOARD_ROWS, *,
                         alert: str | None = DASHBOARD_ALERT, size: Size = (1280, 720),
                         image_format: str = "PNG") -> bytes:
    """A light dashboard: a header with `title`, an optional red alert banner, then rows of equally
    wide cards, each a small grey label over a large value."""
    image = Image.new("RGB", size, (244, 246, 248))
    draw = ImageDraw.Draw(image)
    header, label_font, value_font = font(SANS_BOLD, 22), font(SANS, 15), font(SANS_BOLD, 30)
    draw.rectangle((0, 0, size[0], 56), fill=(255, 255, 255))
    draw.line((0, 56, size[0], 56), fill=(215, 219, 223), width=1)
    draw.text((24, 15), title, font=header, fill=(33, 37, 41))
    y = 76
    if alert:
        draw.rectangle((24, y, size[0] - 24, y + 44), fill=(253, 236, 236), outline=(220, 53, 69))
        draw.text((40, y + 12), alert, font=font(SANS, 17), fill=(176, 28, 44))
        y += 64
    gap = 24
    for row in rows:
        card_width = (size[0] - gap * (len(row) + 1)) // len(row)
        for index, (label, value) in enumerate(row):
            x = gap + index * (card_width + gap)
            draw.rounded_rectangle((x, y, x + card_width, y + 104), radius=6, fill=(255, 255, 255),
                                   outline=(222, 226, 230))
            if _width(draw, value, value_font) > card_width - 32:
                raise ValueError(f"{value!r} does not fit its card")
            draw.text((x + 16, y + 14), label, font=label_font, fill=(108, 117, 125))
            draw.text((x + 16, y + 46), value, font=value_font, fill=(33, 37, 41))
        y += 104 + gap
        if y > size[1]:
            raise ValueError("the rows do not fit the screen")
    return encode(image, image_format)


def dashboard_lines(title: str = DASHBOARD_TITLE, rows: Sequence[Sequence[Card]] = DASHBOARD_ROWS, *,
                    alert: str | None = DASHBOARD_ALERT) -> list[str]:
    """The dashboard's text in reading order: line by line across the cards of a row."""
    lines = [title] + ([alert] if alert else [])
    for row in rows:
        lines.append(" ".join(label for label, _ in row))
        lines.append(" ".join(value for _, value in row))
    return lines


# --- a phone photo of a screen ------------------------------------------------------------------

def photo_of_screen(screenshot: bytes, *, seed: int = 7, angle: float = 1.5, quality: int = 70) -> bytes:
    """A JPEG that looks like a phone photo of the screen: the screen at 90 % inside its bezel,
    slightly rotated and out of focus, darker towards the corners, with sensor noise.
    Deterministic for a given seed."""
    import random

    from PIL import ImageChops, ImageFilter

    screen = Image.open(io.BytesIO(screenshot)).convert("RGB")
    width, height = screen.size
    photo = Image.new("RGB", (width, height), (58, 58, 62))  # the monitor's bezel around the screen
    photo.paste(screen.resize((width * 9 // 10, height * 9 // 10), Image.Resampling.LANCZOS),
                (width // 20, height // 20))
    photo = photo.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(40, 40, 44))
    photo = photo.filter(ImageFilter.GaussianBlur(0.9))
    vignette = Image.radial_gradient("L").resize((width, height)).point(lambda v: 255 - v // 3)
    photo = ImageChops.multiply(photo, Image.merge("RGB", [vignette] * 3))
    generator = random.Random(seed)
    noise = Image.frombytes("L", (width, height), generator.randbytes(width * height)).point(lambda v: v // 20)
    photo = ImageChops.add(photo, Image.merge("RGB", [noise] * 3), offset=-6)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


# --- a decompression bomb -----------------------------------------------------------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few dozen bytes whose IHDR claims `width`×`height` RGB pixels (CRCs
    correct): decoding it would need width×height×3 bytes, so only a header check can refuse it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 16)) \
        + _chunk(b"IEND", b"")


def tilted_photo(screenshot: bytes, *, tilt: float = 15.0, seed: int = 3, moire: bool = True,
                 quality: int = 80) -> bytes:
    """A harder phone photo of the screen: taken from the side (`tilt` degrees: the far edge
    shorter by the perspective of that angle), a desk lamp's light gradient, a moiré ripple (the
    camera's sensor against the screen's pixel grid), blur, sensor noise and JPEG.
    Deterministic for a given seed."""
    import math
    import random

    import numpy as np
    from PIL import ImageChops, ImageFilter

    screen = Image.open(io.BytesIO(screenshot)).convert("RGB")
    width, height = screen.size
    canvas = Image.new("RGB", (width, height), (70, 66, 60))  # a desk and a wall around the monitor
    inner = screen.resize((width * 8 // 10, height * 8 // 10), Image.Resampling.LANCZOS)
    bezel = ImageOps.expand(inner, border=14, fill=(25, 25, 28))
    canvas.paste(bezel, ((width - bezel.width) // 2, (height - bezel.height) // 2))
    shrink = math.tan(math.radians(tilt)) * 0.35  # the far (right) edge, as a share of the height
    dy = height * shrink / 2
    # PIL's PERSPECTIVE maps output → input: the output's right edge samples a taller input column
    coefficients = _perspective([(0, 0), (width, dy), (width, height - dy), (0, height)],
                                [(0, 0), (width, 0), (width, height), (0, height)])
    photo = canvas.transform((width, height), Image.Transform.PERSPECTIVE, coefficients,
                             Image.Resampling.BICUBIC, fillcolor=(70, 66, 60))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 0.6 + 0.4 * (xs / width * 0.7 + ys / height * 0.3)  # 60 % to 100 % brightness across the frame
    if moire:
        shade *= 0.92 + 0.08 * np.sin(xs * 0.9 + ys * 0.35)
    pixels = np.asarray(photo, dtype=np.float32) * shade[..., None]
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    photo = photo.filter(ImageFilter.GaussianBlur(0.8))
    generator = random.Random(seed)
    noise = Image.frombytes("L", (width, height), generator.randbytes(width * height)).point(lambda v: v // 16)
    photo = ImageChops.add(photo, Image.merge("RGB", [noise] * 3), offset=-8)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _perspective(source: list[tuple[float, float]], target: list[tuple[float, float]]) -> list[float]:
    """PIL's 8 perspective coefficients that map each `target` corner to its `source` corner."""
    import numpy as np

    rows, values = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows, dtype=float), np.array(values, dtype=float))]
