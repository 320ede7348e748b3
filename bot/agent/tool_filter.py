"""With many tools, the planner gets the relevant subset.

An MCP server can bring dozens of tools; a prompt listing two hundred of them costs a small model
its context and a large one its attention. `relevant_tools` keeps at most `limit` tools: those
whose names, keywords, descriptions and parameter names share the rarest words with the request
(weighted by inverse document frequency over the offered tools, names counting double), plus a
tool whose parameters fit what the request contains (a URL, a host, a port). With `limit` tools
or fewer nothing is dropped, so small setups plan exactly as before. It only narrows what a
planner is shown: the policy, the risk and the approvals are decided on the chosen steps as ever.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from chatops.bot.agent.entities import identifier_words, stem
from chatops.tools.registry import ToolSpec

DEFAULT_LIMIT = 24
NAME_WEIGHT = 2.0
_WORD = re.compile(r"[a-z0-9]+")
_URL = re.compile(r"\bhttps?://", re.IGNORECASE)
_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b|\b\d{1,3}(?:\.\d{1,3}){3}\b", re.IGNORECASE)
_PORT = re.compile(r"\bport\s*\d+|:\d{2,5}\b", re.IGNORECASE)
# what the request contains → parameter names that take it
_SHAPES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_URL, ("url",)),
    (_HOST, ("host", "hostname", "name", "domain", "url")),
    (_PORT, ("port",)),
)


# words that say nothing about which tool is meant; a tool named `who_is_on_call` must not win
# every "is … up?" question because few tools share its "is"
STOPWORDS = frozenset([
    "a", "an", "and", "any", "are", "at", "be", "by", "can", "could", "do", "does", "for", "from", "get", "give",
    "how", "i", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our", "please", "show", "tell", "that",
    "the", "their", "this", "to", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with",
    "would", "you", "your",
])


def _words(text: str) -> set[str]:
    words = _WORD.findall(text.lower().replace("_", " "))
    return {stem(word) for word in words if word not in STOPWORDS}  # the ranker's stem: one notion of a word


def _tool_words(spec: ToolSpec) -> tuple[set[str], set[str]]:
    """(name words, all words) of a tool."""
    names = _words(" ".join(identifier_words(spec.name))) | _words(" ".join(spec.keywords))
    params = " ".join(" ".join(identifier_words(name)) for name in spec.parameters_schema.get("properties", {}))
    return names, names | _words(spec.description) | _words(params)


def relevant_tools(text: str, tools: Iterable[ToolSpec], *, limit: int = DEFAULT_LIMIT) -> list[ToolSpec]:
    """At most `limit` tools (the most relevant, see the module docstring), kept in the order
    they were given so a planner's own tie-breaking is unchanged."""
    tools = list(tools)
    if len(tools) <= limit:
        return tools
    vocab = [_tool_words(spec) for spec in tools]
    frequency = Counter(word for _, words in vocab for word in words)
    idf = {word: math.log(1 + len(tools) / count) for word, count in frequency.items()}
    asked = _words(text)
    shapes = {param for pattern, params in _SHAPES if pattern.search(text) for param in params}
    scores = []
    for index, (spec, (names, words)) in enumerate(zip(tools, vocab, strict=True)):
        score = sum(idf[word] * (NAME_WEIGHT if word in names else 1.0) for word in asked & words)
        if shapes & set(spec.parameters_schema.get("properties", {})):
            score += 1.0
        scores.append((-score, index))
    keep = sorted(index for _, index in sorted(scores)[:limit])
    return [tools[index] for index in keep]
