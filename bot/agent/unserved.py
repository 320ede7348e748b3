"""Orders for an action no offered tool does: "can you book the vet for 1047 tomorrow at 9?",
"spin up 40 more servers in eu-west", "cheers all, belts are turning".

Why: the issue's rule is that a request for an action never silently degrades to a read. The
ranking already sets aside a read found only by what a known change verb is about ("upload a new
k6 script" is no listing of k6 runs, `bot.agent.actions.change_verbs_asked`); a verb the lexicon
does not know ("book", "ring", "reorder", "spin up") is an action too, when it stands as an order:
after "please" or "can you", or opening the message before its object ("port our +49 30 numbers").
Such a verb is served when a tool's own words say it, or WordNet says it means one of them; if
none does, the reads its values happen to fit are not what was asked, and the answer says there
is no tool for it."""

from __future__ import annotations

from chatops.bot.agent.entities import STOPWORDS, stem, words_of
from chatops.bot.agent.lexicon import CLAUSE, LIGHT_VERBS, LOOK_VERBS, synonym_class, wordset
from chatops.bot.agent.tool_words import summary_stems, tool_vocabulary
from chatops.bot.agent.verb_senses import is_verb, means
from chatops.tools.registry import ToolSpec

# what an order's object opens with, after its verb at the start of a message ("port our numbers",
# "cheers all", "spin up 40 servers"); a word followed by anything else is more likely a noun
# ("queue at the Kop's backing up", "steward radioed at 14:32")
_OBJECT_OPENERS = wordset(
    "the a an our my your his her its their this that these those it them him me us all every some up down out "
    "off over back")
# the words that make the next one an order: "please book …", "pls ring …", "can you reorder …"
_PLEASE = frozenset({"please", "pls", "plz", "kindly"})
_CAN = frozenset({"can", "could", "would", "will"})
# asking, knowing, helping, getting and trying: they ask the bot to think, tell or look ("grab a
# thread dump", "ping the health endpoint", "can u reach db-01 on 5432"), not to act on something
_ASKING = wordset(
    "help explain confirm verify know think try say mean understand figure remember remind tell see find look "
    "watch check ask show give let keep get grab pull ping reach hit test leave fetch")

_NO_ORDER = STOPWORDS | LIGHT_VERBS | LOOK_VERBS | _ASKING


def unserved_orders(wording: str, tools: list[ToolSpec]) -> frozenset[str]:
    """The verbs of the request's orders that no offered tool does (as written)."""
    parts = [words_of(part) for part in CLAUSE.split(wording) if part and part.strip()]
    found = set()
    for index, words in enumerate(parts):
        for at, word in enumerate(words):
            if _an_order_s_verb(words, at, opens_the_message=index == 0) and \
                    not any(_serves(spec, word) for spec in tools):
                found.add(word)
    return frozenset(found)


def _an_order_s_verb(words: list[str], at: int, opens_the_message: bool) -> bool:
    """Whether the word stands as an order's verb that the lexicon does not know: after "please" or
    "can you", or first in the message before its object; a verb (WordNet), not a light verb, a
    verb of looking or asking, or a gerund ("seeing this in the logs")."""
    word = words[at]
    led = at >= 1 and (words[at - 1] in _PLEASE or (at >= 2 and words[at - 1] in ("you", "u")
                                                    and words[at - 2] in _CAN))
    opens = opens_the_message and at == 0 and at + 1 < len(words) and \
        (words[at + 1] in _OBJECT_OPENERS or words[at + 1][:1].isdigit())
    if not (led or opens) or not word.isalpha() or _gerund(word):
        return False
    if word in _NO_ORDER or synonym_class(word) is not None:
        return False
    # after "can you" / "please" English puts a verb, whatever WordNet 3.0 knows ("can you text the
    # driver"); only an adverb may stand between ("can you quickly …")
    return is_verb(word) or (led and not word.endswith("ly"))


def _gerund(word: str) -> bool:
    """A verb's -ing form ("seeing this in the logs", "running"), not a verb that ends so ("ring",
    "bring"): what is left without the -ing is a verb itself, or with its "e" or one of two doubled
    letters ("making", "stopping")."""
    if not word.endswith("ing") or len(word) < 5:
        return False
    base = word[:-3]
    return is_verb(base) or is_verb(base + "e") or (len(base) >= 2 and base[-1] == base[-2] and is_verb(base[:-1]))


def _serves(spec: ToolSpec, verb: str) -> bool:
    """Whether the tool's own words say the verb, or one of them means it (WordNet)."""
    own = tool_vocabulary(spec) | set(summary_stems(spec.summary)) | {stem(word) for word in spec.keywords}
    if stem(verb) in own:
        return True
    return any(means(verb, word) for word in words_of(" ".join([spec.name.replace("_", " "), spec.summary]))
               if len(word) >= 3 and word not in STOPWORDS)
