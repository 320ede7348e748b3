"""The English dictionary the planner and the transcript correction share.

Both ask "is this an ordinary English word?": the planner so that "stats" is never read as a
slip of a tool's "seats", the correction so that plain speech is never re-spelt as jargon. The
list comes from the `pyspellchecker` package (a core dependency; its dictionary ships inside the
wheel), and the process holds one copy, loaded off the event loop at start
(`bot.agent.entities.warm_entities`).

Only membership is ever asked, so the words are kept as one sorted block of bytes (1.6 MB) with
their offsets (0.6 MB) rather than pyspellchecker's `WordFrequency` (a dict of 160,572 `str` →
`int`, ~32 MB kept): in `bench/memory.py --media` the peak with every model loaded went from
741.5 to 725.5 MB (medians of 6, interleaved; bench/results/issue23-memory-13.txt). A lookup is a
binary search, about 18 comparisons; answers are cached, so the planner's repeated words cost a
dict lookup.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import re
from array import array
from collections.abc import Iterable
from pathlib import Path

_KEY = re.compile(rb'"([^"\\]*)":')  # a key of pyspellchecker's {"word": count, ...} file


class WordList:
    """Lower-case words, sorted and joined by newlines in one `bytes`, with each word's start in
    an `array`: `word in words` matches case-insensitively, as pyspellchecker's list does."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        encoded = sorted({_key(word) for word in words})
        starts = array("I", [0])
        for word in encoded:
            starts.append(starts[-1] + len(word) + 1)
        self._set(b"\n".join(encoded) + b"\n" if encoded else b"", starts)

    @classmethod
    def from_json(cls, raw: bytes) -> WordList:
        """The keys of a `{"word": count, ...}` file. When the file already holds them sorted,
        unique and in lower case (pyspellchecker's English list does), the block is cut straight
        out of its text and no object is made per word: the load's 160,000 small objects would
        leave the interpreter's arenas partly used when another thread allocates meanwhile (the
        models load beside it), and RSS would keep much of what the list saved. Otherwise the
        words are read, lower-cased and sorted as `WordList(words)` does."""
        packed = _in_order(raw)
        if packed is None:
            return cls(word.decode("utf-8") for word in _keys(raw))
        words = cls.__new__(cls)
        words._set(*packed)
        return words

    def _set(self, blob: bytes, starts: array) -> None:
        self._blob, self._starts = blob, starts  # word i is _blob[starts[i]:starts[i + 1] - 1]
        self._size = len(starts) - 1
        self.contains = functools.lru_cache(maxsize=4096)(self._search)

    def __len__(self) -> int:
        return self._size

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.contains(word)

    @property
    def nbytes(self) -> int:
        """The memory the words take (the block and the offsets), for tests and benches."""
        return len(self._blob) + self._starts.itemsize * len(self._starts)

    def _search(self, word: str) -> bool:
        key, blob, starts = _key(word), self._blob, self._starts
        low, high = 0, self._size
        while low < high:
            middle = (low + high) // 2
            if blob[starts[middle]:starts[middle + 1] - 1] < key:
                low = middle + 1
            else:
                high = middle
        return low < self._size and blob[starts[low]:starts[low + 1] - 1] == key


def _in_order(raw: bytes) -> tuple[bytes, array] | None:
    """The file's keys as one newline-ended block with each word's start, if it is a plain
    `{"word": 1, ...}` (no escapes, numbers as values), its keys in lower case and strictly
    sorted; None otherwise. The block is cut out with numpy over the whole text, so no object is
    made per word (the sort check keeps one word alive at a time)."""
    import numpy as np

    if b"\\" in raw:
        return None
    text = np.frombuffer(raw, dtype=np.uint8)
    quote = text == ord('"')
    inside = np.bitwise_xor.accumulate(quote.view(np.uint8)).view(bool)  # from an opening quote to its closing one
    outside = ~inside & ~quote
    closing = quote & ~inside
    if np.count_nonzero(text[outside] == ord(":")) != np.count_nonzero(closing) or \
            not np.isin(text[outside], np.frombuffer(b"{}:,-0123456789 \t\r\n", dtype=np.uint8)).all():
        return None  # something besides keys and numbers (a quoted value): not this simple shape
    words = np.where(closing, np.uint8(ord("\n")), text)[(inside & ~quote) | closing]
    blob = words.tobytes()
    del quote, inside, outside, closing, words
    if blob.count(b"\n\n") or blob.startswith(b"\n") or (lowered := blob.decode("utf-8")) != lowered.lower():
        return None  # an empty key, or one that is not in lower case
    del lowered
    starts, begin, previous = array("I", [0]), 0, b""
    while begin < len(blob):
        end = blob.index(b"\n", begin)
        word = blob[begin:end]  # one word alive at a time
        if word <= previous:
            return None  # not strictly sorted (or a duplicate)
        previous, begin = word, end + 1
        starts.append(begin)
    return blob, starts


def _keys(raw: bytes) -> list[bytes]:
    """Every key of the file (a file with escapes is parsed whole)."""
    if b"\\" in raw:
        return [word.encode("utf-8", "surrogatepass") for word in json.loads(raw)]
    return _KEY.findall(raw)


def _key(word: str) -> bytes:
    return word.lower().encode("utf-8", "surrogatepass")


def spellchecker_file(language: str = "en") -> bytes:
    """pyspellchecker's `{"word": count, ...}` list for `language`, decompressed; found by the
    package's spec and read, never imported (importing it costs ~1.5 MB and nothing else is used)."""
    spec = importlib.util.find_spec("spellchecker")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pyspellchecker is not installed (a core dependency: reinstall chatops)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return gzip.decompress((folder / "resources" / f"{language}.json.gz").read_bytes())


@functools.cache
def english_words() -> WordList:
    """The words (`word in english_words()`); loaded on first use."""
    return WordList.from_json(spellchecker_file())


def english_loaded() -> bool:
    """Whether the list is in memory, so a first lookup will not block."""
    return english_words.cache_info().currsize > 0


def is_dictionary_word(word: str) -> bool:
    """Whether `word` (lower case) is in the dictionary exactly as written: no inflection is
    guessed, so "api" is not a word even though "apis" is."""
    return word in english_words()
