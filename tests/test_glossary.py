"""Whisper's vocabulary comes from the configured tools (issue 26 item 3): runbooks' values,
aliases and examples, MCP tool names and tools' schema values, unless the user sets one; and it
reaches the real Whisper model's hotwords, also when the tools change after start-up."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from chatops.bot.config import Config, PerceptionConfig, load_config
from chatops.bot.evaluation import recorded_mcp_tools
from chatops.bot.perception.glossary import jargon, schema_values, vocabulary
from chatops.bot.perception.pipeline import Perceiver
from chatops.bot.perception.types import MediaFile
from chatops.bot.runtime import build_registry, start_runtime
from tests.media import voice_note

GIT_TOOLS = Path(__file__).resolve().parent.parent / "bench" / "data" / "mcp" / "git_tools.json"
RUNBOOK = {"name": "restart_service", "description": "Restart a systemd unit", "argv": ["true", "{unit}"],
           "params": {"unit": {"type": "enum", "values": ["nginx", "postgresql"], "aliases": {"pg": "postgresql"}}},
           "examples": ["restart the pgbouncer pool on db2", "restart nginx"]}


@pytest.fixture
def registry_with_mcp(tmp_path):
    """The config's registry plus a real MCP server's recorded tool list, registered by the same
    code as a live server's tools (`git_status`, …, under the prefix `git`)."""
    config = Config.model_validate({"runbooks": [RUNBOOK]})
    registry, _ = build_registry(config)
    listing = tmp_path / "servers.mcp.json"
    listing.write_text(json.dumps({"git": str(GIT_TOOLS)}))
    for spec in recorded_mcp_tools(listing):
        registry.add(spec)
    return config, registry


def test_the_vocabulary_comes_from_the_configured_tools(registry_with_mcp):
    config, registry = registry_with_mcp
    words = vocabulary(config, registry)
    assert words[:3] == ["nginx", "postgresql", "pg"]  # the runbook's values and aliases come first
    assert {"pgbouncer", "db2"} <= set(words)  # the jargon of the runbook's examples …
    assert not {"restart", "the", "pool", "on"} & {word.lower() for word in words}  # … not its English
    mcp_names = [spec.name for spec in registry.specs() if spec.source.startswith("mcp:")]
    assert mcp_names and set(mcp_names) <= set(words)  # MCP tool names
    builtin = {spec.name for spec in registry.specs() if spec.source == "builtin"}
    assert not builtin & set(words)  # built-in names bias ordinary words toward them ("dns")


def test_a_vocabulary_the_user_sets_replaces_the_derived_one(registry_with_mcp):
    config, registry = registry_with_mcp
    config.perception.whisper.vocabulary = ["web1", "payments-api"]
    assert vocabulary(config, registry) == ["web1", "payments-api"]


def test_schema_values_and_jargon():
    schema = {"type": "object", "properties": {
        "region": {"type": "string", "enum": ["eu-west-1", "us-east-2"]},
        "env": {"anyOf": [{"type": "string", "examples": ["staging", "prod"]}, {"type": "null"}]},
        "count": {"type": "integer", "enum": [1, 2]}, "note": {"type": "string", "examples": ["x" * 80]}}}
    assert list(schema_values(schema)) == ["eu-west-1", "us-east-2", "staging", "prod"]
    assert jargon(["Tail the haproxy log on web2", "check kubectl and the pods"]) == ["haproxy", "web2", "kubectl"]


async def test_a_runbook_alias_and_an_mcp_tool_reach_whispers_hotwords(registry_with_mcp):
    """The real tiny.en model, its `transcribe` watched: the glossary it is given holds the
    runbook's alias; once the tools are reloaded with an MCP server's, the next note's holds the
    MCP tool's name too (what `Runtime` does when the tools load or change)."""
    config, registry = registry_with_mcp
    seen: list[dict] = []
    perceiver = Perceiver(PerceptionConfig(), vocabulary=vocabulary(config, build_registry(config)[0]))
    try:
        transcriber = perceiver.transcriber
        await perceiver.preload()
        model = transcriber._model
        real = model.transcribe

        def watched(*args, **kwargs):
            seen.append(kwargs)
            return real(*args, **kwargs)

        model.transcribe = watched
        note = MediaFile("note.ogg", voice_note("ogg", "restart pg on db two"), "audio/ogg")
        await perceiver.perceive(note)
        assert "pg" in seen[-1]["hotwords"].split("Glossary: ")[1].rstrip(".").split(", ")
        assert "git_status" not in seen[-1]["hotwords"]
        perceiver.use_vocabulary(vocabulary(config, registry))
        await perceiver.perceive(MediaFile("again.ogg", voice_note("ogg", "show the git status"), "audio/ogg"))
        assert "git_status" in seen[-1]["hotwords"] and "pg" in seen[-1]["hotwords"]
    finally:
        perceiver.close()


def _runbook(name: str, values: list[str], aliases: dict[str, str]) -> str:
    return textwrap.dedent(f"""
        [[runbooks]]
        name = "{name}"
        description = "Restart a service"
        argv = ["true", "{{unit}}"]
        [runbooks.params.unit]
        type = "enum"
        values = {json.dumps(values)}
        aliases = {{ {", ".join(f'{k} = "{v}"' for k, v in aliases.items())} }}
    """)


async def test_the_running_bot_hears_its_tools_words_and_hears_new_ones_after_a_reload(tmp_path):
    """`start_runtime` gives the perceiver the tools' words once they are loaded, and a reload
    that adds a runbook adds its alias to Whisper's glossary."""
    path = tmp_path / "chatops.toml"
    head = textwrap.dedent(f"""
        [storage]
        path = "{tmp_path / 'chatops.db'}"
        [tools]
        plugins = false
    """)
    path.write_text(head + _runbook("restart_service", ["postgresql"], {"pg": "postgresql"}))
    runtime = await start_runtime(load_config(path, environ={}), load_model=False)
    try:
        prompt = runtime.perceiver.transcriber.prompt
        assert prompt is not None and "pg" in prompt and "postgresql" in prompt and "haproxy" not in prompt
        path.write_text(head + _runbook("restart_service", ["postgresql"], {"pg": "postgresql"})
                        + _runbook("reload_proxy", ["haproxy"], {"ha": "haproxy"}))
        await runtime.reload()
        assert "haproxy" in runtime.perceiver.transcriber.prompt and "ha," in runtime.perceiver.transcriber.prompt
    finally:
        await runtime.close()
