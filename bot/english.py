"""The English dictionary the planner and the transcript correction share.

Both ask "is this an ordinary English word?": the planner so that "stats" is never read as a
slip of a tool's "seats", the correction so that plain speech is never re-spelt as jargon. The
list comes from the `pyspellchecker` package (a core dependency; its dictionary ships inside the
wheel). It takes ~1 s and ~38 MB to load, so the process holds one copy, loaded off the event
loop at start (`bot.agent.entities.warm_entities`).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def english_words() -> Any:
    """The words with their frequencies (`word in english_words()`); loaded on first use."""
    from spellchecker import SpellChecker

    return SpellChecker(distance=1).word_frequency


def english_loaded() -> bool:
    """Whether the list is in memory, so a first lookup will not block."""
    return english_words.cache_info().currsize > 0


def is_dictionary_word(word: str) -> bool:
    """Whether `word` (lower case) is in the dictionary exactly as written: no inflection is
    guessed, so "api" is not a word even though "apis" is."""
    return word in english_words()
