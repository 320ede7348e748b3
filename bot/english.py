"""The English dictionary the planner and the transcript correction share.

Both ask "is this an ordinary English word?": the planner so that "stats" is never read as a
slip of a tool's "seats", the correction so that plain speech is never re-spelt as jargon. The
list comes from the `pyspellchecker` package (a core dependency; its dictionary ships inside the
wheel), and the process holds one copy, loaded off the event loop at start
(`bot.agent.entities.warm_entities`).

Only membership is ever asked, so the words are kept as one sorted block of bytes rather than
pyspellchecker's `WordFrequency` (a dict of 160,572 `str` → `int`): 2.5 MB instead of ~37 MB,
measured in the bot's own process on the path of every voice note, screenshot and planned turn
(issue 23's peak memory; bench/results/issue23-memory-13.txt). A lookup is a binary search, about
18 comparisons; answers are cached, so the planner's repeated words cost a dict lookup.
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
        self._pack(sorted({_key(word) for word in words}))

    @classmethod
    def from_keys(cls, keys: list[bytes]) -> WordList:
        """From UTF-8 keys as a file holds them, sorted and lower-cased here in place (no second
        copy of 160,000 objects: the load's own peak is part of the bot's start-up peak)."""
        for index, key in enumerate(keys):
            if not key.islower() or not key.isascii():  # rare: a copy only for these
                keys[index] = key.decode("utf-8").lower().encode("utf-8", "surrogatepass")
        keys.sort()
        words = cls.__new__(cls)
        words._pack([key for index, key in enumerate(keys) if index == 0 or key != keys[index - 1]])
        return words

    def _pack(self, encoded: list[bytes]) -> None:
        self._blob = b"\n".join(encoded) + b"\n" if encoded else b""
        starts = array("I", [0])
        for word in encoded:
            starts.append(starts[-1] + len(word) + 1)
        self._starts = starts  # word i is _blob[starts[i]:starts[i + 1] - 1]
        self._size = len(encoded)
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


def _key(word: str) -> bytes:
    return word.lower().encode("utf-8", "surrogatepass")


def spellchecker_keys(language: str = "en") -> list[bytes]:
    """The words of pyspellchecker's list for `language` as UTF-8 bytes, read from its gzipped
    JSON without building its dict (the keys are taken from the text; a file with escapes is
    parsed whole)."""
    spec = importlib.util.find_spec("spellchecker")  # found, not imported: only its data file is read
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pyspellchecker is not installed (a core dependency: reinstall chatops)")
    folder = Path(next(iter(spec.submodule_search_locations)))
    raw = gzip.decompress((folder / "resources" / f"{language}.json.gz").read_bytes())
    if b"\\" in raw:  # an escaped key: let json read it
        return [word.encode("utf-8", "surrogatepass") for word in json.loads(raw)]
    return _KEY.findall(raw)


@functools.cache
def english_words() -> WordList:
    """The words (`word in english_words()`); loaded on first use."""
    return WordList.from_keys(spellchecker_keys())


def english_loaded() -> bool:
    """Whether the list is in memory, so a first lookup will not block."""
    return english_words.cache_info().currsize > 0


def is_dictionary_word(word: str) -> bool:
    """Whether `word` (lower case) is in the dictionary exactly as written: no inflection is
    guessed, so "api" is not a word even though "apis" is."""
    return word in english_words()
