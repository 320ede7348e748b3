"""What an OCR engine read, made into the text the bot shows: one line per screen line, plain quotes.

Both engines end here (`bot.perception.tesseract_ocr` and `bot.perception.rapidocr_engine`), so a
screenshot reads the same whichever engine the configuration or the picture chose.
"""

from __future__ import annotations

import unicodedata

_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u201a": "'"})


def tidy(text: str) -> str:
    """One text line per screen line: trailing spaces and empty lines gone, typographic quotes
    and ligatures made plain (screens of logs and commands use straight quotes)."""
    text = unicodedata.normalize("NFKC", text.replace("\f", "")).translate(_QUOTES)
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


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
