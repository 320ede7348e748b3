"""Assemble a running bot from a `Config`: tools, storage, planner and hub.

Kept apart from the CLI so tests, benchmarks and every adapter build the bot the same way.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from chatops.bot.agent.planner import ModelPlanner
from chatops.bot.agent.planning import Planner
from chatops.bot.config import Config
from chatops.bot.config_check import check_config
from chatops.bot.health import AdapterHealth
from chatops.bot.hub import Hub, knowledge_for
from chatops.bot.llm.embedded import EmbeddedModelServer
from chatops.bot.llm.models import build_model
from chatops.bot.perception.pipeline import Perceiver
from chatops.bot.perception.vision import supports_images
from chatops.bot.schedules import Scheduler
from chatops.bot.toolbox import Toolbox
from chatops.storage import Store
from chatops.tools.builtin import BUILTIN_TOOLS
from chatops.tools.folders import folder_tools
from chatops.tools.mcp.servers import ImageReader
from chatops.tools.plugins import plugin_tools
from chatops.tools.registry import ToolRegistry, ToolSpec
from chatops.tools.runbooks import runbook_tool

log = logging.getLogger("chatops.runtime")


def build_registry(config: Config) -> tuple[ToolRegistry, list[str]]:
    """Built-ins, then runbooks, then plugins (entry points and `[tools] paths` folders); returns
    the registry and any loading problems. MCP servers' tools are added by the `Toolbox`, which
    needs the event loop to reach them."""
    registry = ToolRegistry()
    problems: list[str] = []
    for item in BUILTIN_TOOLS:
        registry.add(item, source="builtin")
    if isinstance(config.tools.get("prometheus_query"), dict):  # metrics: only where a Prometheus is named
        from chatops.tools.monitoring.prometheus_query import prometheus_query

        registry.add(prometheus_query, source="builtin")
    if config.alerts.alertmanager_url:  # silences: only where an Alertmanager is named
        from chatops.tools.monitoring.silence_alert import silence_alert

        registry.add(silence_alert, source="builtin")
    for runbook in config.runbooks:
        try:
            registry.add(runbook_tool(runbook), source="runbook")
        except ValueError as exc:
            problems.append(f"runbooks[{runbook.name}]: {exc}")
    found: list[ToolSpec] = []
    if config.tool_options.plugins:
        found, plugin_problems = plugin_tools()
        problems += plugin_problems
    if config.tool_options.paths:
        from_folders, folder_problems = folder_tools(config.tool_options.paths)
        found += from_folders
        problems += folder_problems
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
        from chatops.bot.agent.guided import GuidedPlanner

        model = build_model(llm, embedded_base_url=embedded.base_url)
        return GuidedPlanner(model, timeout=llm.timeout, max_tokens=llm.local.max_tokens, concurrency=concurrency)
    native = llm.provider == "openai" and bool(llm.base_url)
    return ModelPlanner(build_model(llm), native_output=native, timeout=llm.timeout, temperature=llm.temperature,
                        concurrency=concurrency, stream=llm.stream)


def vocabulary(config: Config, registry: ToolRegistry) -> list[str]:
    """Values people say that Whisper should expect: the config's `whisper.vocabulary` (service,
    unit and host names) first, then runbook enum values and their aliases. Not tool names: biased
    toward them, Whisper rewrote "restart the nginx service" as "restart the dns service" (a word
    of `dns_lookup`), and the user's words are what the planner must read."""
    words = list(config.perception.whisper.vocabulary)
    for runbook in config.runbooks:
        for param in runbook.params.values():
            words += [*(param.values or []), *param.aliases]
    return words


def build_perceiver(config: Config, registry: ToolRegistry, store: Store | None) -> Perceiver:
    vision_model = None
    if config.perception.vision.enabled and supports_images(config.llm):
        vision_model = build_model(config.llm)
    return Perceiver(config.perception, store=store, vocabulary=vocabulary(config, registry),
                     vision_model=vision_model, vision_timeout=config.llm.timeout)


def image_reader(perceiver: Perceiver, config: Config) -> ImageReader:
    """How an image returned by an MCP tool is read: the same perception as a user's screenshot
    (OCR, and a description when the LLM accepts images). What it finds is tool output: data."""
    from chatops.bot.perception.media import to_media

    async def read(data: bytes, mime_type: str) -> str:
        part = await perceiver.perceive(to_media(f"tool-image.{mime_type.rsplit('/', 1)[-1]}", data,
                                                 config.perception.allowed_types))
        return part.text if part.ok else ""

    return read


@dataclass
class Runtime:
    config: Config
    store: Store
    registry: ToolRegistry
    hub: Hub
    embedded: EmbeddedModelServer | None = None
    perceiver: Perceiver | None = None
    problems: list[str] = field(default_factory=list)
    toolbox: Toolbox | None = None
    scheduler: Scheduler | None = None  # `[[schedules]]`: started by `chatops run` once adapters listen
    warming: asyncio.Task[bool] | None = None  # the meaning model loading in the background

    def mcp_states(self) -> dict[str, str]:
        """MCP server name → `ready (N tools)` / `failed: why`, for `/healthz`."""
        return self.toolbox.states() if self.toolbox is not None else {}

    async def reload(self, user: object = None) -> str:
        """Re-read the config file's runbooks, `[tools]` and `[[mcp]]`, the plugin folders and
        the MCP servers' tool lists, without a restart (`!reload`, `chatops reload`). A config
        with problems is refused and the tools stay as they were."""
        if self.toolbox is None:
            return "Reloading is not available: this bot was built without its tool sources."
        fresh = self.config
        if self.config.source is not None:  # the same check as `chatops check-config` and start-up
            checked = await asyncio.to_thread(check_config, self.config.source)
            if checked.problems or checked.config is None:
                log.warning("reload refused: the configuration has problems: %s", "; ".join(checked.problems))
                return "Reload refused, nothing changed: the configuration has problems:\n" + "\n".join(
                    f"- {problem}" for problem in checked.problems)
            fresh = checked.config
        # only the tool sources and the diagnosis knowledge base change; roles, policy, adapters and
        # models need a restart
        self.config = self.config.model_copy(update={"runbooks": fresh.runbooks, "tools": fresh.tools,
                                                     "mcp": fresh.mcp, "diagnoses": fresh.diagnoses,
                                                     "agent": self.config.agent.model_copy(
                                                         update={"diagnosis_folders": fresh.agent.diagnosis_folders})})
        self.hub.config = self.config
        self.hub.knowledge = knowledge_for(self.config)
        self.hub.use_secrets(self.config.secret_values())
        report = await self.toolbox.reload(self.config)
        self.registry = self.toolbox.registry
        log.info("reload: %s", report.text().replace("\n", "; "))
        return report.text()
    health: AdapterHealth = field(default_factory=AdapterHealth)

    async def close(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.hub.stop()
        if self.toolbox is not None:
            await self.toolbox.stop()
        if self.perceiver is not None:
            self.perceiver.close()
        await self.store.close()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)


async def start_runtime(config: Config, *, planner: Planner | None = None, load_model: bool = True) -> Runtime:
    """Open storage, load tools and the model, start the hub. `planner` replaces the configured
    one (tests and benchmarks pass scripted pydantic-ai models here)."""
    toolbox = Toolbox(config, build=build_registry)
    problems = await toolbox.start()  # the MCP servers start while nothing else waits on them
    registry = toolbox.registry
    for problem in problems:
        log.warning("%s", problem)
    try:
        store = await Store.open_configured(config.storage)
    except BaseException:
        await toolbox.stop()  # no server process may outlive a start that failed
        raise
    try:
        await store.register_process()  # the first write: an unwritable database fails here, before any model loads
    except BaseException:
        await store.close()
        await toolbox.stop()
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
    toolbox.mcp.read_image = image_reader(perceiver, config)
    hub = Hub(config=config, store=store, registry=registry, planner=planner, perceiver=perceiver)
    toolbox.on_registry(hub.use_registry)
    await hub.start()
    runtime = Runtime(config=config, store=store, registry=registry, hub=hub, embedded=embedded,
                      perceiver=perceiver, problems=problems, toolbox=toolbox, scheduler=Scheduler(hub))
    hub.reloader = runtime.reload
    toolbox.on_registry(lambda fresh: setattr(runtime, "registry", fresh))
    if load_model and config.llm.provider == "local":
        runtime.warming = warm_meaning(registry)
    return runtime


def warm_meaning(registry: ToolRegistry) -> asyncio.Task[bool]:
    """Load the guided planner's sentence encoder and embed every tool's description in a worker
    thread, so the first request that needs meaning does not wait for it (`bot.agent.meaning`)."""
    from chatops.bot.agent import entities, meaning

    described = [meaning.described(spec) for spec in registry.specs()]

    def warm() -> bool:
        entities.warm_entities()
        return meaning.warm((), described)

    return asyncio.create_task(asyncio.to_thread(warm), name="warm-meaning")
