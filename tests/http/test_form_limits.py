"""Form bodies are parsed within limits and off the event loop (issue 22, items 6 and 9): a
multipart body of 50,000 empty parts, or a form of 50,000 fields, is refused with a clear 4xx
at once while `/healthz` keeps answering, and a percent-escaped body that is not UTF-8 is a 400
like a raw one, never stored as U+FFFD."""

from __future__ import annotations

import asyncio

from chatops.adapters.http.forms import MAX_FIELDS, MAX_PARTS
from tests.loop_lag import with_loop_lag

BOUNDARY = "b0undary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def empty_parts(count: int) -> bytes:
    part = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n".encode()
    return part * count + f"--{BOUNDARY}--\r\n".encode()


async def test_fifty_thousand_empty_parts_get_a_413_at_once_and_healthz_stays_responsive(start_web):
    web = await start_web()
    body = empty_parts(50_000)
    assert len(body) > 2_500_000

    async def post_and_probe():
        posting = asyncio.create_task(web.request("POST", "/api/v1/threads", data=body, headers=MULTIPART))
        health = await web.request("GET", "/healthz")
        return await posting, health

    (reply, health), lag = await with_loop_lag(post_and_probe())

    assert reply.status == 413 and reply.body["error"]["code"] == "too_many_parts", reply.body
    assert f"more than {MAX_PARTS} parts" in reply.body["error"]["message"]
    assert health.status == 200
    assert lag.stayed_free(), lag  # main parsed the parts on the loop: 9.8 s of stall
    assert (await web.request("GET", "/api/v1/threads")).body["threads"] == []  # nothing stored


async def test_a_form_of_fifty_thousand_fields_gets_a_413(start_web):
    web = await start_web()
    body = b"text=hello&" + b"a=&" * 50_000
    reply, lag = await with_loop_lag(web.request("POST", "/api/v1/threads", data=body, headers=FORM))
    assert reply.status == 413 and reply.body["error"]["code"] == "too_many_fields", reply.body
    assert f"more than {MAX_FIELDS} fields" in reply.body["error"]["message"]
    assert lag.stayed_free(), lag


async def test_a_few_parts_still_make_a_message(start_web):
    web = await start_web()
    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n!ping host=caf\u00e9.example\r\n"
            f"--{BOUNDARY}--\r\n").encode()
    reply = await web.request("POST", "/api/v1/threads", data=body, headers=MULTIPART)
    assert reply.status == 201, reply.body
    assert reply.body["messages"][0]["text"] == "!ping host=caf\u00e9.example"


async def test_percent_escapes_that_are_not_utf8_are_a_400_like_raw_bytes(start_web):
    web = await start_web()
    reply = await web.request("POST", "/api/v1/threads", data=b"text=%ff%fe", headers=FORM)
    assert reply.status == 400 and reply.body["error"]["code"] == "malformed_body", reply.body
    assert reply.body["error"]["message"] == "the form body is not valid UTF-8"
    assert (await web.request("GET", "/api/v1/threads")).body["threads"] == []
    fine = await web.request("POST", "/api/v1/threads", data=b"text=%21ping%20host%3Dcaf%C3%A9", headers=FORM)
    assert fine.status == 201 and fine.body["messages"][0]["text"] == "!ping host=caf\u00e9"


async def test_a_truncated_multipart_body_is_a_400(start_web):
    web = await start_web()
    body = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhello".encode()
    reply = await web.request("POST", "/api/v1/threads", data=body, headers=MULTIPART)
    assert reply.status == 400 and reply.body["error"]["code"] == "malformed_body", reply.body


async def test_more_files_than_a_message_may_carry_get_a_413(start_web):
    import io

    from PIL import Image

    web = await start_web(perception={"max_attachments": 2})
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(picture, "PNG")
    body = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nwhat are these?\r\n".encode()
    for n in range(3):
        body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"s{n}.png\"\r\n"
                 "Content-Type: image/png\r\n\r\n").encode() + picture.getvalue() + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    reply = await web.request("POST", "/api/v1/threads", data=body, headers=MULTIPART)
    assert reply.status == 413 and reply.body["error"]["code"] == "too_many_files", reply.body
    assert reply.body["error"]["message"] == "a message may carry at most 2 files"


async def test_a_last_event_id_past_64_bits_is_a_400_not_a_silent_stream(start_web, caplog):
    web = await start_web()
    created = await web.say("!ping host=example.org")
    thread_id = created.body["id"]
    for resume in ("9" * 20, str(2**63)):
        reply = await asyncio.wait_for(web.request("GET", f"/api/v1/threads/{thread_id}/events",
                                                   headers={"Last-Event-ID": resume}), 10)
        assert reply.status == 400 and reply.body["error"]["code"] == "invalid", reply.body
    reply = await web.request("GET", f"/api/v1/threads/{thread_id}/events", params={"last_event_id": "9" * 20})
    assert reply.status == 400
    assert "OverflowError" not in caplog.text
