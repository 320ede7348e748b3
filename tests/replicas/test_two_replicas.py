"""Issue 15: two real `chatops run` replicas on one database, each with its own HTTP port. Work is
done exactly once whichever replica a request reaches, a listener on one replica sees what the
other one does, and a replica killed mid-step leaves its work to the other."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.polling import eventually
from tests.replicas.replicas import LEASE_SECONDS, answered, read_events, thread_of, two_replicas


async def test_twenty_concurrent_approvals_split_across_replicas_run_the_plan_once(tmp_path: Path, storage: str):
    async with two_replicas(tmp_path, storage) as replicas:
        a, b = replicas.a, replicas.b
        status, view = await a.call("POST", "/api/v1/threads", {"text": "!mark unit=u1"})
        assert status == 201, view
        plan = view["plans"][0]
        assert plan["status"] == "proposed"
        decisions = await asyncio.gather(*(
            bot.call("POST", f"/api/v1/plans/{plan['id']}/decision", {"decision": "approve"})
            for bot in [a, b] * 10))
        statuses = sorted(status for status, _ in decisions)
        assert statuses == [200] + [409] * 19, decisions
        thread = await answered(b, view["id"])
        assert thread["plans"][0]["status"] == "succeeded"
        await asyncio.sleep(LEASE_SECONDS)  # a second run would have started by now
        assert [run.what for run in replicas.started()] == ["u1"]


async def test_a_retried_request_is_one_turn_whichever_replica_each_retry_reaches(tmp_path: Path, storage: str):
    async with two_replicas(tmp_path, storage) as replicas:
        a, b = replicas.a, replicas.b
        headers = {"Idempotency-Key": "deploy-1"}
        replies = await asyncio.gather(*(
            bot.call("POST", "/api/v1/threads", {"text": "!check unit=u5 seconds=0"}, headers=headers)
            for bot in [a, b] * 5))
        assert {status for status, _ in replies} == {201}, replies
        assert len({view["id"] for _, view in replies}) == 1  # one thread, whichever replica answered
        thread = await answered(a, replies[0][1]["id"])
        assert [m["role"] for m in thread["messages"]] == ["user", "bot"] and len(thread["plans"]) == 1
        await asyncio.sleep(LEASE_SECONDS)
        assert [run.what for run in replicas.started()] == ["u5"]


async def test_a_plan_proposed_on_one_replica_and_approved_on_the_other_runs_once_there(tmp_path: Path,
                                                                                          storage: str):
    async with two_replicas(tmp_path, storage) as replicas:
        a, b = replicas.a, replicas.b
        status, view = await a.call("POST", "/api/v1/threads", {"text": "!mark unit=u7"})
        assert status == 201 and view["plans"][0]["status"] == "proposed", view
        status, decided = await b.call("POST", f"/api/v1/plans/{view['plans'][0]['id']}/decision",
                                       {"decision": "approve"})
        assert status == 200, decided
        thread = await answered(a, view["id"])  # the answer shows on the replica that proposed it
        assert thread["plans"][0]["status"] == "succeeded"
        assert thread["plans"][0]["steps"][0]["status"] == "succeeded"
        await asyncio.sleep(LEASE_SECONDS)
        runs = replicas.started()
        assert [run.what for run in runs] == ["u7"]
        assert runs[0].bot_pid == b.process.pid  # the approver's replica ran it


async def test_a_message_posted_on_one_replica_streams_to_a_listener_on_the_other(tmp_path: Path, storage: str):
    async with two_replicas(tmp_path, storage) as replicas:
        a, b = replicas.a, replicas.b
        status, view = await a.call("POST", "/api/v1/threads", {"text": "!check unit=u1 seconds=0"})
        assert status == 201, view
        thread_id = view["id"]
        first_turn = await read_events(b, thread_id, until="answer", last_event_id="0")  # A's events, on B
        assert first_turn[0][1]["type"] == "plan" and "done u1" in first_turn[-1][1]["text"]
        before = str(first_turn[-1][0])

        listening = asyncio.create_task(read_events(b, thread_id, until="answer", last_event_id=before))
        await asyncio.sleep(0.5)  # the listener is connected before A's turn starts
        status, _ = await a.call("POST", f"/api/v1/threads/{thread_id}/messages", {"text": "!check unit=u2 seconds=0"})
        assert status == 201
        events = await listening
        kinds = [(event["type"], event.get("status")) for _, event in events]
        assert kinds[0] == ("plan", "running") and kinds[-1] == ("answer", None), kinds
        assert ("step", "running") in kinds and ("step", "succeeded") in kinds
        assert "done u2" in events[-1][1]["text"]
        ids = [event_id for event_id, _ in events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > int(before)

        # Last-Event-ID resumes on either replica: exactly what followed, with the same ids
        assert await read_events(a, thread_id, until="answer", last_event_id=str(ids[0])) == events[1:]
        assert await read_events(b, thread_id, until="answer", last_event_id=str(ids[1])) == events[2:]
        # the thread body's last event id, on either replica, is the stream's last one
        assert (await thread_of(a, thread_id))["last_event_id"] == str(ids[-1])
        assert (await thread_of(b, thread_id))["last_event_id"] == str(ids[-1])


async def test_a_replica_killed_mid_step_leaves_the_step_interrupted_by_the_other_never_run_twice(
        tmp_path: Path, storage: str):
    async with two_replicas(tmp_path, storage) as replicas:
        a, b = replicas.a, replicas.b
        status, view = await a.call("POST", "/api/v1/threads", {"text": "!check unit=u3 seconds=600"})
        assert status == 201, view
        thread_id = view["id"]
        started = await eventually(replicas.started, what="the step to start")
        assert [(run.what, run.bot_pid) for run in started] == [("u3", a.process.pid)]
        running = await thread_of(b, thread_id)
        assert running["plans"][0]["steps"][0]["status"] == "running"

        a.kill()
        thread = await answered(b, thread_id, timeout=LEASE_SECONDS * 10)
        plan = thread["plans"][0]
        assert plan["status"] == "interrupted" and plan["steps"][0]["status"] == "interrupted"
        assert "stopped before it finished" in plan["steps"][0]["error"]
        answer = [m for m in thread["messages"] if m["role"] == "bot"]
        assert len(answer) == 1 and "nothing was run again" in answer[0]["text"]

        await asyncio.sleep(LEASE_SECONDS * 2)  # long past the lease: nothing ran it again
        assert [(run.what, run.phase) for run in replicas.runs()] == [("u3", "start")]
        assert len([m for m in (await thread_of(b, thread_id))["messages"] if m["role"] == "bot"]) == 1


async def test_turns_of_one_thread_never_overlap_across_replicas(tmp_path: Path, storage: str):
    async with two_replicas(tmp_path, storage) as replicas:
        a, b = replicas.a, replicas.b
        status, view = await a.call("POST", "/api/v1/threads", {"text": "!check unit=u0 seconds=0"})
        assert status == 201, view
        thread_id = view["id"]
        await answered(a, thread_id)
        posts = await asyncio.gather(
            a.call("POST", f"/api/v1/threads/{thread_id}/messages", {"text": "!check unit=u1 seconds=1.5"}),
            b.call("POST", f"/api/v1/threads/{thread_id}/messages", {"text": "!check unit=u2 seconds=1.5"}))
        assert [status for status, _ in posts] == [201, 201], posts
        await answered(b, thread_id, answers=3)
        runs = [run for run in replicas.runs() if run.what != "u0"]
        assert len(runs) == 4
        # one turn's step ends before the other's starts, whichever replica won the thread first
        first, second = sorted({run.what for run in runs}, key=lambda what: next(
            run.at for run in runs if run.what == what and run.phase == "start"))
        spans = {what: [run.at for run in runs if run.what == what] for what in (first, second)}
        assert max(spans[first]) <= min(spans[second]), runs
        assert {run.bot_pid for run in runs} == {a.process.pid, b.process.pid}
