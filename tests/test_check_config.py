"""`chatops check-config` against a folder of broken configs (`tests/configs/broken/*.toml`), each
with the exact lines it must print (`*.expected`): every problem in one pass, each with its TOML
key and a "did you mean" where a name is close; never a traceback; start-up prints the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatops.bot.config import WHISPER_SIZES
from chatops.bot.config_check import check_config
from chatops.bot.probes import probe_database, run_probes
from tests.cli_inprocess import run_cli
from tests.conftest import REPO, make_config
from tests.test_cli import chatops

BROKEN = sorted((REPO / "tests" / "configs" / "broken").glob("*.toml"))


def expected(path: Path) -> list[str]:
    text = path.with_suffix(".expected").read_text(encoding="utf-8")
    return text.replace("{path}", str(path)).splitlines()


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_a_broken_config_gives_exactly_its_problems(path: Path):
    report = check_config(path, environ={})
    assert report.problems == expected(path)


def test_the_command_and_start_up_print_the_same_lines(tmp_path: Path):
    path = REPO / "tests" / "configs" / "broken" / "one_pass.toml"
    checked = run_cli("check-config", "--config", str(path), cwd=tmp_path)
    assert checked.exit_code == 1 and checked.stdout.splitlines() == expected(path)
    for command in ("run", "tools", "audit"):
        started = run_cli(command, "--config", str(path), cwd=tmp_path)
        assert started.exit_code == 2, started.output
        lines = started.stderr.splitlines()
        assert lines[0].startswith("chatops: the configuration in")
        assert [line.removeprefix("  ") for line in lines[1:]] == expected(path)
    # and as a real process, for the one that once crashed with a traceback
    plugin_flag = REPO / "tests/configs/broken/plugin_flag.toml"
    process = chatops("chat", "--config", str(plugin_flag), cwd=tmp_path)
    assert process.returncode == 2 and "Traceback" not in process.stderr
    assert [line.removeprefix("  ") for line in process.stderr.splitlines()[1:]] == expected(plugin_flag)


def test_valid_configs_pass():
    for path in (REPO / "config.example.toml", REPO / "examples" / "demo.toml", None):
        assert check_config(path, environ={}).problems == [], path


def test_the_whisper_sizes_are_faster_whispers():
    from faster_whisper.utils import available_models

    assert list(WHISPER_SIZES) == list(available_models())


@pytest.mark.sqlite_only  # "will be created": a file; PostgreSQL's probe is in tests/test_postgres_faults.py
async def test_connect_tries_each_target_on_its_own(tmp_path: Path):
    config = make_config(tmp_path, llm={"model": "openai:gpt-4o-mini", "base_url": "http://127.0.0.1:9/v1"})
    probes = {probe.name: probe for probe in await run_probes(config)}
    assert not probes["llm"].ok and probes["llm"].line().startswith("llm.base_url: cannot reach http://127.0.0.1:9")
    assert probes["database"].ok and "will be created" in probes["database"].detail
    assert not (tmp_path / "chatops.db").exists()  # a check writes nothing

    async def broken(config) -> None:
        raise RuntimeError("boom")

    results = await run_probes(config, [broken, probe_database])
    assert [(p.name, p.ok) for p in results] == [("broken", False), ("database", True)]


def test_the_example_config_documents_every_key():
    """Every field of every section appears in config.example.toml (set, or commented out), so a
    key added to `Config` is documented where people look for it."""
    import re
    from typing import get_args, get_origin

    from pydantic import BaseModel

    from chatops.bot.config import Config
    from chatops.bot.config_check import _plain

    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    missing = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            if name == "source" or info.exclude:
                continue
            annotation = _plain(info.annotation)
            if get_origin(annotation) in (list, dict):  # [[runbooks]], [[mcp]], [roles.x]: their keys too
                annotation = _plain(get_args(annotation)[-1])
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{prefix}{name}.")
            elif not re.search(rf"^[#\s]*{re.escape(name)}\s*=|^[#\s]*\[{re.escape(prefix + name)}[.\]]", text,
                               re.MULTILINE):
                missing.append(prefix + name)

    walk(Config, "")
    assert missing == []


def test_tools_shows_a_runbooks_own_timeout(tmp_path: Path):
    (tmp_path / "config.toml").write_text('[llm]\nmodel = "test"\n[[runbooks]]\nname = "nap"\n'
                                          'description = "sleep"\nargv = ["sleep", "1"]\ntimeout = 15\n')
    listed = {t["name"]: t for t in json.loads(run_cli("tools", "--json", cwd=tmp_path).stdout)}
    assert listed["nap"]["timeout"] == 15
    line = next(line for line in run_cli("tools", cwd=tmp_path).stdout.splitlines() if line.startswith("nap "))
    assert " 15 s " in line
