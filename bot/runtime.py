"""Assemble a running bot from a `Config`: tools, storage, planner and hub.

Kept apart from the CLI so tests, benchmarks and every adapter build the bot the same way.
Start-up comes in two parts so that `chatops run` answers within a second: what listening needs
(the store, the hub) first, then, in the background, what a turn needs (the tools, the planner,
the models), with each part's state in `Runtime.warmup` for `/healthz`. Nothing heavy is imported
at the top of this module: pydantic-ai, MCP, the embedded model and the perception readers are
imported by the part that loads them, in a worker thread, so the event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chatops.bot import extras
from chatops.bot.config import Config
from chatops.bot.config_check import check_config
from chatops.bot.faults import StorageFull
from chatops.bot.health import AdapterHealth
from chatops.bot.hub import Hub, knowledge_for
from chatops.bot.perception.pipeline import Perceiver
from chatops.bot.warmup import LOADING, ON_FIRST_USE, READY, Warmup
from chatops.storage import Store
from chatops.tools.registry import ToolRegistry, ToolSpec

if TYPE_CHECKING:
    from chatops.bot.agent.planning import Planner
    from chatops.bot.llm.embedded import EmbeddedModelServer
    from chatops.bot.schedules import Scheduler
    from chatops.bot.toolbox import Toolbox
    from chatops.tools.mcp.servers import ImageReader

log = logging.getLogger("chatops.runtime")


def build_registry(config: Config) -> tuple[ToolRegistry, list[str]]:
    """Built-ins, then runbooks, then plugins (entry points and `[tools] paths` folders); returns
    the registry and any loading problems. MCP servers' tools are added by the `Toolbox`, which
    needs the event loop to reach them."""
    from chatops.tools.builtin import BUILTIN_TOOLS
    from chatops.tools.folders import folder_tools
    from chatops.tools.plugins import plugin_tools
    from chatops.tools.runbooks import runbook_tool

    registry = ToolRegistry()
    problems: list[str] = []
    for item in BUILTIN_TOOLS:
        registry.add(item, source="builtin")
    if isinstance(config.tools.get("prometheus_query"), dict):  # metrics: only where a Prometheus is named
        from chatops.tools.monitoring.prometheus_query import prometheus_query

        registry.add(prometheus_query, source="builtin")
    if isinstance(config.tools.get("web_snapshot"), dict):  # a browser: only where hosts are allowed
        from chatops.tools.web.web_snapshot import web_snapshot

        registry.add(web_snapshot, source="builtin")
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
    from chatops.bot.agent.planner import ModelPlanner
    from chatops.bot.llm.models import build_model

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


def vocabulary(config: Config, registry: ToolRegistry | None = None) -> list[str]:
    """Values people say that Whisper should expect: the user's `whisper.vocabulary` when set, else
    the runbooks' values, aliases and examples' jargon, MCP tool names and the tools' schema values
    (`bot.perception.glossary`). Blocking on first use (the English word list): in a worker."""
    from chatops.bot.perception.glossary import vocabulary as glossary

    return glossary(config, registry)


def build_perceiver(config: Config, registry: ToolRegistry | None, store: Store | None, *,
                    vision: bool = True) -> Perceiver:
    """The perception pipeline; `vision=False` leaves the describing model to `with_vision`
    (start-up adds it in the background: building it imports pydantic-ai)."""
    words = vocabulary(config, registry) if registry is not None else ()  # else: once the tools are loaded
    perceiver = Perceiver(config.perception, store=store, vocabulary=words, vision_timeout=config.llm.timeout)
    if vision:
        with_vision(perceiver, config)
    return perceiver


def with_vision(perceiver: Perceiver, config: Config) -> None:
    """Give the perceiver the configured LLM to describe images, when it accepts images."""
    from chatops.bot.perception.vision import supports_images

    if config.perception.vision.enabled and supports_images(config.llm):
        from chatops.bot.llm.models import build_model

        perceiver.vision_model = build_model(config.llm)


def image_reader(perceiver: Perceiver, config: Config) -> ImageReader:
    """How an image returned by an MCP tool is read: the same perception as a user's screenshot
    (OCR, and a description when the LLM accepts images). What it finds is tool output: data."""
    from chatops.bot.perception.media import to_media

    async def read(data: bytes, mime_type: str) -> str:
        part = await perceiver.perceive(to_media(f"tool-image.{mime_type.rsplit('/', 1)[-1]}", data,
                                                 config.perception.allowed_types))
        return part.text if part.ok else ""

    return read


def _ready_warmup() -> Warmup:
    warmup = Warmup()
    warmup.open()
    return warmup


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
    warmup: Warmup = field(default_factory=_ready_warmup)
    """Each part's load state (`/healthz`) and the gate turns wait on while the tools and the
    planner load in the background."""
    loading: asyncio.Task[None] | None = None  # the background part of `start_runtime`
    background: set[asyncio.Task[object]] = field(default_factory=set)  # models warming after the gate
    preloading: asyncio.Future[None] | None = None  # Whisper, when `perception.preload`
    given_planner: Planner | None = field(default=None, repr=False)  # `start_runtime(planner=…)`, for the load
    load_model: bool = field(default=True, repr=False)  # `start_runtime(load_model=…)`, for the load
    health: AdapterHealth = field(default_factory=AdapterHealth)

    def mcp_states(self) -> dict[str, str]:
        """MCP server name → `ready (N tools)` / `failed: why`, for `/healthz`."""
        if self.toolbox is None:  # still loading in the background
            return {server.name: "starting" for server in self.config.mcp} if not self.warmup.is_ready else {}
        return self.toolbox.states()

    def model_states(self) -> dict[str, str]:
        """Each part start-up loads → `loading`, `ready`, `on first use`, `failed: …` or `not
        installed: pip install …`, for `/healthz`."""
        states = self.warmup.states()
        if self.perceiver is not None and "whisper" in states and self.perceiver.transcriber_loaded():
            states["whisper"] = READY
        if self.perceiver is not None and "whisper" in states and not states["whisper"].startswith("not installed"):
            video = self.perceiver.video_speech_state()  # `whisper.video_model`, when it is not the voice model
            if video is not None:
                states["whisper_video"] = video
        return states

    async def reload(self, user: object = None) -> str:
        """Re-read the config file's runbooks, `[tools]` and `[[mcp]]`, the plugin folders and
        the MCP servers' tool lists, without a restart (`!reload`, `chatops reload`). A config
        with problems is refused and the tools stay as they were."""
        if self.toolbox is None:
            if not self.warmup.is_ready:
                return "Still starting: the tools are loading. Reload once they are (see /healthz)."
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

    async def close(self) -> None:
        if "chatops.bot.agent.meaning" in sys.modules:  # a warm-up thread ends at its next text
            sys.modules["chatops.bot.agent.meaning"].stop_warming()
        loads = [*([self.loading] if self.loading is not None else []), *self.background]
        for task in loads:
            task.cancel()
        # a part that failed or was cancelled has nothing left to stop
        await asyncio.gather(*loads, return_exceptions=True)
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.hub.stop()
        if self.toolbox is not None:
            await self.toolbox.stop()
        if self.perceiver is not None:
            self.perceiver.close()
        if "chatops.tools.web.browser" in sys.modules:  # web_snapshot ran: stop its browser now
            await sys.modules["chatops.tools.web.browser"].SHARED.close()
        await self.store.close()
        if self.embedded is not None:  # waits for a load still running in its thread, then frees it
            await asyncio.to_thread(self.embedded.stop)

    # --- the background part of start-up ------------------------------------------------------------

    def begin_loading(self) -> asyncio.Task[None]:
        """Start loading the tools, the planner and the models (once); `chatops run` calls it
        when its adapters listen, so their start does not compete with these imports."""
        if self.loading is not None:
            return self.loading
        warmup = self.warmup

        async def load() -> None:
            try:
                await self._load(self.given_planner, self.load_model)
            except asyncio.CancelledError:
                warmup.fail("start-up was cancelled")
                raise
            except Exception as exc:  # said in one line by `chatops run`; the details at debug level
                log.debug("start-up failed", exc_info=True)
                warmup.fail(f"{type(exc).__name__}: {exc}")
                raise

        self.loading = asyncio.create_task(load(), name="chatops-start-up")
        return self.loading

    async def _load(self, planner: Planner | None, load_model: bool) -> None:
        """Tools, then the planner (starting the embedded model), then the gate opens; then the
        models a turn can wait for (the meaning encoder, Whisper when `perception.preload`).
        Imports run in a worker thread: pydantic-ai alone takes half a second to import."""
        config, warmup = self.config, self.warmup
        from chatops.bot.schedules import Scheduler

        warmup.set("tools", LOADING)
        toolbox = await asyncio.to_thread(_new_toolbox, config)
        self.toolbox = toolbox
        self.problems = [*self.problems, *await toolbox.start()]  # the MCP servers start while nothing waits
        for problem in self.problems:
            log.warning("%s", problem)
        warmup.set("tools", f"{READY} ({len(toolbox.registry)} tools)")
        await asyncio.to_thread(_import_planner, config)
        if planner is None and load_model:
            warmup.set("llm", LOADING)
            if config.llm.provider == "local":
                from chatops.bot.llm.embedded import EmbeddedModelServer

                self.embedded = EmbeddedModelServer(config.llm.local)
                await asyncio.to_thread(self.embedded.start)
            planner = build_planner(config, self.embedded)
            warmup.set("llm", READY)
        if self.perceiver is not None:
            await asyncio.to_thread(with_vision, self.perceiver, config)
            toolbox.mcp.read_image = image_reader(self.perceiver, config)
        if self.perceiver is not None:  # speech biased toward the tools' words, MCP's included
            self.perceiver.use_vocabulary(await asyncio.to_thread(vocabulary, config, toolbox.registry))
            toolbox.on_registry(self._hear_tools)
        self.registry = toolbox.registry
        self.hub.use_registry(toolbox.registry)
        self.hub.planner = planner
        toolbox.on_registry(self.hub.use_registry)
        toolbox.on_registry(lambda fresh: setattr(self, "registry", fresh))
        self.scheduler = Scheduler(self.hub)
        warmup.open()
        if load_model and config.llm.provider == "local":
            warmup.set("meaning", LOADING)
            self.warming = warm_meaning(toolbox.registry)
            self._watch("meaning", self.warming)
        if self.perceiver is not None:
            self._warm_perception(config)

    def _hear_tools(self, registry: ToolRegistry) -> None:
        """A new registry (reload, an MCP server's tool list changed): speech is biased toward its
        words. Quick: the English word list was loaded in a worker at start-up."""
        if self.perceiver is not None:
            self.perceiver.use_vocabulary(vocabulary(self.config, registry))

    def _warm_perception(self, config: Config) -> None:
        """Whisper: loaded now when `perception.preload`, else on the first voice note (which
        waits for it, with a notice); an extra that is not installed is said here too."""
        assert self.perceiver is not None
        if config.perception.whisper.backend != "local":
            return
        if not extras.present("voice"):
            self.warmup.set("whisper", f"not installed: {extras.install_command('voice')}")
            return
        if not config.perception.preload:
            self.warmup.set("whisper", ON_FIRST_USE)
            return
        self.warmup.set("whisper", LOADING)
        self.preloading = asyncio.ensure_future(self.perceiver.preload())
        self._watch("whisper", self.preloading)

    def _watch(self, part: str, task: asyncio.Future[object]) -> None:
        """Keep a background load and record how it ended, in `warmup`."""
        self.background.add(task)  # type: ignore[arg-type]

        def ended(done: asyncio.Future[object]) -> None:
            self.background.discard(done)  # type: ignore[arg-type]
            if done.cancelled():
                return
            error = done.exception()
            if error is not None:
                log.warning("loading %s failed: %s", part, error)
                self.warmup.set(part, f"failed: {type(error).__name__}: {error}")
            else:
                self.warmup.set(part, READY if done.result() is not False else "not available")

        task.add_done_callback(ended)


def _new_toolbox(config: Config) -> Toolbox:
    """The toolbox, its registry built (in a worker thread: the tools' modules import pydantic-ai)."""
    from chatops.bot.toolbox import Toolbox

    return Toolbox(config, build=build_registry)


def _import_planner(config: Config) -> None:
    """Import what `build_planner` and the hub's review of a plan use (in a worker thread, off
    the event loop, so the first turn does not import them on it)."""
    for module in ("chatops.bot.agent.review", "chatops.bot.agent.asked"):
        importlib.import_module(module)
    importlib.import_module("chatops.bot.agent.planner")
    importlib.import_module("chatops.bot.llm.models")
    if config.llm.provider == "local":
        importlib.import_module("chatops.bot.agent.guided")


async def start_runtime(config: Config, *, planner: Planner | None = None, load_model: bool = True,
                        background: bool = False) -> Runtime:
    """Open storage and start the hub, then load the tools and the model. `planner` replaces the
    configured one (tests and benchmarks pass scripted pydantic-ai models here). With
    `background=True` (what `chatops run` does) it returns once the hub can take messages, and
    the rest loads after the caller's `Runtime.begin_loading()` (the planner and `load_model`
    given here are kept for it); turns wait for it (`Runtime.warmup`). Otherwise it returns with
    everything loaded, or raises what failed."""
    store = await Store.open_configured(config.storage)
    problems: list[str] = []
    try:
        await store.register_process()  # the first write: an unwritable database fails here, before any model loads
    except StorageFull as exc:
        # a full disk is not a broken database: the bot starts, says so on /healthz, refuses
        # writes with 507, and registers at the first heartbeat after space returns (a running
        # bot already lives through a full disk; a restart must not be what makes it fatal)
        problems = [*problems, f"the database cannot be written yet ({exc}); starting anyway, "
                               "and the bot works again once space returns"]
        log.warning("%s", problems[-1])
    except BaseException:
        await store.close()
        raise
    perceiver = build_perceiver(config, None, store, vision=False)
    warmup = Warmup()
    hub = Hub(config=config, store=store, registry=ToolRegistry(), planner=None, perceiver=perceiver)
    hub.warmup = warmup
    runtime = Runtime(config=config, store=store, registry=hub.registry, hub=hub, perceiver=perceiver,
                      warmup=warmup, given_planner=planner, load_model=load_model, problems=problems)
    hub.reloader = runtime.reload
    try:
        await hub.start()
    except BaseException:
        perceiver.close()
        await store.close()
        raise

    if background:
        warmup.set("tools", LOADING)
        return runtime
    runtime.begin_loading()
    assert runtime.loading is not None
    try:
        await asyncio.shield(runtime.loading)
        if runtime.preloading is not None:  # `perception.preload` promises a loaded Whisper
            await asyncio.shield(runtime.preloading)
    except BaseException:
        await runtime.close()
        raise
    return runtime


def warm_meaning(registry: ToolRegistry) -> asyncio.Task[bool]:
    """Load the guided planner's sentence encoder and embed every tool's description in a worker
    thread, so the first request that needs meaning does not wait for it (`bot.agent.meaning`)."""

    def warm() -> bool:
        from chatops.bot.agent import entities, meaning

        entities.warm_entities()
        described = [meaning.described(spec) for spec in registry.specs()]
        return meaning.warm((), described)

    return asyncio.create_task(asyncio.to_thread(warm), name="warm-meaning")
