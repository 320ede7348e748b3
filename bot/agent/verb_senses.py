"""Whether two English verbs can mean the same action, or opposite ones, by WordNet's verb senses.

Why: a team's tool is named with the team's verb ("close_call_queue", "decommission_host"), and
people ask with theirs ("shut the claims line", "retire web-3"). The planner's lexicon
(`bot.agent.lexicon`) knows the common ops verbs; it cannot know every verb a tool written
tomorrow will use. WordNet (Princeton, 3.0; the table is built by `bench/build_wordnet_verbs.py`)
does: verbs that share a sense are synonyms, and it marks opposites ("open" / "close").

Only frequent senses count (a verb's first few, as WordNet orders them by how often they occur in
its corpus), so "fire" means "dismiss" only where that is among its common senses of both words.
The table is read once, on the first question."""

from __future__ import annotations

import functools
import gzip
import json
from importlib import resources

# How many of a word's senses count, most frequent first: the request's word must mean the tool's
# action in one of its common senses; the tool's verb may be meant in any sense its author chose.
REQUEST_SENSES = 3
TOOL_SENSES = 6

# WordNet's rules for reading a verb's base form from an inflected one ("shuts", "closing")
_DETACHMENTS = (("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
                ("s", ""))


@functools.cache
def _table() -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, int], dict[str, str]]:
    """lemma → its senses; sense → its opposites; sense → its hypernyms (each as comma-separated
    numbers, parsed on use: the whole table stays a few MB in memory); sense → how many senses it
    is the hypernym of; re-verb → the verb it does again."""
    with resources.files("chatops.bot.agent.wordnet").joinpath("verbs.json.gz").open("rb") as raw:
        table = json.loads(gzip.decompress(raw.read()))
    return table["lemmas"], table["antonyms"], table["hypernyms"], table["children"], table["again"]


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(number) for number in text.split(",")) if text else ()


def base_forms(word: str) -> tuple[str, ...]:
    """The verbs an inflected word can be ("stopped" → "stop"), as WordNet lists them."""
    lemmas = _table()[0]
    word = word.lower().replace(" ", "_").replace("-", "_")
    if word in lemmas:
        return (word,)
    found: list[str] = []
    for suffix, ending in _DETACHMENTS:
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            base = word[: -len(suffix)] + ending
            if base in lemmas and base not in found:
                found.append(base)
            if ending == "" and len(base) >= 3 and base[-1] == base[-2] and base[:-1] in lemmas:
                found.append(base[:-1])  # "stopped" → "stop"
    return tuple(found)


@functools.lru_cache(maxsize=1024)
def senses(word: str, kept: int) -> frozenset[int]:
    """The word's `kept` most frequent verb senses (over its base forms)."""
    lemmas = _table()[0]
    return frozenset(sense for base in base_forms(word) for sense in _numbers(lemmas[base])[:kept])


def is_verb(word: str) -> bool:
    return bool(base_forms(word))


def done_again(word: str) -> str | None:
    """The verb a word does once more: "restart" → "start", "reopened" → "open", by WordNet's
    definitions ("start an engine again"); for a re-word WordNet does not list, by its parts
    ("reenable", "re-route"). None for "remove", "report", "restore": WordNet's "remove" is not
    "move" again."""
    word = word.lower().replace("-", "")
    again = _table()[4]
    for base in base_forms(word):
        if base in again:
            return again[base]
    if word.startswith("re") and not is_verb(word) and (forms := base_forms(word[2:])) and len(word) >= 5:
        return forms[0]
    return None


def means(word: str, verb: str) -> bool:
    """Whether `word`, in one of its common senses, names the action `verb` does in one of its
    senses: they share a sense ("shut" / "close"). A word whose sense is only a kind of the verb's
    does not count: WordNet files "raise" under "move" and "reissue" under "issue", and a tool that
    moves offsets is not asked for by "raise the limit"."""
    if not word or not verb:
        return False
    return bool(senses(word, REQUEST_SENSES) & senses(verb, TOOL_SENSES))


def opposes(word: str, verb: str) -> bool:
    """Whether WordNet marks `word` (in a common sense) as the opposite of `verb`: "open" of "close";
    or their more general senses as opposites: "shrink" (a way to decrease) of "enlarge" (a way to
    increase)."""
    if not word or not verb:
        return False
    asked = senses(word, REQUEST_SENSES)
    own = senses(verb, TOOL_SENSES)
    if _opposite(asked, own):
        return True
    hypernyms = _table()[2]
    return _opposite({int(h) for sense in asked for h in hypernyms.get(str(sense), "").split(",") if h},
                     {int(h) for sense in own for h in hypernyms.get(str(sense), "").split(",") if h})


def _opposite(one: frozenset[int] | set[int], other: frozenset[int] | set[int]) -> bool:
    antonyms = _table()[1]
    return any(set(_numbers(antonyms.get(str(sense), ""))) & other for sense in one) or \
        any(set(_numbers(antonyms.get(str(sense), ""))) & one for sense in other)


# A hypernym over this many senses is an action too general to make its kinds alike ("change",
# "move", "make"); "inform" (of "tell", "notify", "warn") is under it.
BROAD = 80


def alike(word: str, verb: str) -> bool:
    """Whether two verbs mean the same action or two kinds of one narrow action: "telling" and
    "notify" are both ways to inform. Looser than `means`: for a verb that names what a tool's
    flag does, never for choosing a tool."""
    if means(word, verb):
        return True
    _, _, hypernyms, children, _ = _table()
    above = {int(h) for sense in senses(word, REQUEST_SENSES) for h in hypernyms.get(str(sense), "").split(",") if h}
    own = {int(h) for sense in senses(verb, TOOL_SENSES) for h in hypernyms.get(str(sense), "").split(",") if h}
    return any(children.get(str(shared), 0) <= BROAD for shared in above & own)


# How far up WordNet's kinds two verbs may meet, and how narrow the kind they meet in must be, to be kin
_KIN_DEPTH = 3
_KIN_BREADTH = 40


def kin(word: str, verb: str) -> bool:
    """Whether two verbs are kinds of one narrow action a few steps up WordNet's kinds, as
    "message", "email", "warn" and "notify" are all ways to communicate news; looser than `alike`,
    for the verb of a flag a request turns off ("don't message customers yet" for
    `notify_customers`), never for choosing a tool."""
    if alike(word, verb):
        return True
    _, _, hypernyms, children, _ = _table()

    def above(lemma: str, count: int) -> set[int]:
        level, found = set(senses(lemma, count)), set()
        for _ in range(_KIN_DEPTH):
            level = {int(h) for sense in level for h in hypernyms.get(str(sense), "").split(",") if h}
            found |= level
        return found

    return any(children.get(str(shared), 0) <= _KIN_BREADTH
               for shared in above(word, REQUEST_SENSES) & above(verb, TOOL_SENSES))


@functools.lru_cache(maxsize=1024)  # asked per light-verb or amount tool of every ranking
def amount_direction(word: str) -> frozenset[str]:
    """Which way a verb, in one of its common senses, changes an amount, up to three kinds down
    from WordNet's "increase" and "decrease": {"up"} for "raise", "extend", "boost"; {"down"} for
    "lower", "cut back", "shrink"; empty for a verb that changes no amount."""
    hypernyms = _table()[2]
    up, down = senses("increase", TOOL_SENSES), senses("decrease", TOOL_SENSES)
    level = set(senses(word, REQUEST_SENSES))
    found: set[str] = set()
    for _ in range(4):
        found |= {"up"} if level & up else set()
        found |= {"down"} if level & down else set()
        level = {int(h) for sense in level for h in hypernyms.get(str(sense), "").split(",") if h}
    return frozenset(found)


def changes_amount(word: str) -> bool:
    """Whether a verb is a way to increase or decrease something ("raise", "cut back"): a tool
    that sets an amount (`set_daily_budget`) is asked for by any of them with the new amount."""
    return bool(amount_direction(word))
