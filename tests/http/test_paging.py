"""A thread's body never grows with the thread: the newest `limit` messages (default 50) and
their plans, `has_more`, and older pages through `before`. Real server, real SQLite."""

from __future__ import annotations

from tests.http.conftest import done


async def test_a_long_thread_answers_with_its_newest_messages_and_pages_back(start_web):
    web = await start_web()
    first = await web.say("!ping host=h0")
    thread_id = first.body["id"]
    assert first.body["has_more"] is False and first.body["next_before"] is None
    for i in range(1, 30):  # each turn stores the message and the bot's answer: 60 messages
        reply = await web.say(f"!ping host=h{i}", thread=thread_id)
        assert reply.status == 201
    view = await web.wait_for(thread_id, lambda v: done(v) and len(v["plans"]) > 0)

    latest = await web.say("!ping host=last", thread=thread_id)
    assert latest.status == 201 and latest.body["id"] == thread_id
    assert len(latest.body["messages"]) == 50 and latest.body["has_more"] is True  # the 201 is capped too
    assert "!ping host=last" in [m["text"] for m in latest.body["messages"][-2:]]  # newest last, as before
    body = await web.wait_for(thread_id, lambda v: done(v) and v["messages"][-1]["role"] == "bot"
                              and "host=last" in v["messages"][-2]["text"])
    assert len(body["messages"]) == 50 and body["has_more"] is True
    shown = {m["id"] for m in body["messages"]}
    assert all(plan["message_id"] in shown for plan in body["plans"])  # only the plans of what is shown
    assert body["next_before"] == body["messages"][0]["id"]

    older = (await web.request("GET", f"/api/v1/threads/{thread_id}?before={body['next_before']}")).body
    assert len(older["messages"]) == 12 and older["has_more"] is False and older["next_before"] is None
    assert older["messages"][0]["text"] == "!ping host=h0"
    assert not shown & {m["id"] for m in older["messages"]}  # pages never overlap
    assert [p["steps"][0]["args"]["host"] for p in older["plans"]][:2] == ["h0", "h1"]
    assert view["id"] == thread_id

    small = (await web.request("GET", f"/api/v1/threads/{thread_id}?limit=4")).body
    assert len(small["messages"]) == 4 and small["has_more"] is True


async def test_bad_paging_parameters_get_a_clear_400(start_web):
    web = await start_web()
    thread_id = (await web.say("!ping host=h")).body["id"]
    for query, words in [("limit=0", "between 1 and 200"), ("limit=x", "whole number"),
                         ("before=m-nope", "id of a message in this thread")]:
        reply = await web.request("GET", f"/api/v1/threads/{thread_id}?{query}")
        assert reply.status == 400 and words in reply.body["error"]["message"], (query, reply.body)


async def test_the_openapi_document_describes_paging(start_web):
    web = await start_web()
    document = (await web.request("GET", "/api/v1/openapi.json")).body
    get_thread = document["paths"]["/api/v1/threads/{id}"]["get"]
    assert {"limit", "before"} <= {p["name"] for p in get_thread["parameters"]}
    post = document["paths"]["/api/v1/threads/{id}/messages"]["post"]
    assert {"limit", "before"} <= {p["name"] for p in post["parameters"]}
    body_schema = document["components"]["schemas"]["ThreadBody"]["properties"]
    assert {"has_more", "next_before"} <= set(body_schema)
