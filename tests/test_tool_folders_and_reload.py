"""Python tools from `[tools] paths` folders (no packaging), sync tools, and `!reload`: runbooks,
plugin folders and MCP servers re-read without a restart, while plans already proposed keep what
their approver saw."""

from __future__ import annotations

import textwrap
from pathlib import Path

from chatops.bot.config import load_config
from chatops.bot.model import Decision, PlanStatus, StepStatus
from chatops.bot.runtime import build_registry, start_runtime
from tests.conftest import Bot, Calls, marker_runbook
from tests.mcp.conftest import person

GOOD = '''
import threading
from chatops.tools import tool

@tool(risk="read")
def whoami(ctx, shout: bool = False) -> str:
    """Say who asked, from a worker thread."""
    text = f"{ctx.requester.id} via {threading.current_thread().name}"
    return text.upper() if shout else text

@tool(risk="read")
def broken(when: "NoSuchType") -> str:
    """A tool whose signature cannot be read."""
    return "never"

@tool(risk="write")
async def scale(ctx, service: str, replicas: int = 1) -> str:
    """Scale a service."""
    return f"{service} x{replicas}"
'''


def write_plugins(folder: Path) -> None:
    folder.mkdir()
    (folder / "good.py").write_text(GOOD)
    (folder / "bad.py").write_text("from chatops.tools import tool\n\ndef oops(:\n    pass\n")
    (folder / "_private.py").write_text("raise RuntimeError('never imported')\n")


def test_a_plugin_folder_loads_each_module_and_a_broken_function_costs_only_itself(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_plugins(tmp_path / "chatops_tools")
    config = load_config(None, environ={})
    config = config.model_copy(update={"tools": {"paths": ["./chatops_tools"], "plugins": False}})

    registry, problems = build_registry(config)

    assert {"whoami", "scale"} <= set(registry.names()) and "broken" not in registry
    assert registry.get("whoami").source == "plugin"
    assert list(registry.get("whoami").parameters_schema["properties"]) == ["shout"]  # ctx is not a parameter
    good, bad = str(tmp_path / "chatops_tools" / "good.py"), str(tmp_path / "chatops_tools" / "bad.py")
    assert any(p.startswith(f"plugin tool in {good}:11: NameError") for p in problems), problems
    assert any(p.startswith(f"{bad}:3: SyntaxError") for p in problems), problems
    assert len(problems) == 2


def config_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "chatops.toml"
    path.write_text(textwrap.dedent(f"""
        [storage]
        path = "{tmp_path / 'chatops.db'}"
        [console]
        user = "alice"
        [tools]
        plugins = false
        paths = ["{tmp_path / 'chatops_tools'}"]
    """) + body)
    return path


async def started(path: Path) -> tuple[Bot, object]:
    config = load_config(path, environ={})
    runtime = await start_runtime(config, load_model=False)
    events: list = []

    async def collect(thread, event) -> None:
        events.append((thread, event))

    runtime.hub.add_sink(collect)
    return Bot(hub=runtime.hub, store=runtime.store, calls=Calls(), events=events, config=config), runtime


async def test_reload_rereads_runbooks_and_plugins_and_a_proposed_plan_whose_tool_is_gone_is_refused(tmp_path):
    write_plugins(tmp_path / "chatops_tools")
    marker = tmp_path / "marker"
    path = config_file(tmp_path, marker_runbook(marker))
    bot, runtime = await started(path)
    try:
        await bot.say("!whoami")  # a sync plugin tool, run in a worker thread
        assert bot.of_type("step")[-1].result.startswith("alice via ")

        await bot.say("!restart_service unit=web")
        pending = bot.of_type("plan")[-1]
        assert pending.needs_approval

        # the runbook is renamed in the file, and the plugin module changes
        path.write_text(path.read_text().replace('name = "restart_service"', 'name = "restart_unit"'))
        (tmp_path / "chatops_tools" / "good.py").write_text(GOOD.replace('"""Scale a service."""',
                                                                          '"""Scale a service (v2)."""'))
        await bot.say("!reload")
        report = bot.of_type("answer")[-1].text
        assert report.startswith("Reloaded:")
        assert "added: restart_unit" in report and "removed: restart_service" in report
        assert "changed: scale" in report
        assert runtime.registry.get("scale").description == "Scale a service (v2)."

        outcome = await bot.hub.decide(Decision(plan_id=pending.id, approve=True, user=person("alice"),
                                                source="test"))
        assert not outcome.accepted  # the approval is refused: what was shown can no longer run
        assert "removed by a reload after this plan was proposed" in outcome.reason
        withdrawn = await bot.store.get_plan(pending.id)
        assert withdrawn.status is PlanStatus.denied and withdrawn.steps[0].status is StepStatus.denied
        assert bot.of_type("plan")[-1].status is PlanStatus.denied  # the card says so
        assert "removed by a reload" in bot.of_type("answer")[-1].text
        assert not marker.exists()

        await bot.say("!restart_unit unit=api")
        plan = bot.of_type("plan")[-1]
        await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=person("alice"), source="test"))
        assert marker.read_text() == "api"
    finally:
        await runtime.close()


async def test_a_plan_keeps_the_tool_definition_it_was_proposed_with(tmp_path):
    write_plugins(tmp_path / "chatops_tools")
    bot, runtime = await started(config_file(tmp_path, ""))
    try:
        await bot.say("!scale service=web replicas=2")
        pending = bot.of_type("plan")[-1]
        # the new definition would refuse these arguments: `replicas` is gone
        (tmp_path / "chatops_tools" / "good.py").write_text(GOOD.replace(", replicas: int = 1", "").replace(
            'f"{service} x{replicas}"', 'f"{service} v2"'))
        await bot.say("!reload")
        assert "changed: scale" in bot.of_type("answer")[-1].text

        await bot.hub.decide(Decision(plan_id=pending.id, approve=True, user=person("alice"), source="test"))

        assert (await bot.store.get_plan(pending.id)).steps[0].result == "web x2"  # the approved definition ran
    finally:
        await runtime.close()


async def test_only_operators_may_reload(tmp_path):
    write_plugins(tmp_path / "chatops_tools")
    roles = '\n[roles.oncall]\nconsole = ["bob"]\n[roles.dev]\nconsole = ["alice"]\n'
    bot, runtime = await started(config_file(tmp_path, roles))
    try:
        await bot.say("!reload", user=person("alice"))
        assert bot.of_type("answer")[-1].text == "You may not reload: reloading tools needs the role: oncall."
        await bot.say("!reload", user=person("bob"))
        assert bot.of_type("answer")[-1].text.startswith("Reloaded:")
        kinds = [entry["kind"] for entry in await bot.store.audit_log(20)]
        assert "reload.refused" in kinds and "reload" in kinds
    finally:
        await runtime.close()
