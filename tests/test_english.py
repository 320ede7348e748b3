"""The planner's and the correction's English dictionary: the same words as pyspellchecker's list
(which it replaced in memory, issue 23), asked the same way, in a fraction of the memory."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
from spellchecker import SpellChecker

from chatops.bot.english import WordList, english_words, is_dictionary_word, spellchecker_file

ROOT = Path(__file__).resolve().parent.parent


def test_every_word_of_pyspellchecker_is_known_and_nothing_else():
    reference = SpellChecker(distance=1).word_frequency
    words = english_words()
    assert len(words) == len(reference.dictionary) > 150_000
    assert all(word in words for word in reference.dictionary)
    rng = random.Random(23)
    made_up = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 12))) for _ in range(20_000)]
    others = [*made_up, "kubectl", "nginx", "db2", "worker-free", "", "é", "naïve", "zzzzzzzz", "\udcff"]
    assert [word in words for word in others] == [word in reference for word in others]


def test_case_is_ignored_as_pyspellchecker_ignores_it():
    words = english_words()
    assert "Council" in words and "COUNCIL" in words and "council" in words
    assert is_dictionary_word("stats") and not is_dictionary_word("api")


def test_the_list_takes_a_fraction_of_pyspellcheckers_memory():
    # the dict it replaced held ~37 MB in the bot's process (bench/results/issue23-memory-13.txt)
    assert english_words().nbytes < 3_000_000


def test_a_small_list_finds_its_first_and_last_words_and_none_between():
    words = WordList(["beta", "Alpha", "gamma", "alpha"])
    assert len(words) == 3
    assert ["alpha" in words, "gamma" in words, "beta" in words] == [True, True, True]
    assert ["a" in words, "alphas" in words, "delta" in words, "zeta" in words, 7 in words] == [False] * 5
    assert "x" not in WordList([])


def test_loading_the_list_does_not_import_pyspellchecker():
    code = ("import sys; from chatops.bot.english import english_words; assert 'council' in english_words(); "
            "assert 'spellchecker' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_the_english_file_is_cut_into_the_block_as_a_whole():
    # word by word, 160,000 small objects made and freed while the models load in other threads
    # leave the interpreter's arenas partly used: RSS kept much of what the list saved
    # (bench/results/issue23-memory-13.txt); the whole-file path makes none
    from chatops.bot.english import _in_order

    raw = spellchecker_file()
    assert _in_order(raw) is not None
    before = sys.getallocatedblocks()
    words = WordList.from_json(raw)
    assert sys.getallocatedblocks() - before < 5_000  # the block, the offsets, the search's cache
    assert len(words) == 160_572 and "council" in words


@pytest.mark.parametrize("text", [
    b'{"b": 1, "a": 2}',            # not sorted
    b'{"Alpha": 1, "beta": 2}',     # not lower case
    b'{"a": 1, "a": 2}',            # twice
    b'{"a": "x", "b": 2}',          # a quoted value
    b'{"caf\\u00e9": 1, "z": 2}',  # an escape
])
def test_a_file_not_in_plain_sorted_lower_case_is_read_word_by_word_with_the_same_result(text):
    import json

    words = WordList.from_json(text)
    expected = WordList(json.loads(text))
    assert [w in words for w in ["a", "b", "alpha", "beta", "café", "z", "x"]] == \
        [w in expected for w in ["a", "b", "alpha", "beta", "café", "z", "x"]]
    assert words.nbytes == expected.nbytes
