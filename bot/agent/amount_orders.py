"""Orders that change an amount or give a new value, read as a tool's action without its verb:
"cut 20481733 back to 800/day" for `set_daily_budget`, "extend vmfs-ds14 to 4 TiB" for `grow_lun`,
"set search-api back to info" for `set_log_level`.

Why apart from the ranking (`bot.agent.ranking`): each reads the order's verb by WordNet's verb
senses (`bot.agent.verb_senses`: which way a verb changes an amount) and the value the order gives
after "to", which are questions of their own; the ranking only adds their evidence."""

from __future__ import annotations

import re

from chatops.bot.agent.entities import Entities, stem
from chatops.bot.agent.filled import Filled
from chatops.bot.agent.lexicon import CLAUSE, LIGHT_VERBS, QUESTION, STOPWORDS
from chatops.bot.agent.number_words import WORDS
from chatops.bot.agent.param_kinds import Param, parameters
from chatops.bot.agent.phrases import at_verb
from chatops.bot.agent.tool_words import own_name_words
from chatops.bot.agent.unseen_verbs import verbs_asked
from chatops.bot.agent.verb_senses import amount_direction, changes_amount, is_verb, opposes
from chatops.bot.model import Risk
from chatops.tools.registry import ToolSpec

# "give P14 ten more minutes", "add 5 extra mins to P02", "give them another hour": an order that opens its
# clause with its verb, whose object (after at most three words: a target, "them") is more of an amount.
# Not "clamp P14 in ten more minutes" (when), "P14 asked for ten more minutes" (a story), "pause R3, we'll
# reopen in another 10 minutes" (another clause), "R3 ran 30 more minutes than planned" (no order)
_MORE = re.compile(rf"^\W*(?:(?:please|pls|plz|just|can\s+you|could\s+you|ok|okay|so|and)\s+)*(?P<verb>[a-z]+)\s+"
                   rf"(?:(?!(?:in|within|after|before|than|for|by|until|till|every)\s)[^\s,;:!?]*[^\s,;:.!?]\s+){{0,3}}?"
                   rf"(?:(?:\d{{1,5}}|{WORDS})\s+(?:more|extra|additional|further)\b|"
                   r"(?:another|a\s+further|an\s+extra|an\s+additional)\s)", re.IGNORECASE)


def _asks_for_more(wording: str) -> bool:
    """Whether the request's first clause is an order for more of an amount (`_MORE`), its verb a
    verb and no refusal or condition anywhere ("P14 paid for another hour, don't clamp it")."""
    first = CLAUSE.split(wording, maxsplit=1)[0]
    said = _MORE.match(first)
    return said is not None and is_verb(said.group("verb").lower()) and \
        said.group("verb").lower() not in _NO_ORDER and not _NOT_NOW.search(wording)


_NO_ORDER = frozenset({"is", "are", "was", "were", "has", "have", "had", "be", "been", "do", "does", "did", "will",
                       "would", "can", "could", "should", "may", "might", "must", "need", "needs"})
_NOT_NOW = re.compile(r"\b(?:if|unless|once|when|not|never|no)\b|n['’]t\b|\?", re.IGNORECASE)


def same_way(own_names: list[str], lead: str | None, entities: Entities, spec: ToolSpec | None = None) -> str | None:
    """The order's verb when it changes an amount the same way as the tool's own verb ("extend"
    and "grow" both increase, by WordNet), and the request gives the amount (a number or a size):
    "drop vol-3" alone is no shrink. "Ten more minutes" asks for an increase whatever its verb,
    for a tool that increases an amount in the unit said ("give pharaoh.york ten more minutes" for
    `add_time`, "Add minutes to the clock"; not "order another 500 tonnes" for a tool of no tonnes)."""
    own = [word for word in (*own_names[:1], lead) if word]
    ways = {way for word in own for way in amount_direction(word)}
    if ways == {"up"} and spec is not None and _asks_for_more(entities.wording) and _in_its_unit(spec, entities):
        return "more"
    if len(ways) != 1 or not (entities.numbers or entities.sizes or entities.percentages):
        return None
    for asked in verbs_asked(entities.wording, known_too=True):
        word = "_".join(asked) if len(asked) > 1 and is_verb("_".join(asked)) else asked[0]
        if word not in own and amount_direction(word) == ways and not any(opposes(word, verb) for verb in own):
            return word.replace("_", " ")
    return None


def sets_a_listed_value(own_names: list[str], clauses: list[list[str]], filled: Filled,
                         entities: Entities) -> str | None:
    """ "set search-api back to info" for `set_log_level`: a tool named by a light verb ("set",
    "make", "put") does its action when the order opens with that verb and gives, after "to", one
    of the values its parameter lists. So does an order whose verb raises or lowers an amount
    (WordNet's kinds of "increase" and "decrease") and gives, after "to", the amount the tool
    takes: "cut 20481733 back to 800/day" for `set_daily_budget`."""
    if not own_names or own_names[0] not in LIGHT_VERBS:
        return None
    verb = stem(own_names[0])
    changing = [word for asked in verbs_asked(entities.wording, known_too=True)
                if changes_amount(word := "_".join(asked) if len(asked) > 1 and is_verb("_".join(asked)) else asked[0])]
    if any(token == verb and at_verb(index, [clause]) for clause in clauses for index, token in enumerate(clause)):
        said = own_names[0]
        given = [str(value) for name, value in filled.args.items() if filled.sources.get(name) == str(value)
                 and isinstance(value, str)]
    elif changing:
        said = changing[0].replace("_", " ")
        given = [written for value in filled.args.values() if isinstance(value, int) and not isinstance(value, bool)
                 for written in (str(value), f"{value:,}", *([f"{value / 1000:g}k"] if value % 100 == 0 else []))]
    else:
        return None
    found = any(re.search(rf"\bto\s+[$€£]?{re.escape(value)}(?![\w.])", entities.plain, re.IGNORECASE)
                for value in given)
    return said if found else None


# light verbs that put a thing into a state when they name one ("keep 03/055 on the night plan",
# "run the event plan on 06/004", "put bay 4 on standby"); not those that also look ("get", "take",
# "have a look") or go somewhere ("go", "bring … back")
_PUTTING = frozenset({"put", "keep", "run", "give", "make", "set", "turn"})


def puts_in_a_listed_state(spec: ToolSpec, clauses: list[list[str]], filled: Filled, entities: Entities) -> str | None:
    """ "keep 03/055 on the night plan until further notice" for `set_fixed_plan`: a change named by a
    light verb is asked by an order that opens a clause with another light verb of putting and
    names, in that clause, one of the values the change's own parameter lists: after "on", "onto",
    "to" or "into" ("keep S-03 on night"), or right after the verb ("run the event plan on 06/004").
    The listed value is the evidence, as "to info" is for "set search-api back to info". Not in a
    question, not after "off", "from" or a negation ("keep S-03 off the night mode", "make sure it
    isn't on night"), and not a value that names another thing ("run the event check")."""
    own = own_name_words(spec)
    if spec.risk is Risk.read or not own or own[0] not in LIGHT_VERBS or filled.missing or \
            QUESTION.search(entities.wording.strip()):
        return None
    listed = [(param, str(filled.args[param.name])) for param in parameters(spec)
              if param.enum and param.name in filled.args and filled.sources.get(param.name)
              and isinstance(filled.args[param.name], str)]
    for part in CLAUSE.split(entities.plain):
        words = part.split()
        # the tool's own verb ("set the txt on … to …") is `sets_a_listed_value`'s to read (the value after "to")
        if not words or words[0].lower() not in _PUTTING - {own[0]}:
            continue
        for param, value in listed:
            written = re.escape(value).replace("_", "[_ ]")
            found = re.search(rf"^\s*\S+\s+(?:the\s+)?{written}\b(?P<after>\s+\S+)?"
                              rf"|(?<!n't\s)(?<!not\s)\b(?:on|onto|to|into)\s+(?:the\s+|its\s+)?{written}\b(?P<next>\s+\S+)?",
                              part, re.IGNORECASE)
            following = ((found.group("after") or found.group("next") or "") if found else "").strip().lower()
            if found and (not following or following in STOPWORDS or _names_the_parameter(following, param)):
                return words[0].lower()
    return None


def _names_the_parameter(word: str, param: Param) -> bool:
    """Whether `word` is one of the parameter's own words ("plan" of `plan`, "scheme" of a lighting
    scheme): "the event plan" names the value, "the event check" another thing."""
    return stem(word.strip(".,;:!?")) in _own_stems(param)


def _own_stems(param: Param) -> set[str]:
    """The stems of a parameter's name and description: the words it is spoken of by."""
    return {stem(part) for part in re.findall(r"[a-z]+", f"{param.name} {param.schema.get('description', '')}".lower())}


def _in_its_unit(spec: ToolSpec, entities: Entities) -> bool:
    """Whether a duration the request gives is in a unit one of the tool's numbers names ("minutes"
    for a parameter `minutes`, or "Minutes to add to the clock")."""
    units = {stem(unit) for _, unit in entities.durations}
    return any(param.kind in ("int", "number") and units & _own_stems(param) for param in parameters(spec))
