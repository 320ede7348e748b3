"""A real `chatops run` SIGKILLed mid-turn and started again on the same database (issue 12,
failures 2 and 4): the turn is resumed, a client retry finds it, runbook children do not survive."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp

from tests.crashing import processes_with, start
from tests.fakes.openai_server import FakeOpenAI
from tests.http.served import free_port
from tests.polling import eventually


def write_config(folder: Path, port: int, extra: str = "") -> Path:
    config = folder / "chatops.toml"
    config.write_text(textwrap.dedent(f"""
        [storage]
        path = "{folder / 'bot.db'}"
        lease_seconds = 2
        [http]
        listen = "127.0.0.1:{port}"
    """) + textwrap.dedent(extra))
    return config


async def test_a_turn_killed_while_planning_is_resumed_and_a_retry_finds_it(tmp_path: Path):
    planning = asyncio.Event()
    release = asyncio.Event()

    async def answer(body: dict[str, Any]) -> str:
        if not planning.is_set():
            planning.set()
            await release.wait()  # the first process dies while this request is open
        return json.dumps({"goal": "", "steps": [], "answer": "db1 is up"})

    port = free_port()
    async with FakeOpenAI(answer) as llm, aiohttp.ClientSession() as session:
        config = write_config(tmp_path, port, f"""
            [llm]
            model = "openai:fake-model"
            base_url = "{llm.base_url}"
            api_key = "not-a-real-key"
        """)
        first = await start(config, port, session)
        headers = {"Idempotency-Key": "create-1"}
        request = asyncio.create_task(first.call("POST", "/api/v1/threads", {"text": "is db1 up?"}, headers=headers))
        await planning.wait()
        first.kill()
        assert isinstance((await asyncio.gather(request, return_exceptions=True))[0], aiohttp.ClientError)
        release.set()

        second = await start(config, port, session)
        try:
            status, view = await second.call("POST", "/api/v1/threads", {"text": "is db1 up?"}, headers=headers)
            assert status == 201, view

            async def answered() -> dict[str, Any] | None:
                _, thread = await second.call("GET", f"/api/v1/threads/{view['id']}")
                return thread if thread["messages"][-1]["role"] == "bot" else None

            thread = await eventually(answered, what="the resumed turn's answer")
            assert [(m["role"], m["text"]) for m in thread["messages"]] == [
                ("user", "is db1 up?"), ("bot", "db1 is up")]
        finally:
            assert "Traceback" not in second.stop()


RUNBOOK = """
    [[runbooks]]
    name = "long_job"
    description = "A job that starts a helper and runs for minutes"
    argv = ["{python}", "-c", "{script}", "{token}"]
    risk = "read"
    timeout = 900
"""


async def test_runbook_children_die_with_a_killed_bot_and_the_step_keeps_its_output(tmp_path: Path):
    token = f"chatops-test-{secrets.token_hex(6)}"
    port = free_port()
    config = write_config(tmp_path, port, RUNBOOK.format(python=sys.executable, script=SCRIPT, token=token))
    async with aiohttp.ClientSession() as session:
        first = await start(config, port, session)
        status, view = await first.call("POST", "/api/v1/threads", {"text": "!long_job"})
        assert status == 201, view

        async def saved_output() -> bool:
            _, thread = await first.call("GET", f"/api/v1/threads/{view['id']}")
            step = thread["plans"][0]["steps"][0]
            return step["status"] == "running" and "working on" in json.dumps(step["result"])

        await eventually(lambda: len(processes_with(token)) == 2, what="the runbook and its helper")
        await eventually(saved_output, what="the output so far saved with the step")
        first.kill()
        # the runbook itself dies with the bot (parent-death signal); its helper is still in the group
        await eventually(lambda: [p for p in processes_with(token) if token + "-grandchild" not in _cmd(p)] == [],
                         what="the runbook process to die with the bot")

        second = await start(config, port, session)
        try:
            await eventually(lambda: processes_with(token) == [], what="the helper left behind to be killed")
            _, thread = await second.call("GET", f"/api/v1/threads/{view['id']}")
            step = thread["plans"][0]["steps"][0]
            assert step["status"] == "interrupted" and thread["plans"][0]["status"] == "interrupted"
            assert f"working on {token}" in step["result"]["stdout"]
        finally:
            second.stop()


# the runbook: starts a helper (in its process group, not its child's parent-death signal), says
# what it works on, and runs for ten minutes
SCRIPT = ("import subprocess, sys, time; "
          "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', sys.argv[1] + '-grandchild']); "
          "print('working on', sys.argv[1], flush=True); time.sleep(600)")


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
