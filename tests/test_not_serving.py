"""A process whose start-up failed or was cancelled (it is being stopped while it loads) answers
"try again" (503 with Retry-After), never a 500: found by the 30-minute PostgreSQL chaos run,
where decisions reached a replica stopped during its start-up."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from chatops.adapters.http.errors import errors_as_json
from chatops.bot.faults import NotServing
from chatops.bot.warmup import Warmup


async def test_a_failed_start_up_is_not_serving() -> None:
    warmup = Warmup()
    warmup.fail("start-up was cancelled")
    with pytest.raises(NotServing, match="could not finish starting: start-up was cancelled"):
        await warmup.ready()


async def test_the_api_answers_503_with_retry_after_when_the_process_cannot_serve() -> None:
    warmup = Warmup()
    warmup.fail("start-up was cancelled")

    async def decide(request: web.Request) -> web.Response:
        await warmup.ready()
        return web.json_response({})

    app = web.Application(middlewares=[errors_as_json])
    app.router.add_post("/api/v1/plans/{id}/decision", decide)
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/api/v1/plans/p-1/decision", json={"decision": "approve"})
        body = await response.json()
    assert response.status == 503 and response.headers["Retry-After"] == "5"
    assert body["error"]["code"] == "not_serving" and "try again" in body["error"]["message"]


async def test_a_start_up_step_waits_through_a_database_outage_instead_of_exiting() -> None:
    """The 30-minute PostgreSQL chaos run saw `chatops run` exit 1 when the database was down
    while it republished the plans settled at start; the step is tried again instead."""
    from chatops.bot.cli_serve import through_outages
    from chatops.bot.faults import StorageUnavailable

    calls = []

    async def republish() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise StorageUnavailable("no database connection within 5 s")

    await through_outages(republish, "showing again the plans settled while it was down", pause=0.01)
    assert len(calls) == 3
