"""Re-spelling what Whisper misheard as a configured vocabulary term, after decoding.

The glossary bias (`bot.perception.audio`) pulls Whisper toward the configured words, but small
models still write what the words *sound* like: "post-resql" for postgresql, "worker-free" for
worker3, "my SQL" for mysql, "q2" for queue2. This module re-spells such spans, and only those,
as the term the operator configured (the same vocabulary the bias uses: `bot.perception.glossary`
or `whisper.vocabulary`). It never invents a term that is not in the vocabulary.

How a span is compared with a term. Both are reduced to their *spoken letters*: lower case,
digits read out digit by digit ("db2" → "dbtwo", as `spoken.normalise_transcript` writes "db two"
as "db 2"), everything else dropped, so a span of up to `MAX_SPAN` words compares across merges
and splits ("post resql" / "postgresql", "payments api" / "payments-api"). The score is the mean
of two normalised Levenshtein similarities (RapidFuzz): of the spoken letters, and of their
Metaphone keys (jellyfish), which forgive what sounds alike ("council" and "consul" share KNSL).

When it is rewritten. A span is re-spelled when its score reaches `THRESHOLD`; when every word
of it is an ordinary English word (pyspellchecker's list, `glossary.is_english`) the bar is the
higher `ENGLISH_THRESHOLD`, so "the council meets" stays a council. Spans that already read as
a term are left alone, except that a term's spoken form ("db two", "payments api") takes the
term's spelling ("db2", "payments-api"), the form the planner matches values against. Terms of
fewer than `MIN_LETTERS` spoken letters ("A", "MX", "api") are only ever kept, never matched
fuzzily: too many ordinary words are one or two edits from them. Overlapping candidates are
resolved exact readings first, the longest first ("postgres ql" is postgresql even when
"postgres" is a term too), then best score first. A hyphenated word is compared part by part and
as a whole (Whisper glues what it did not know: "kubelet-on-worker-free-keep"), and counts as
jargon, not English. Spans never reach across a sentence's end, and a word holding "/", ":" or
"@" (a URL, host:port, an address) is left as said. Both thresholds were chosen on the tuning
set (bench/voice_correction.py; figures in bench/results/issue26-jargon-correction.txt).

The rewrite is recorded (`Correction`) and the raw transcript is kept beside the corrected one,
so a thread can show what was heard. Text from audio stays data either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

THRESHOLD = 0.75
ENGLISH_THRESHOLD = 0.95
MAX_SPAN = 2  # words one term may have been heard as ("post resql", "payment api"): chosen on tuning
MIN_LETTERS = 4
_CANDIDATE = 0.5  # a looser first cut, in C, before the exact score
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_WORD = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
_SENTENCE_END = (".", "?", "!", ";", ":")
_ADDRESS = re.compile(r"[/:@]")


@dataclass(frozen=True)
class Correction:
    """One re-spelling: what was heard, the term written instead, and how alike they were."""

    heard: str
    term: str
    score: float

    def as_dict(self) -> dict[str, str | float]:
        return {"heard": self.heard, "term": self.term, "score": round(self.score, 3)}


def spoken_letters(text: str) -> str:
    """"Worker-3" → "workerthree": lower case, digits read out, nothing but letters."""
    out = []
    for ch in text.lower():
        if ch.isdigit():
            out.append(_DIGITS[int(ch)])
        elif ch.isalpha() and ch.isascii():
            out.append(ch)
    return "".join(out)


def sound_key(letters: str) -> str:
    """The Metaphone key of spoken letters ("consul", "council" → "KNSL")."""
    import jellyfish

    return jellyfish.metaphone(letters) if letters else ""


def similarity(heard: str, term: str) -> float:
    """How alike two spoken-letter strings are, 0–1: the mean of their spelling's and their
    sound's normalised Levenshtein similarity."""
    spelled = Levenshtein.normalized_similarity(heard, term)
    sounded = Levenshtein.normalized_similarity(sound_key(heard), sound_key(term))
    return (spelled + sounded) / 2


@dataclass(frozen=True)
class _Token:
    before: str  # "" at the start, " " between words, "-" inside a hyphenated word
    lead: str  # punctuation before the word
    word: str
    tail: str  # punctuation after it

    def written(self) -> str:
        return self.lead + self.word + self.tail


def _tokens(text: str) -> list[_Token]:
    """Words with their punctuation apart. A hyphenated word is split into its parts (joined by
    "-"): Whisper glues what it did not know ("kubelet-on-worker-free-keep"), and a term may be
    one of the parts."""
    tokens = []
    for raw in text.split():
        parts = raw.split("-")
        glued = len(parts) > 1 and all(any(ch.isalnum() for ch in part) for part in parts)
        pieces = parts if glued else [raw]
        for position, piece in enumerate(pieces):
            match = _WORD.match(piece)
            assert match is not None  # the pattern matches any string
            lead, word, tail = match.groups()
            before = "-" if position else (" " if tokens else "")
            tokens.append(_Token(before, lead, word, tail) if word else _Token(before, "", "", piece))
    return tokens


def _words(span: list[_Token]) -> str:
    """The span's words as written, without the punctuation around them: "payments-api"."""
    return "".join((t.before if index else "") + t.word for index, t in enumerate(span))


def _join(tokens: list[_Token]) -> str:
    return "".join(t.before + t.written() for t in tokens)


class VocabularyCorrector:
    """Re-spells a transcript's spans that were heard close to a term of `vocabulary`."""

    def __init__(self, vocabulary: Iterable[str], *, threshold: float = THRESHOLD,
                 english_threshold: float = ENGLISH_THRESHOLD,
                 is_english: Callable[[str], bool] | None = None) -> None:
        self.threshold = threshold
        self.english_threshold = english_threshold
        self._is_english = is_english
        self.terms: dict[str, str] = {}  # spoken letters → the term as configured (first wins)
        for term in vocabulary:
            term = " ".join(str(term).split())
            letters = spoken_letters(term)
            if letters and letters not in self.terms:
                self.terms[letters] = term
        self._fuzzy = [letters for letters in self.terms if len(letters) >= MIN_LETTERS]
        self._keys = [sound_key(letters) for letters in self._fuzzy]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """The transcript with misheard terms re-spelled, and what was changed. Blocking on first
        use (the English word list loads in ~0.4 s): call it in a worker thread."""
        if not self.terms or not text.strip():
            return text, []
        tokens = _tokens(text)
        candidates: list[tuple[float, int, int, str]] = []  # (score, start, end, term)
        for start in range(len(tokens)):
            for end in range(start + 1, min(start + MAX_SPAN, len(tokens)) + 1):
                span = tokens[start:end]
                if not span[-1].word or any(not t.word or t.tail.endswith(_SENTENCE_END) for t in span[:-1]):
                    break  # a span does not reach across a sentence or a bare symbol
                if any(_ADDRESS.search(t.word) for t in span):
                    break  # a URL, a host:port or an e-mail address is written as said
                found = self._match(span)
                if found is not None:
                    candidates.append((found[0], start, end, found[1]))
        # Exact readings first, the longest of them first ("postgres ql" is postgresql, not
        # postgres + "ql"); then near ones, best first, the fewest words first.
        chosen: list[tuple[int, int, str, float]] = []
        taken: set[int] = set()
        for score, start, end, term in sorted(
                candidates, key=lambda c: (-c[0], c[1] - c[2] if c[0] >= 1.0 else c[2] - c[1], c[1])):
            if taken.isdisjoint(range(start, end)):
                taken.update(range(start, end))
                if _words(tokens[start:end]) != term:  # else it already reads as the term: kept
                    chosen.append((start, end, term, score))
        if not chosen:
            return text, []
        chosen.sort()
        out: list[str] = []
        corrections: list[Correction] = []
        index = 0
        for start, end, term, score in chosen:
            out.append(_join(tokens[index:start]))
            span = tokens[start:end]
            before = " " if span[0].before == "-" else span[0].before  # un-glued: "kubelet-on-worker-free"
            out.append(before + span[0].lead + term + span[-1].tail)
            corrections.append(Correction(_words(span), term, score))
            index = end
            if index < len(tokens) and tokens[index].before == "-":
                tokens[index] = replace(tokens[index], before=" ")
        out.append(_join(tokens[index:]))
        return "".join(out), corrections

    def _match(self, span: list[_Token]) -> tuple[float, str] | None:
        """The best term for a span and its score, or None when none clears the bar."""
        letters = spoken_letters("".join(t.word for t in span))
        if not letters:
            return None
        exact = self.terms.get(letters)
        if exact is not None:  # the term's own letters: kept as written, or given its spelling
            written = _words(span)
            return 1.0, written if written.lower() == exact.lower() else exact
        if len(letters) < MIN_LETTERS - 1 or not self._fuzzy:
            return None
        found = process.extract(letters, self._fuzzy, scorer=Levenshtein.normalized_similarity,
                                score_cutoff=_CANDIDATE, limit=None)
        key = sound_key(letters)
        sounds = process.extract(key, self._keys, scorer=Levenshtein.normalized_similarity,
                                 score_cutoff=_CANDIDATE, limit=None) if key else []
        indexes = {index for _, _, index in found} | {index for _, _, index in sounds}
        best: tuple[float, str] | None = None
        for index in indexes:
            term_letters = self._fuzzy[index]
            score = similarity(letters, term_letters)
            if best is None or score > best[0]:
                best = (score, self.terms[term_letters])
        if best is None:
            return None
        if best[0] >= self.english_threshold:
            return best
        return best if best[0] >= self.threshold and not self._all_english(span) else None

    def _all_english(self, span: list[_Token]) -> bool:
        """Every word ordinary English, and none glued to the next by a hyphen (Whisper's sign
        that it heard one unknown word: "worker-free")."""
        if self._is_english is None:
            from chatops.bot.perception.glossary import is_english

            self._is_english = is_english
        if any(t.before == "-" for t in span[1:]):
            return False
        return all(self._is_english(t.word.lower()) for t in span)
