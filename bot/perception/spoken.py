"""Spoken addresses in the forms the planner reads.

Whisper writes what it hears: "h t t p colon slash slash one two seven dot zero dot zero dot one
colon eighty eighty slash health", "port eighty eighty", "version two point three point one". The
planner's extractors look for `http://127.0.0.1:8080/health`, `port 8080` and `2.3.1`, so a voice
note's transcript is normalised before planning; the raw transcript is kept beside it and shown.

Rules, in order: spelled letters join ("h t t p s" → "https"); number words become numbers, a run
of them read digit group by digit group ("one two seven" → 127, "eighty eighty" → 8080, "twenty
two" → 22, "five thousand" → 5000); "colon", "slash", "dot", "dash", "underscore" become symbols
and "point" a decimal point between numbers; then tokens joined by symbols are glued together.
Everything else is left exactly as transcribed.
"""

from __future__ import annotations

import re

UNITS = {"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
SYMBOLS = {"colon": ":", "slash": "/", "dot": ".", "dash": "-", "hyphen": "-", "underscore": "_"}
_PUNCTUATION = ".,!?;:\"'"
_SPELLED = re.compile(r"^(?:[a-z]-)+[a-z]$", re.IGNORECASE)  # "H-T-T-P"


def _number_words(words: list[str], start: int) -> tuple[str, int] | None:
    """Digits for the run of number words at `start` and the index after it, or None. "oh" counts
    only inside a run of digits."""
    groups: list[str] = []
    index = start
    while index < len(words):
        word = words[index].lower()
        if word in TENS:
            value = TENS[word]
            if index + 1 < len(words) and words[index + 1].lower() in UNITS and words[index + 1].lower() != "oh" \
                    and UNITS[words[index + 1].lower()] > 0:
                value += UNITS[words[index + 1].lower()]
                index += 1
            groups.append(str(value))
        elif word in TEENS:
            groups.append(str(TEENS[word]))
        elif word in UNITS and (word != "oh" or groups):
            value = UNITS[word]
            following = words[index + 1].lower() if index + 1 < len(words) else ""
            if following in ("hundred", "thousand"):
                value *= 100 if following == "hundred" else 1000
                index += 1
            groups.append(str(value))
        elif word in ("hundred", "thousand") and groups:
            groups[-1] = str(int(groups[-1]) * (100 if word == "hundred" else 1000))
        else:
            break
        index += 1
    if not groups:
        return None
    return "".join(groups), index


def _tokens(text: str) -> list[str]:
    """Words with their trailing punctuation split off, spelled-out letters split apart."""
    tokens: list[str] = []
    for raw in text.split():
        word = raw.rstrip(_PUNCTUATION) or raw
        tail = raw[len(word):]
        if _SPELLED.match(word):
            tokens.extend(word.split("-"))
        else:
            tokens.append(word)
        if tail:
            tokens.append(tail)
    return tokens


_HYPHENED_DIGITS = re.compile(r"\b\d(?:-\d)+\b")  # Whisper's "1-2-7" for "one two seven"
_THOUSANDS = re.compile(r"\b(\d{1,2}),(\d{3})\b(?!,\d)")  # "port 8,000": ports and counts have no separators


def normalise_transcript(text: str) -> str:
    """The transcript with spoken URLs, hosts, ports and versions written as they are typed."""
    text = _HYPHENED_DIGITS.sub(lambda m: m.group(0).replace("-", ""), text)
    text = _THOUSANDS.sub(r"\1\2", text)
    tokens = _tokens(text)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        lowered = token.lower()
        # spelled letters: "h t t p s" (two or more single letters, "a" and "i" only inside a run)
        run = index
        while run < len(tokens) and len(tokens[run]) == 1 and tokens[run].isalpha():
            run += 1
        if run - index >= 2 and not (run - index == 2 and {t.lower() for t in tokens[index:run]} & {"a", "i"}):
            out.append("".join(tokens[index:run]).lower())
            index = run
            continue
        number = _number_words(tokens, index)
        if number is not None:
            out.append(number[0])
            index = number[1]
            continue
        if lowered in SYMBOLS:
            out.append("\x00" + SYMBOLS[lowered])
        elif lowered == "point" and out and out[-1].isdigit() and index + 1 < len(tokens) and (
                tokens[index + 1].lower() in UNITS or tokens[index + 1].lower() in TENS or tokens[index + 1].isdigit()):
            out.append("\x00.")
        elif token in _PUNCTUATION or all(ch in _PUNCTUATION for ch in token):
            out.append("\x01" + token)
        else:
            out.append(token)
        index += 1
    return _glue(out)


NOT_HOST_WORDS = frozenset({"port", "version", "v", "on", "at", "to", "is", "of", "and", "in", "the", "for"})


def _glue(tokens: list[str]) -> str:
    """Join tokens with spaces, except around symbols ("127 . 0" → "127.0"); punctuation that
    followed a word sticks to it, and is dropped where it would split an address. A number just
    before a symbol joins the word before it: "web one dot example" → "web1.example"."""
    text = ""
    glue_next = False
    for position, token in enumerate(tokens):
        before_symbol = position + 1 < len(tokens) and tokens[position + 1].startswith("\x00")
        tail = re.search(r"[A-Za-z]+$", text)
        if (token.isdigit() and len(token) <= 2 and before_symbol and not glue_next and tail
                and tail.group(0).lower() not in NOT_HOST_WORDS):
            text += token
            continue
        if token.startswith("\x00"):
            text = text.rstrip(",") + token[1:]
            glue_next = True
            continue
        if token.startswith("\x01"):
            mark = token[1:]
            next_is_symbol = position + 1 < len(tokens) and tokens[position + 1].startswith("\x00")
            if not glue_next and not next_is_symbol:
                text += mark
            continue
        if glue_next:
            text += token
        else:
            text += (" " if text else "") + token
        glue_next = False
    return text
