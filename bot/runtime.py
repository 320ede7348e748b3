"""Assemble a running bot from a `Config`: tools, storage, planner and hub.

Kept apart from the CLI so tests, benchmarks and every adapter build the bot the same way.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.agent.planner import ModelPlanner
from bot.agent.planning import Planner
from bot.config import Config
from bot.health import AdapterHealth
from bot.hub import Hub
from bot.llm.embedded import EmbeddedModelServer
from bot.llm.models import build_model
from bot.perception.pipeline import Perceiver
from bot.perception.vision import supports_images
from storage import Store
from tools.builtin import BUILTIN_TOOLS
from tools.plugins import plugin_tools
from tools.registry import ToolRegistry
from tools.runbooks import runbook_tool

log = logging.getLogger("chatops.runtime")


def build_registry(config: Config) -> tuple[ToolRegistry, list[str]]:
    """Built-ins, then runbooks, then plugins; returns the registry and any loading problems."""
    registry = ToolRegistry()
    problems: list[str] = []
    for item in BUILTIN_TOOLS:
        registry.add(item, source="builtin")
    for runbook in config.runbooks:
        try:
            registry.add(runbook_tool(runbook), source="runbook")
        except ValueError as exc:
            problems.append(f"runbooks[{runbook.name}]: {exc}")
    if config.tool_options.plugins:
        found, plugin_problems = plugin_tools()
        problems += plugin_problems
        for spec in found:
            try:
                registry.add(spec, source="plugin")
            except ValueError as exc:
                problems.append(f"plugin tool {spec.name}: {exc}")
    return registry, problems


def build_planner(config: Config, embedded: EmbeddedModelServer | None) -> Planner:
    llm = config.llm
    concurrency = asyncio.Semaphore(llm.max_concurrent)
    if llm.provider == "local":
        assert embedded is not None
        from bot.agent.guided import GuidedPlanner

        model = build_model(llm, embedded_base_url=embedded.base_url)
        return GuidedPlanner(model, timeout=llm.timeout, max_tokens=llm.local.max_tokens, concurrency=concurrency)
    native = llm.provider == "openai" and bool(llm.base_url)
    return ModelPlanner(build_model(llm), native_output=native, timeout=llm.timeout, temperature=llm.temperature,
                        concurrency=concurrency)


def vocabulary(config: Config, registry: ToolRegistry) -> list[str]:
    """Words Whisper should expect in ops speech: tool names, runbook choices, the config's list."""
    words = list(registry.names())
    for runbook in config.runbooks:
        for param in runbook.params.values():
            words += param.values or []
    return words + config.perception.whisper.vocabulary


def build_perceiver(config: Config, registry: ToolRegistry, store: Store | None) -> Perceiver:
    vision_model = None
    if config.perception.vision.enabled and supports_images(config.llm):
        vision_model = build_model(config.llm)
    return Perceiver(config.perception, store=store, vocabulary=vocabulary(config, registry),
                     vision_model=vision_model, vision_timeout=config.llm.timeout)


@dataclass
class Runtime:
    config: Config
    store: Store
    registry: ToolRegistry
    hub: Hub
    embedded: EmbeddedModelServer | None = None
    perceiver: Perceiver | None = None
    problems: list[str] = field(default_factory=list)
    health: AdapterHealth = field(default_factory=AdapterHealth)

    async def close(self) -> None:
        await self.hub.stop()
        if self.perceiver is not None:
            self.perceiver.close()
        await self.store.close()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)


async def start_runtime(config: Config, *, planner: Planner | None = None, load_model: bool = True) -> Runtime:
    """Open storage, load tools and the model, start the hub. `planner` replaces the configured
    one (tests and benchmarks pass scripted pydantic-ai models here)."""
    registry, problems = build_registry(config)
    for problem in problems:
        log.warning("%s", problem)
    store = await Store.open(config.storage.path, lease_seconds=config.storage.lease_seconds)
    try:
        await store.register_process()  # the first write: an unwritable database fails here, before any model loads
    except BaseException:
        await store.close()
        raise
    embedded = None
    if planner is None and load_model:
        if config.llm.provider == "local":
            embedded = EmbeddedModelServer(config.llm.local)
            await asyncio.to_thread(embedded.start)
        planner = build_planner(config, embedded)
    perceiver = build_perceiver(config, registry, store)
    if config.perception.preload:
        await perceiver.preload()
    hub = Hub(config=config, store=store, registry=registry, planner=planner, perceiver=perceiver)
    await hub.start()
    return Runtime(config=config, store=store, registry=registry, hub=hub, embedded=embedded, perceiver=perceiver,
                   problems=problems)
