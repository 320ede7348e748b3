"""The words Whisper should expect, gathered from what the bot is configured to act on.

Whisper mishears ops jargon ("post-resql" for postgresql, "app rock see" for haproxy); a glossary
in its prompt and hotwords (`bot.perception.audio.vocabulary_prompt`) pulls it toward the right
spelling. The people who configure the bot have already written those words down, so they are
read from there rather than asked for again:

1. runbooks' enum values and the `aliases` people say for them ("postgres" for "postgresql");
2. the jargon of runbooks' `examples` (words an English dictionary does not know, or that hold a
   digit: "kubectl", "db2"; "restart" and "the" are left to Whisper's own language model);
3. MCP tools' names (`grafana_query`; `vocabulary_prompt` adds "grafana query");
4. every tool's parameter values: JSON-schema `enum` values and `examples`, and the jargon of a
   plugin's or MCP tool's `examples` (a built-in tool's are demonstrations: "example.com").

The order is the order of importance: the prompt holds about 60 entries, and the tail is dropped.
Built-in tool names are not included: biased toward them, Whisper rewrote "restart the nginx
service" as "restart the dns service" (a word of `dns_lookup`).

A `perception.whisper.vocabulary` the user sets replaces all of this: it is their statement of
what people say (issue 26: "unless the user sets one").

Blocking (the English word list takes ~0.4 s to load on first use): call it in a worker thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from chatops.bot.english import english_words

if TYPE_CHECKING:
    from chatops.bot.config import Config
    from chatops.tools.registry import ToolRegistry

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*[A-Za-z0-9]|[A-Za-z]")
MAX_VALUE_CHARS = 48  # longer schema values are sentences or blobs, not words people say


def vocabulary(config: Config, registry: ToolRegistry | None = None) -> list[str]:
    """The glossary's words, most important first (see the module's docstring)."""
    chosen = list(config.perception.whisper.vocabulary)
    if chosen:
        return chosen
    words: list[str] = []
    for runbook in config.runbooks:
        for param in runbook.params.values():
            words += [*(param.values or []), *param.aliases]
    for runbook in config.runbooks:
        words += jargon(runbook.examples)
    specs = registry.specs() if registry is not None else []
    words += [spec.name for spec in specs if spec.source.startswith("mcp:")]
    for spec in specs:
        words += list(schema_values(spec.parameters_schema))
        if spec.source != "builtin":  # built-in tools' examples are demonstrations ("example.com")
            words += jargon(spec.examples)
    return _unique(words)


def schema_values(schema: Any) -> Iterator[str]:
    """`enum` values and `examples` of a JSON schema's properties, however deeply nested: short
    strings only (numbers and booleans are said as numbers and words Whisper knows)."""
    if isinstance(schema, dict):
        for key in ("enum", "examples"):
            values = schema.get(key)
            if isinstance(values, list):
                yield from (value for value in values if isinstance(value, str) and 0 < len(value) <= MAX_VALUE_CHARS)
        for value in schema.values():
            if isinstance(value, dict | list):
                yield from schema_values(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from schema_values(item)


def jargon(texts: Iterable[str]) -> list[str]:
    """The words of `texts` that are not plain English: unknown to the dictionary, or holding a
    digit ("db2", "v1.29"). Case is kept as written."""
    english = english_words()
    found: list[str] = []
    for text in texts:
        for token in _TOKEN.findall(text):
            plain = token.lower()
            if any(ch.isdigit() for ch in plain) or not _known(plain, english):
                found.append(token)
    return _unique(found)


def is_english(word: str) -> bool:
    """Whether `word` (lower case) is an ordinary English word or a regular inflection of one;
    a word with a digit, a hyphen or a dot is jargon as a whole ("db2", "worker-free")."""
    return not any(ch.isdigit() for ch in word) and _known(word, english_words())


def _known(word: str, english: Any) -> bool:
    if word in english:
        return True
    if "-" in word or "." in word or "/" in word or "_" in word:  # "payments-api": jargon as a whole
        return False
    return any(word.endswith(suffix) and word[: -len(suffix)] in english for suffix in ("s", "es", "ed", "ing"))


def _unique(words: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept: list[str] = []
    for word in words:
        if word and word.lower() not in seen:
            seen.add(word.lower())
            kept.append(word)
    return kept
