"""Uploads through the real perception pipeline, the body limits, and the Server-Sent Events stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from tests.conftest import ScriptedModel, reply
from tests.http.conftest import WebBot, done
from tests.media import normalise, random_bytes, voice_note
from tests.screens import terminal_screenshot
from tests.sse import read_sse


def form(text: str, *files: tuple[str, bytes, str]) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("text", text)
    for name, content, mime in files:
        data.add_field("files", content, filename=name, content_type=mime)
    return data


async def stored_messages(web: WebBot) -> int:
    store = web.bot.store
    return await store._dispatch(lambda: store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0])


async def test_a_screenshot_and_a_voice_note_reach_the_planner_as_text(start_web, shared_perceiver):
    model = ScriptedModel([reply(answer="I see a crash loop")])
    web = await start_web(model.planner(), perceiver=shared_perceiver)
    created = await web.request("POST", "/api/v1/threads", data=form(
        "what is wrong here?",
        ("pods.png", terminal_screenshot(), "image/png"),
        ("note.ogg", voice_note("ogg"), "audio/ogg")))
    assert created.status == 201, created.body
    message = created.body["messages"][0]
    assert [a["name"] for a in message["attachments"]] == ["pods.png", "note.ogg"]
    assert all(a["sha256"] and a["size"] for a in message["attachments"])
    perceived = message["perceived_text"]
    assert "CrashLoopBackOff" in perceived  # OCR of the screenshot
    assert "nginx logs on web one" in normalise(perceived.split("[voice note")[1])  # the transcript
    assert "CrashLoopBackOff" in model.prompts[0] and "[voice note" in model.prompts[0]
    view = await web.wait_for(created.body["id"], done)
    assert view["messages"][-1]["text"] == "I see a crash loop"


async def test_a_corrupt_voice_note_gets_a_short_explanation_and_the_text_still_counts(start_web, shared_perceiver):
    model = ScriptedModel([reply(answer="noted")])
    web = await start_web(model.planner(), perceiver=shared_perceiver)
    broken = voice_note("ogg")[:200] + random_bytes(3000)
    created = await web.request("POST", "/api/v1/threads", data=form("restart web please",
                                                                    ("note.ogg", broken, "audio/ogg")))
    assert created.status == 201
    perceived = created.body["messages"][0]["perceived_text"]
    assert perceived.startswith("restart web please")
    assert "note.ogg" in perceived and "could not" in perceived.lower()


async def test_an_oversize_upload_is_413_and_nothing_is_stored(start_web):
    web = await start_web(http={"max_body": 64 * 1024})
    big = terminal_screenshot() + random_bytes(200 * 1024)
    declared = await web.request("POST", "/api/v1/threads", data=form("look", ("big.png", big, "image/png")))
    assert declared.status == 413 and declared.body["error"]["code"] == "too_large"
    assert declared.body["error"]["message"].endswith("the limit is 64 KB")  # the README's units

    async def chunks() -> AsyncIterator[bytes]:  # valid multipart, chunked, no Content-Length
        yield (b'--zzz\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n'
               b"Content-Type: image/png\r\n\r\n")
        for _ in range(40):
            yield b"x" * 8192
        yield b"\r\n--zzz--\r\n"

    streamed = await web.request("POST", "/api/v1/threads", data=chunks(),
                                 headers={"Content-Type": "multipart/form-data; boundary=zzz"})
    assert streamed.status == 413, streamed.body  # refused while streaming, past the limit
    huge_json = await web.request("POST", "/api/v1/threads", json={"text": "y" * 100_000})
    assert huge_json.status == 413
    assert await stored_messages(web) == 0
    assert (await web.request("GET", "/api/v1/threads")).body["threads"] == []


async def test_a_file_over_the_per_file_limit_is_413(start_web):
    web = await start_web(perception={"max_bytes": 4096})
    image = terminal_screenshot()
    assert len(image) > 4096
    refused = await web.request("POST", "/api/v1/threads", data=form("look", ("shot.png", image, "image/png")))
    assert refused.status == 413 and "shot.png" in refused.body["error"]["message"]
    assert await stored_messages(web) == 0


async def test_a_file_type_perception_does_not_read_is_415_and_nothing_is_stored(start_web):
    web = await start_web()
    zipped = b"PK\x03\x04" + random_bytes(2000)
    refused = await web.request("POST", "/api/v1/threads", data=form("see attached",
                                                                    ("logs.zip", zipped, "application/zip")))
    assert refused.status == 415 and "logs.zip" in refused.body["error"]["message"]
    unknown = await web.request("POST", "/api/v1/threads", data=form("?", ("x.bin", random_bytes(500), "image/png")))
    assert unknown.status == 415
    empty = await web.request("POST", "/api/v1/threads", data=form("", ("none.png", b"", "image/png")))
    assert empty.status == 400
    nothing = await web.request("POST", "/api/v1/threads", data=form(""))
    assert nothing.status == 400 and nothing.body["error"]["code"] == "empty"
    assert await stored_messages(web) == 0


# --- the event stream ------------------------------------------------------------------------------

async def read_events(web: WebBot, thread_id: str, *, until: str, last_event_id: str | None = None,
                      query: str = "") -> list[tuple[int, dict[str, Any]]]:
    """Read the stream until an event of type `until` (bounded by a timeout)."""
    return await read_sse(web.session, f"{web.url}/api/v1/threads/{thread_id}/events{query}", until=until,
                          last_event_id=last_event_id)


async def test_the_event_stream_delivers_every_event_in_order_and_resumes(start_web):
    web = await start_web()
    view = (await web.say("!restart unit=web")).body
    thread_id = view["id"]
    stream = asyncio.create_task(read_events(web, thread_id, until="answer", last_event_id=view["last_event_id"]))
    await asyncio.sleep(0)  # the stream subscribes; anything it misses comes from the log anyway
    decided = await web.request("POST", f"/api/v1/plans/{view['plans'][0]['id']}/decision",
                                json={"decision": "approve"})
    assert decided.status == 200
    events = await stream
    kinds = [(e["type"], e.get("status")) for _, e in events]
    assert kinds[0] == ("decision", None) and events[0][1]["accepted"] is True
    assert ("step", "running") in kinds and ("step", "succeeded") in kinds
    assert kinds.index(("step", "running")) < kinds.index(("step", "succeeded")) < len(kinds) - 1
    assert kinds[-1] == ("answer", None)
    ids = [event_id for event_id, _ in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # the same shape `chatops chat --json` prints
    step = next(e for _, e in events if e["type"] == "step" and e["status"] == "succeeded")
    assert set(step) == {"type", "thread", "plan_id", "id", "tool", "status", "result", "summary", "error",
                         "duration_ms", "outcome"}
    assert step["thread"] == thread_id and step["result"] == "web restarted" and step["outcome"] == "ok"

    # resume after the first event: exactly the rest, again
    resumed = await read_events(web, thread_id, until="answer", last_event_id=str(ids[0]))
    assert resumed == events[1:]
    # from the start (query form, for clients that cannot set headers): the plan event first
    everything = await read_events(web, thread_id, until="answer", query="?last_event_id=0")
    assert everything[0][1]["type"] == "plan" and everything[-len(events):] == events


async def test_a_bad_last_event_id_is_400(start_web):
    web = await start_web()
    thread_id = (await web.say("!ping")).body["id"]
    bad = await web.request("GET", f"/api/v1/threads/{thread_id}/events", headers={"Last-Event-ID": "abc"})
    assert bad.status == 400


async def test_stopping_the_server_ends_open_streams(start_web):
    web = await start_web()
    thread_id = (await web.say("!ping")).body["id"]
    stream = asyncio.create_task(read_events(web, thread_id, until="never"))
    await asyncio.sleep(0.1)
    stopping = asyncio.create_task(web.adapter.stop())
    try:
        await asyncio.wait_for(stream, 1.0)  # the server's own shutdown timeout is 2 s: ended before it
    except AssertionError as ended:
        assert "ended before" in str(ended)
    except aiohttp.ClientError:
        pass  # the connection closed: also an end
    else:
        raise AssertionError("the stream did not end")
    finally:
        await stopping
