"""An uploaded picture opened and decoded, refusing what is too big or broken before it costs memory.

Guards: the pixel count is read from the header (Pillow's `open` is lazy) and checked before any
pixel is decoded, so a 50,000×50,000 "bomb" is refused without allocating it; empty, undecodable or
truncated files become short `PerceptionError`s. Every OCR engine reads what `decoded` gives, and
words the errors of Pillow, Tesseract and RapidOCR with `short_reason`, so a thread never shows an
object repr or a path.
"""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from chatops.bot.perception.types import PerceptionError

_SIXTEEN_BIT = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")

# Between Pillow's limit and twice it Pillow only warns; the reader refuses those images itself.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open lazily (the header only) and refuse an image over `max_pixels` before decoding it."""
    if not data:
        raise PerceptionError("is empty")
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:  # over twice Pillow's own limit: refused inside `open`
        raise too_big(header_size(data), max_pixels) from None
    except UnidentifiedImageError:
        raise PerceptionError("could not be decoded (not an image format I know)") from None
    except Exception as exc:  # a damaged header
        raise PerceptionError(f"could not be decoded ({short_reason(exc)})") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise PerceptionError("could not be decoded (it has no pixels)")
    if width * height > max_pixels:
        raise too_big((width, height), max_pixels)
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
        raise too_big(image.size, max_pixels) from None
    except MemoryError:
        raise PerceptionError("could not be decoded (not enough memory)") from None
    except Exception as exc:  # truncated or corrupt pixel data: OSError, SyntaxError, zlib.error, …
        raise PerceptionError(f"could not be decoded ({short_reason(exc)})") from None
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


def too_big(size: tuple[int, int] | None, max_pixels: int) -> PerceptionError:
    limit = f"{max_pixels / 1e6:g} megapixels" if max_pixels else "the pixel limit"
    if size is None:
        return PerceptionError(f"is too large; the limit is {limit}")
    return PerceptionError(f"is {size[0]}×{size[1]} pixels; the limit is {limit}")


def short_reason(exc: BaseException) -> str:
    """A Pillow or engine error as a few safe words: no object reprs, no paths, one line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if "truncated" in text.lower():
        return "the file is truncated"
    text = re.sub(r"<[^>]*>", "", text)  # "<_io.BytesIO object at 0x…>"
    text = re.sub(r"(/[\w.-]+)+", "…", text)  # file paths
    text = re.sub(r"\s+", " ", text).strip(" :")
    return text[:80] or type(exc).__name__
