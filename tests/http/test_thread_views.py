"""What the web chat reads besides messages and plans: a voice-only thread's title, stored
notices, who is signed in, what waits for an approver, and attachments served only to those who
may read their thread. A real server on 127.0.0.1, real SQLite."""

from __future__ import annotations

import hashlib

import aiohttp

from chatops.adapters.http import HttpAdapter
from tests.http.conftest import StartWeb, done
from tests.http.test_uploads_and_events import read_events
from tests.media import silence_wav

TOKENS = {"alice": "alice-views-token", "bob": "bob-views-token", "carol": "carol-views-token"}


async def test_a_voice_only_thread_is_titled_by_what_was_heard(start_web: StartWeb):
    web = await start_web()
    data = aiohttp.FormData()
    data.add_field("text", "")
    data.add_field("files", silence_wav(1.0), filename="note.wav", content_type="audio/wav")
    created = await web.request("POST", "/api/v1/threads", data=data)
    assert created.status == 201, created.body
    listed = (await web.request("GET", "/api/v1/threads")).body["threads"]
    assert listed[0]["title"].startswith("[voice note") or listed[0]["title"].startswith("[audio")
    assert created.body["title"] == listed[0]["title"]
    assert created.body["notices"], "what the attachment was read as is kept with the thread"


async def test_who_is_signed_in_and_what_waits_for_them(start_web: StartWeb):
    web = await start_web(tokens=TOKENS, roles={"oncall": {"http": ["bob"]}})
    asked = await web.say("!restart unit=web", token=TOKENS["alice"])
    plan = asked.body["plans"][0]
    me = (await web.request("GET", "/api/v1/me", token=TOKENS["bob"])).body
    assert me == {"user": "bob", "approver": True}
    assert (await web.request("GET", "/api/v1/me", token=TOKENS["carol"])).body == {"user": "carol",
                                                                                     "approver": False}
    waiting = (await web.request("GET", "/api/v1/plans/waiting", token=TOKENS["bob"])).body["plans"]
    assert [(p["id"], p["requester"], p["risk"], p["thread_id"]) for p in waiting] == [
        (plan["id"], "alice", "write", asked.body["id"])]
    # the requester cannot approve their own write (no role), and carol may not either
    assert (await web.request("GET", "/api/v1/plans/waiting", token=TOKENS["alice"])).body["plans"] == []
    assert (await web.request("GET", "/api/v1/plans/waiting", token=TOKENS["carol"])).body["plans"] == []
    decided = await web.request("POST", f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"},
                                token=TOKENS["bob"])
    assert decided.status == 200
    await web.wait_for(asked.body["id"], done, token=TOKENS["alice"])
    assert (await web.request("GET", "/api/v1/plans/waiting", token=TOKENS["bob"])).body["plans"] == []
    bobs = (await web.request("GET", "/api/v1/threads", token=TOKENS["bob"])).body["threads"]
    assert [t["id"] for t in bobs] == [asked.body["id"]]  # the thread he decided in
    view = await web.thread(asked.body["id"], token=TOKENS["alice"])
    step = view["plans"][0]["steps"][0]
    assert step["outcome"] == "ok" and step["output"] == "web restarted"
    assert [n["text"] for n in view["notices"]] == ["restart: restarting web"]


async def test_attachments_are_served_only_within_their_thread(start_web: StartWeb, shared_perceiver):
    web = await start_web(tokens=TOKENS, perceiver=shared_perceiver)
    wav = silence_wav(0.5)
    data = aiohttp.FormData()
    data.add_field("text", "listen")
    data.add_field("files", wav, filename="note.wav", content_type="audio/wav")
    created = await web.request("POST", "/api/v1/threads", data=data, token=TOKENS["alice"])
    digest = hashlib.sha256(wav).hexdigest()
    assert created.body["messages"][0]["attachments"][0]["sha256"] == digest
    path = f"/api/v1/threads/{created.body['id']}/files/{digest}"
    async with web.session.get(web.url + path, headers={"Authorization": f"Bearer {TOKENS['alice']}"}) as reply:
        assert reply.status == 200 and await reply.read() == wav
        assert reply.headers["Content-Type"] == "audio/wav" and reply.headers["X-Content-Type-Options"] == "nosniff"
    assert (await web.request("GET", path, token=TOKENS["carol"])).status == 404  # not her thread
    other = (await web.say("hello", token=TOKENS["alice"])).body["id"]
    assert (await web.request("GET", f"/api/v1/threads/{other}/files/{digest}",
                              token=TOKENS["alice"])).status == 404  # not in that thread


async def test_the_event_stream_resumes_from_storage_after_a_restart(start_web: StartWeb):
    web = await start_web()
    view = (await web.say("!ping host=before")).body
    thread_id = view["id"]
    await web.wait_for(thread_id, done)
    before = await read_events(web, thread_id, until="answer", last_event_id="0")
    assert [e["type"] for _, e in before][:2] == ["plan", "step"]

    await web.adapter.stop()  # the process ends; a new one serves the same database
    restarted = HttpAdapter(web.bot.runtime())
    await restarted.start()
    web.adapter = restarted
    try:
        view = await web.thread(thread_id)
        assert view["last_event_id"] == str(before[-1][0])  # known from storage, not "0"
        replayed = await read_events(web, thread_id, until="answer", last_event_id=str(before[0][0]))
        assert replayed == before[1:]  # exactly what was missed, with the same ids, from storage
        new = await web.say("!ping host=after", thread=thread_id)
        assert new.status == 201
        after = await read_events(web, thread_id, until="answer", last_event_id=view["last_event_id"])
        assert after[0][0] > before[-1][0] and after[-1][1]["text"].endswith("pong from after")
    finally:
        await restarted.stop()
