"""A turn taken over from a starved process is planned once (issue 22, the chaos soak's
`steps_run_twice`): two real `chatops run` processes on one database (a SQLite file, or
PostgreSQL, where the thread's lease, no longer renewed, lets the second one in). The first is
frozen with SIGSTOP while its model call is open (a loaded machine starving it past its lease);
the second claims the turn as an orphan and plans it again; then the first wakes up with its
own model reply in hand. Only one plan may be proposed for the message, so the write it asks for
runs once, however many cards an eager approver clicks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import both_backends, database_url_for
from tests.crashing import Bot, start
from tests.fakes.openai_server import FakeOpenAI
from tests.http.served import free_port
from tests.polling import eventually

TOKEN = "operator-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WRITE_SCRIPT = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + chr(10))"


def write_config(folder: Path, name: str, port: int, llm_url: str) -> Path:
    config = folder / f"{name}.toml"
    url = database_url_for(folder)  # PostgreSQL under `both_backends`: one database, two processes
    config.write_text(textwrap.dedent(f"""
        [storage]
        path = "{folder / 'bot.db'}"
        {f'url = "{url}"' if url else ""}
        lease_seconds = 2
        [llm]
        model = "openai:fake-model"
        base_url = "{llm_url}"
        api_key = "not-a-real-key"
        timeout = 60
        [http]
        listen = "127.0.0.1:{port}"
        [http.tokens]
        operator = "{TOKEN}"
        [roles.ops]
        http = ["operator"]
        [policy]
        approve_write = ["ops"]
        approve_danger = ["ops"]
        [tools]
        plugins = false
        [[runbooks]]
        name = "write_marker"
        description = "Write a unit into the run log"
        argv = ["{sys.executable}", "-c", "{WRITE_SCRIPT}", "{folder / 'runs.log'}", "{{unit}}"]
        risk = "write"
        timeout = 30
        [runbooks.params.unit]
        type = "string"
        pattern = "^u[0-9]+$"
    """))
    return config


async def call(bot: Bot, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    return await bot.call(method, path, body, headers={**AUTH, **headers})


@both_backends
async def test_a_turn_taken_over_from_a_starved_process_is_planned_and_run_once(tmp_path: Path):
    first_planning = asyncio.Event()
    release_first = asyncio.Event()
    planned = 0

    async def model(body: dict[str, Any]) -> str:
        nonlocal planned
        if "Results of the steps planned so far" in FakeOpenAI.text_of(body):
            return json.dumps({"goal": "", "steps": [], "answer": "done"})
        planned += 1
        if planned == 1:  # the first process's planning call: held while that process is frozen
            first_planning.set()
            await release_first.wait()
        return json.dumps({"goal": "write u1", "steps": [{"tool": "write_marker", "args": {"unit": "u1"},
                                                          "reason": "asked"}], "answer": ""})

    runs = tmp_path / "runs.log"
    async with FakeOpenAI(model) as llm, aiohttp.ClientSession() as session:
        ports = free_port(), free_port()
        first = await start(write_config(tmp_path, "first", ports[0], llm.base_url), ports[0], session)
        second = await start(write_config(tmp_path, "second", ports[1], llm.base_url), ports[1], session)
        frozen = False
        try:
            status, accepted = await call(first, "POST", "/api/v1/threads", {"text": "please write u1"},
                                          **{"Idempotency-Key": "write-u1", "Prefer": "respond-async"})
            assert status == 202, accepted
            thread = accepted["id"]
            await asyncio.wait_for(first_planning.wait(), 60)
            os.kill(first.process.pid, signal.SIGSTOP)  # starved: no heartbeat, no progress
            frozen = True

            async def view() -> dict[str, Any]:
                status, body = await call(second, "GET", f"/api/v1/threads/{thread}")
                assert status == 200, body
                return body

            async def replanned() -> bool:
                return len((await view())["plans"]) >= 1

            # the second process takes the silent one's turn over and plans it again
            await eventually(replanned, timeout=60, what="the second process to plan the orphaned turn")

            release_first.set()  # the frozen process's model reply is waiting for it when it wakes
            os.kill(first.process.pid, signal.SIGCONT)
            frozen = False

            async def settled() -> dict[str, Any] | None:
                # an eager approver: every card that asks is approved (the chaos soak's clients)
                current = await view()
                for plan in current["plans"]:
                    if plan["status"] == "proposed":
                        await call(second, "POST", f"/api/v1/plans/{plan['id']}/decision", {"decision": "approve"})
                busy = any(p["status"] in ("proposed", "approved", "running") for p in current["plans"])
                return None if busy or current["messages"][-1]["role"] != "bot" else current

            await asyncio.sleep(3)  # the woken process has its model reply by now: a second plan would show
            final = await eventually(settled, timeout=60, what="every approved card run and the turn answered")
            assert runs.read_text().splitlines() == ["u1"], "the write that was asked for once ran more than once"
            assert [p["status"] for p in final["plans"]] == ["succeeded"], "the turn was planned twice"
            assert [m["role"] for m in final["messages"]] == ["user", "bot"], final["messages"]
        finally:
            if frozen:
                os.kill(first.process.pid, signal.SIGCONT)
            release_first.set()
            first.stop()
            second.stop()


@both_backends
async def test_a_starved_process_that_wakes_after_its_turn_was_taken_over_does_not_answer_twice(tmp_path: Path):
    first_answering = asyncio.Event()
    release_first = asyncio.Event()
    answers = 0

    async def model(body: dict[str, Any]) -> str:
        nonlocal answers
        if "Results of the steps planned so far" not in FakeOpenAI.text_of(body):
            return json.dumps({"goal": "write u1", "steps": [{"tool": "write_marker", "args": {"unit": "u1"},
                                                              "reason": "asked"}], "answer": ""})
        answers += 1
        if answers == 1:  # the first process's answering call, after its step ran: held while it is frozen
            first_answering.set()
            await release_first.wait()
            return json.dumps({"goal": "", "steps": [], "answer": "done (the first process)"})
        return json.dumps({"goal": "", "steps": [], "answer": "done (the second process)"})

    runs = tmp_path / "runs.log"
    async with FakeOpenAI(model) as llm, aiohttp.ClientSession() as session:
        ports = free_port(), free_port()
        first = await start(write_config(tmp_path, "first", ports[0], llm.base_url), ports[0], session)
        second = await start(write_config(tmp_path, "second", ports[1], llm.base_url), ports[1], session)
        frozen = False
        try:
            status, view = await call(first, "POST", "/api/v1/threads", {"text": "please write u1"})
            assert status == 201 and view["plans"][0]["status"] == "proposed", view
            thread, plan = view["id"], view["plans"][0]["id"]
            status, decided = await call(first, "POST", f"/api/v1/plans/{plan}/decision", {"decision": "approve"})
            assert status == 200, decided
            await asyncio.wait_for(first_answering.wait(), 60)  # the step ran; the answer is being written

            async def step_result_stored() -> bool:
                # freeze the first process only once its step's result is committed, as the other
                # process reads it: frozen mid-commit, it would hold SQLite's write lock throughout
                status, body = await call(second, "GET", f"/api/v1/threads/{thread}")
                return status == 200 and body["plans"][0]["steps"][0]["status"] == "succeeded"

            await eventually(step_result_stored, timeout=30, what="the step's result stored")
            os.kill(first.process.pid, signal.SIGSTOP)
            frozen = True

            async def answered_by_second() -> dict[str, Any] | None:
                status, body = await call(second, "GET", f"/api/v1/threads/{thread}")
                assert status == 200, body
                return body if body["messages"][-1]["role"] == "bot" else None

            # the second process takes the silent one's turn over and answers from the stored results
            await eventually(answered_by_second, timeout=60, what="the second process to answer the orphaned turn")
            release_first.set()
            os.kill(first.process.pid, signal.SIGCONT)
            frozen = False
            await asyncio.sleep(3)  # the woken process has its model reply by now: a second answer would show
            status, final = await call(second, "GET", f"/api/v1/threads/{thread}")
            assert [(m["role"], m["text"]) for m in final["messages"]] == [
                ("user", "please write u1"), ("bot", "done (the second process)")]
            assert runs.read_text().splitlines() == ["u1"]
        finally:
            if frozen:
                os.kill(first.process.pid, signal.SIGCONT)
            release_first.set()
            first.stop()
            second.stop()
