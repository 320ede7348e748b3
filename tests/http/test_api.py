"""The HTTP API through a real server on a loopback port: every endpoint and status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from chatops.tools.registry import spec_of, tool
from tests.conftest import ScriptedModel, reply
from tests.http.conftest import done

ROLES = {"oncall": {"http": ["alice"]}}
RELEASE = asyncio.Event()


@tool(risk="write")
async def slow_restart() -> str:
    """Restart slowly (the test releases it)."""
    await asyncio.wait_for(RELEASE.wait(), 5)
    return "restarted"


SLOW_RESTART = spec_of(slow_restart)
TOKENS = {"alice": "alice-token-123", "bob": "bob-token-456"}


async def test_a_read_only_request_is_planned_run_and_answered(start_web):
    web = await start_web()
    created = await web.say("!ping host=db1")
    assert created.status == 201, created.body
    view = created.body
    assert view["id"].startswith("http:")
    # the 201 comes once the plan is on show; a quick read-only step may have answered by then
    assert [m["text"] for m in view["messages"]][:1] == ["!ping host=db1"] and len(view["messages"]) <= 2
    assert view["plans"][0]["steps"][0]["tool"] == "ping"
    assert view["plans"][0]["steps"][0]["risk"] == "read"
    finished = await web.wait_for(view["id"], done)
    step = finished["plans"][0]["steps"][0]
    assert (step["status"], step["result"], step["decided_by"]) == ("succeeded", "pong from db1", "policy: read-only")
    assert "pong from db1" in finished["messages"][-1]["text"]
    assert web.bot.calls.of("ping") == [{"host": "db1"}]


async def test_a_follow_up_goes_into_the_same_thread_and_the_planner_sees_the_history(start_web):
    model = ScriptedModel([reply(answer="hello"), reply(answer="again")])
    web = await start_web(model.planner())
    first = await web.say("hi there")
    second = await web.say("and now?", thread=first.body["id"])
    assert second.status == 201
    view = await web.wait_for(first.body["id"], lambda v: len(v["messages"]) == 4)
    assert [m["role"] for m in view["messages"]] == ["user", "bot", "user", "bot"]
    assert "hi there" in model.prompts[1]


async def test_a_write_step_waits_for_approval_and_runs_once_approved(start_web):
    web = await start_web()
    view = (await web.say("!restart unit=web")).body
    plan = view["plans"][0]
    assert plan["status"] == "proposed" and plan["expires_at"]
    assert web.bot.calls.of("restart") == []
    decided = await web.request("POST", f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"})
    assert decided.status == 200, decided.body
    assert decided.body["id"] == plan["id"]
    assert decided.body["status"] in ("approved", "running", "succeeded")
    assert decided.body["decided_by"] == "operator"  # one name (issue 25)
    final = await web.wait_for(view["id"], lambda v: v["plans"][0]["status"] == "succeeded" and done(v))
    assert final["plans"][0]["steps"][0]["result"] == "web restarted"
    assert web.bot.calls.of("restart") == [{"unit": "web"}]


async def test_a_denied_plan_runs_nothing_and_cannot_be_decided_again(start_web):
    web = await start_web()
    view = (await web.say("!restart unit=web")).body
    plan_id = view["plans"][0]["id"]
    denied = await web.request("POST", f"/api/v1/plans/{plan_id}/decision", json={"decision": "deny"})
    assert denied.status == 200 and denied.body["status"] == "denied"
    again = await web.request("POST", f"/api/v1/plans/{plan_id}/decision", json={"decision": "approve"})
    assert again.status == 409 and again.body["error"]["code"] == "conflict"
    assert again.body["error"]["message"] == "could not approve this plan: the plan is already denied"
    twice = await web.request("POST", f"/api/v1/plans/{plan_id}/decision", json={"decision": "deny"})
    assert twice.body["error"]["message"] == "could not deny this plan: the plan is already denied"
    final = await web.wait_for(view["id"], done)
    assert "Denied" in final["messages"][-1]["text"]
    assert web.bot.calls.of("restart") == []


async def test_two_concurrent_approvals_one_wins_one_conflicts_one_run(start_web):
    web = await start_web()
    view = (await web.say("!restart unit=api")).body
    path = f"/api/v1/plans/{view['plans'][0]['id']}/decision"
    replies = await asyncio.gather(*(web.request("POST", path, json={"decision": "approve"}) for _ in range(2)))
    assert sorted(r.status for r in replies) == [200, 409]
    await web.wait_for(view["id"], lambda v: v["plans"][0]["status"] == "succeeded")
    assert web.bot.calls.of("restart") == [{"unit": "api"}]


async def test_an_expired_plan_cannot_be_approved(start_web):
    web = await start_web()
    view = (await web.say("!restart unit=web")).body
    await web.bot.store.expire_due(datetime.now(UTC) + timedelta(hours=2))
    late = await web.request("POST", f"/api/v1/plans/{view['plans'][0]['id']}/decision", json={"decision": "approve"})
    assert late.status == 409
    assert "expired" in late.body["error"]["message"]
    assert (await web.thread(view["id"]))["plans"][0]["status"] == "expired"
    assert web.bot.calls.of("restart") == []


async def test_tokens_identify_callers_and_roles_decide_who_may_approve(start_web):
    web = await start_web(tokens=TOKENS, roles=ROLES)
    missing = await web.request("GET", "/api/v1/threads")
    assert missing.status == 401 and missing.body["error"]["code"] == "unauthorized"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = await web.request("GET", "/api/v1/threads", token="not-a-token")
    assert wrong.status == 401

    bobs = (await web.say("!restart unit=web", token=TOKENS["bob"])).body
    plan_id = bobs["plans"][0]["id"]
    refused = await web.request("POST", f"/api/v1/plans/{plan_id}/decision", json={"decision": "approve"},
                                token=TOKENS["bob"])
    assert refused.status == 403 and "oncall" in refused.body["error"]["message"]
    assert (await web.thread(bobs["id"], TOKENS["bob"]))["plans"][0]["status"] == "proposed"
    assert web.bot.calls.of("restart") == []

    # alice holds the approver role: she can see bob's thread and approve his plan
    approved = await web.request("POST", f"/api/v1/plans/{plan_id}/decision", json={"decision": "approve"},
                                 token=TOKENS["alice"])
    assert approved.status == 200 and approved.body["decided_by"] == "http:alice"
    await web.wait_for(bobs["id"], lambda v: v["plans"][0]["status"] == "succeeded", token=TOKENS["bob"])
    assert web.bot.calls.of("restart") == [{"unit": "web"}]

    # bob cannot read alice's threads, and lists only his own
    alices = (await web.say("!ping", token=TOKENS["alice"])).body
    hidden = await web.request("GET", f"/api/v1/threads/{alices['id']}", token=TOKENS["bob"])
    assert hidden.status == 404
    listed = await web.request("GET", "/api/v1/threads", token=TOKENS["bob"])
    assert [t["id"] for t in listed.body["threads"]] == [bobs["id"]]


async def test_the_requester_may_withdraw_but_not_approve_their_own_request(start_web):
    web = await start_web(tokens=TOKENS, roles=ROLES)
    view = (await web.say("!restart unit=web", token=TOKENS["bob"])).body
    withdrawn = await web.request("POST", f"/api/v1/plans/{view['plans'][0]['id']}/decision",
                                  json={"decision": "deny"}, token=TOKENS["bob"])
    assert withdrawn.status == 200 and withdrawn.body["status"] == "denied"


async def test_malformed_and_unsupported_bodies_are_refused_and_nothing_is_stored(start_web):
    web = await start_web()
    bad_json = await web.request("POST", "/api/v1/threads", data=b'{"text": ', headers={"Content-Type":
                                                                                        "application/json"})
    assert bad_json.status == 400 and bad_json.body["error"]["code"] == "malformed_json"
    empty_text = await web.request("POST", "/api/v1/threads", json={"text": ""})
    assert empty_text.status == 400 and "text" in empty_text.body["error"]["message"]
    blank_text = await web.request("POST", "/api/v1/threads", json={"text": "  \n "})
    assert blank_text.status == 400 and "blank" in blank_text.body["error"]["message"]
    wrong_type = await web.request("POST", "/api/v1/threads", json={"text": 42})
    assert wrong_type.status == 400
    unknown_key = await web.request("POST", "/api/v1/threads", json={"text": "hi", "colour": "red"})
    assert unknown_key.status == 400
    plain = await web.request("POST", "/api/v1/threads", data="hello", headers={"Content-Type": "text/plain"})
    assert plain.status == 415 and plain.body["error"]["code"] == "unsupported_media_type"
    assert (await web.request("GET", "/api/v1/threads")).body["threads"] == []


async def test_unknown_ids_are_404(start_web):
    web = await start_web()
    assert (await web.request("GET", "/api/v1/threads/http:operator:nope")).status == 404
    assert (await web.say("hello", thread="http:operator:nope")).status == 404
    missing_plan = await web.request("POST", "/api/v1/plans/p-missing/decision", json={"decision": "approve"})
    assert missing_plan.status == 404 and missing_plan.body["error"]["code"] == "not_found"
    assert (await web.request("GET", "/api/v1/threads/nope/events")).status == 404
    # a thread of another platform is not the web's to show
    await web.bot.say("!ping", thread="terminal-thread")
    assert (await web.request("GET", "/api/v1/threads/console:terminal-thread")).status == 404


async def test_a_bad_decision_body_is_400(start_web):
    web = await start_web()
    view = (await web.say("!restart unit=web")).body
    path = f"/api/v1/plans/{view['plans'][0]['id']}/decision"
    assert (await web.request("POST", path, json={"decision": "maybe"})).status == 400
    assert (await web.request("POST", path, data=b"[", headers={"Content-Type": "application/json"})).status == 400
    assert (await web.thread(view["id"]))["plans"][0]["status"] == "proposed"


async def test_an_idempotency_key_makes_a_retried_post_one_turn(start_web):
    web = await start_web()
    headers = {"Idempotency-Key": "retry-me-1"}
    first = await web.request("POST", "/api/v1/threads", json={"text": "!ping"}, headers=headers)
    thread_id = first.body["id"]
    retried_create = await web.request("POST", "/api/v1/threads", json={"text": "!ping"}, headers=headers)
    assert retried_create.status == 201 and retried_create.body["id"] == thread_id
    again = await web.request("POST", f"/api/v1/threads/{thread_id}/messages", json={"text": "!ping host=x"},
                              headers={"Idempotency-Key": "retry-me-2"})
    retried = await web.request("POST", f"/api/v1/threads/{thread_id}/messages", json={"text": "!ping host=x"},
                                headers={"Idempotency-Key": "retry-me-2"})
    assert again.status == retried.status == 201
    view = await web.wait_for(thread_id, lambda v: done(v) and len(v["plans"]) == 2)
    assert [m["text"] for m in view["messages"] if m["role"] == "user"] == ["!ping", "!ping host=x"]


async def test_threads_are_listed_newest_first_and_paged(start_web):
    web = await start_web()
    ids = [(await web.say(f"!ping host=h{i}")).body["id"] for i in range(3)]
    for thread_id in ids:
        await web.wait_for(thread_id, done)
    first_page = (await web.request("GET", "/api/v1/threads?limit=2")).body
    assert [t["id"] for t in first_page["threads"]] == [ids[2], ids[1]]
    assert first_page["next_before"]
    rest = (await web.request("GET", f"/api/v1/threads?limit=2&before={first_page['next_before']}")).body
    assert [t["id"] for t in rest["threads"]] == [ids[0]] and rest["next_before"] is None
    assert (await web.request("GET", "/api/v1/threads?limit=0")).status == 400
    assert (await web.request("GET", "/api/v1/threads?limit=ten")).status == 400


async def test_health_and_metrics_need_no_token_and_report_real_figures(start_web):
    web = await start_web(tokens=TOKENS, roles=ROLES)
    health = await web.request("GET", "/healthz")
    assert health.status == 200
    assert (health.body["status"], health.body["database"]) == ("ok", "writable")
    view = (await web.say("!restart unit=web", token=TOKENS["bob"])).body
    path = f"/api/v1/plans/{view['plans'][0]['id']}/decision"
    assert (await web.request("POST", path, json={"decision": "approve"}, token=TOKENS["bob"])).status == 403
    assert (await web.request("POST", path, json={"decision": "approve"}, token=TOKENS["alice"])).status == 200
    await web.wait_for(view["id"], done, token=TOKENS["bob"])
    metrics = await web.request("GET", "/metrics")
    assert metrics.status == 200 and metrics.headers["Content-Type"].startswith("text/plain")
    text = metrics.body
    assert 'chatops_turns_total{platform="http"} 1.0' in text
    assert 'chatops_steps_total{status="succeeded",tool="restart"} 1.0' in text
    assert 'chatops_decisions_total{accepted="false",decision="approve"} 1.0' in text
    assert 'chatops_decisions_total{accepted="true",decision="approve"} 1.0' in text
    assert 'chatops_planning_seconds_count{path="command"} 1.0' in text
    assert 'chatops_step_seconds_count{tool="restart"} 1.0' in text


@pytest.mark.sqlite_only  # PRAGMA query_only
async def test_health_says_degraded_when_the_database_cannot_be_written(start_web):
    web = await start_web()
    await web.bot.store._dispatch(lambda: web.bot.store.db.execute("PRAGMA query_only = ON"))
    try:
        health = await web.request("GET", "/healthz")
        assert health.status == 503
        assert health.body["status"] == "degraded" and health.body["database"].startswith("not writable")
    finally:
        await web.bot.store._dispatch(lambda: web.bot.store.db.execute("PRAGMA query_only = OFF"))


async def test_the_openapi_document_describes_every_route(start_web):
    web = await start_web(tokens=TOKENS)
    document = (await web.request("GET", "/api/v1/openapi.json")).body
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/v1/threads", "/api/v1/threads/{id}", "/api/v1/threads/{id}/messages", "/api/v1/threads/{id}/events",
        "/api/v1/plans/{id}/decision", "/api/v1/plans/waiting", "/api/v1/me", "/api/v1/threads/{id}/files/{sha256}",
        "/api/v1/alerts/alertmanager", "/api/v1/alerts/grafana", "/api/v1/schedules", "/api/v1/threads/{id}/report",
        "/api/v1/threads/{id}/alert/acknowledge", "/api/v1/threads/{id}/alert/silence",
        "/api/v1/openapi.json", "/healthz", "/metrics"}
    create = document["paths"]["/api/v1/threads"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data",
                                                     "application/x-www-form-urlencoded"}
    for path in document["paths"].values():  # no parameter listed twice (OpenAPI forbids it)
        for operation in path.values():
            listed = [(p["name"], p["in"]) for p in operation.get("parameters", [])]
            assert len(listed) == len(set(listed)), listed
    assert {"201", "400", "401", "413", "415"} <= set(create["responses"])
    assert create["security"] == [{"bearer": []}]
    thread = document["components"]["schemas"]["ThreadBody"]
    assert {"id", "created_at", "messages", "plans"} <= set(thread["required"])
    step = document["components"]["schemas"]["StepBody"]["properties"]
    assert {"tool", "args", "reason", "risk", "status", "result", "error", "decided_by"} <= set(step)


async def test_unknown_methods_and_paths_answer_json_errors(start_web):
    web = await start_web()
    gone = await web.request("GET", "/api/v1/nothing-here")
    assert gone.status == 404 and gone.body["error"]["code"] == "not_found"
    wrong_method = await web.request("DELETE", "/api/v1/threads")
    assert wrong_method.status == 405 and "POST" in wrong_method.headers["Allow"]


async def test_the_web_page_and_its_files_are_served_from_the_package(start_web):
    web = await start_web()
    page = await web.request("GET", "/")
    assert page.status == 200 and "<title>chatops</title>" in page.body
    for asset in ("/static/app.js", "/static/app.css"):
        assert (await web.request("GET", asset)).status == 200
    assert "http" not in page.body.replace("http-equiv", "").split("<body>")[0].replace("/static/", "")


async def test_a_client_that_goes_away_mid_request_loses_nothing(start_web):
    """The turn goes on when the client hangs up before the answer: the thread is complete later."""
    web = await start_web()
    body = b'{"text": "!ping host=gone"}'
    _reader, writer = await asyncio.open_connection(web.adapter.runner_host, web.adapter.runner_port)
    writer.write(b"POST /api/v1/threads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    writer.close()  # gone before any answer
    deadline = asyncio.get_running_loop().time() + 10
    while not web.bot.calls.of("ping"):
        assert asyncio.get_running_loop().time() < deadline, "the turn never ran"
        await asyncio.sleep(0.02)
    threads = (await web.request("GET", "/api/v1/threads")).body["threads"]
    assert len(threads) == 1
    await web.wait_for(threads[0]["id"], done)


async def test_the_losing_approval_is_answered_at_once_while_the_winner_runs(start_web):
    web = await start_web()
    web.bot.hub.registry.add(SLOW_RESTART, source="test")
    view = (await web.say("!slow_restart")).body
    path = f"/api/v1/plans/{view['plans'][0]['id']}/decision"
    first = await web.request("POST", path, json={"decision": "approve"})
    assert first.status == 200
    second = await asyncio.wait_for(web.request("POST", path, json={"decision": "approve"}), 2)
    assert second.status == 409  # answered while the winner's step still runs (it takes 5 s)
    assert (await web.thread(view["id"]))["plans"][0]["steps"][0]["status"] == "running"
    RELEASE.set()
    await web.wait_for(view["id"], lambda v: v["plans"][0]["status"] == "succeeded")


async def test_approvers_read_threads_they_are_asked_to_decide_but_only_owners_post_in_them(start_web):
    web = await start_web(tokens=TOKENS, roles=ROLES)
    bobs = (await web.say("!restart unit=web", token=TOKENS["bob"])).body
    assert (await web.request("GET", f"/api/v1/threads/{bobs['id']}", token=TOKENS["alice"])).status == 200
    posted = await web.say("!ping host=alice-was-here", thread=bobs["id"], token=TOKENS["alice"])
    assert posted.status == 404
    assert [m["text"] for m in (await web.thread(bobs["id"], TOKENS["bob"]))["messages"] if m["role"] == "user"] \
        == ["!restart unit=web"]


async def test_an_approver_cannot_read_a_thread_with_nothing_for_them_to_decide(start_web):
    """Issue 12, failure 9: an approver could read any thread by id."""
    web = await start_web(tokens=TOKENS, roles=ROLES)
    bobs = (await web.say("!ping host=bob-private", token=TOKENS["bob"])).body
    assert (await web.request("GET", f"/api/v1/threads/{bobs['id']}", token=TOKENS["alice"])).status == 404
    events = await web.request("GET", f"/api/v1/threads/{bobs['id']}/events", token=TOKENS["alice"])
    assert events.status == 404
    assert (await web.request("GET", f"/api/v1/threads/{bobs['id']}", token=TOKENS["bob"])).status == 200


async def test_a_plan_the_caller_may_not_decide_is_403_even_in_a_thread_they_cannot_read(start_web):
    web = await start_web(tokens={**TOKENS, "carol": "carol-token-789"}, roles=ROLES)
    bobs = (await web.say("!restart unit=web", token=TOKENS["bob"])).body
    refused = await web.request("POST", f"/api/v1/plans/{bobs['plans'][0]['id']}/decision",
                                json={"decision": "deny"}, token="carol-token-789")
    assert refused.status == 403
    assert (await web.thread(bobs["id"], TOKENS["bob"]))["plans"][0]["status"] == "proposed"


async def test_odd_tokens_and_event_ids_are_client_errors_not_crashes(start_web):
    web = await start_web(tokens=TOKENS)
    async with web.session.get(web.url + "/api/v1/threads",
                               headers={"Authorization": "Bearer \udcff\udcfe".encode("utf-8", "surrogateescape")
                                        .decode("latin-1")}) as response:
        assert response.status == 401
    thread_id = (await web.say("!ping", token=TOKENS["alice"])).body["id"]
    for resume in ("²", "٣", "-1", "1e3", "9" * 21):
        odd = await web.request("GET", f"/api/v1/threads/{thread_id}/events", token=TOKENS["alice"],
                                params={"last_event_id": resume})
        assert odd.status == 400, resume


async def test_without_tokens_pages_from_other_sites_cannot_act_as_the_operator(start_web):
    web = await start_web()
    rebinding = await web.request("GET", "/api/v1/threads", headers={"Host": f"evil.example:{web.adapter.runner_port}"})
    assert rebinding.status == 403 and rebinding.body["error"]["code"] == "bad_host"
    cross_site = await web.request("POST", "/api/v1/threads", data={"text": "!restart unit=evil"},
                                   headers={"Origin": "http://evil.example"})
    assert cross_site.status == 403 and cross_site.body["error"]["code"] == "cross_site"
    sandboxed = await web.request("POST", "/api/v1/threads", json={"text": "!ping"}, headers={"Origin": "null"})
    assert sandboxed.status == 403
    assert (await web.request("GET", "/api/v1/threads")).body["threads"] == []
    same_site = await web.request("POST", "/api/v1/threads", data={"text": "!ping"},
                                  headers={"Origin": web.url})
    assert same_site.status == 201
    for name in ("localhost", "127.0.0.1"):
        assert (await web.request("GET", "/healthz", headers={"Host": f"{name}:1234"})).status == 200
    page = await web.request("GET", "/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert (await web.request("GET", "/api/v1/nothing")).headers["X-Frame-Options"] == "DENY"


async def test_with_tokens_any_host_name_is_served(start_web):
    web = await start_web(tokens=TOKENS)
    reply = await web.request("GET", "/api/v1/threads", token=TOKENS["alice"],
                              headers={"Host": "chatops.internal.example"})
    assert reply.status == 200
