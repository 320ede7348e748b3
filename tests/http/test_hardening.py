"""Slow clients, crowds from one address and hostile bytes (issue 12, failures 7 and 8), against a
real server on 127.0.0.1 spoken to over raw sockets where aiohttp's client would be too polite."""

from __future__ import annotations

import asyncio
import io
from urllib.parse import quote

from PIL import Image

from tests.polling import eventually

QUICK = {"header_timeout": 0.5, "body_timeout": 0.5}


async def connect(web) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(web.adapter.runner_host, web.adapter.runner_port)


def until_closed(reader: asyncio.StreamReader) -> asyncio.Task[bytes]:
    """Everything the server sends on this connection until it closes it."""
    return asyncio.create_task(reader.read())


async def closed(reading: asyncio.Task[bytes]) -> list[bytes] | None:
    """[what the server sent], once it has closed the connection (None while it is open)."""
    return [reading.result()] if reading.done() else None


async def test_a_client_sending_headers_slowly_is_disconnected(start_web):
    web = await start_web(http=QUICK)
    reader, writer = await connect(web)
    idle_reader, idle_writer = await connect(web)  # and one that sends nothing at all
    reading, idle_reading = until_closed(reader), until_closed(idle_reader)
    sent = b""
    for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ":
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            break
        sent += bytes([byte])
        if reading.done():
            break
        await asyncio.sleep(0.05)
    await eventually(lambda: closed(reading), timeout=10, what="the slow client to be disconnected")
    await eventually(lambda: closed(idle_reading), timeout=10, what="the idle client to be disconnected")
    writer.close()
    idle_writer.close()
    assert (await web.request("GET", "/healthz")).status == 200  # the server is fine


async def test_a_client_sending_a_body_slowly_gets_408_and_is_disconnected(start_web):
    web = await start_web(http=QUICK)
    reader, writer = await connect(web)
    body = b'{"text": "!ping host=slow"}'
    writer.write(b"POST /api/v1/threads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:3])
    await writer.drain()

    async def trickle() -> None:
        for byte in body[3:]:
            await asyncio.sleep(0.2)
            try:
                writer.write(bytes([byte]))
                await writer.drain()
            except ConnectionError:
                return

    trickling = asyncio.create_task(trickle())
    reading = until_closed(reader)
    [answer] = await eventually(lambda: closed(reading), timeout=10, what="the slow body to be refused")
    trickling.cancel()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408") and b'"body_timeout"' in answer
    assert (await web.request("GET", "/api/v1/threads")).body["threads"] == []  # nothing was stored


async def test_one_address_cannot_hold_more_than_its_share_of_connections(start_web):
    web = await start_web(http={"max_connections_per_client": 3})
    held = [await connect(web) for _ in range(3)]
    reader, writer = await connect(web)
    reading = until_closed(reader)
    [refused] = await eventually(lambda: closed(reading), timeout=10, what="the fourth connection to be refused")
    assert refused.startswith(b"HTTP/1.1 503") and b"too_many_connections" in refused
    writer.close()
    assert web.adapter.connections.refused == 1
    for _, held_writer in held:
        held_writer.close()
    await eventually(lambda: not web.adapter.connections.open, what="the held connections to be released")
    assert (await web.request("GET", "/healthz")).status == 200


async def test_a_form_body_that_is_not_utf8_is_400_and_stores_nothing(start_web):
    web = await start_web()
    reply = await web.request("POST", "/api/v1/threads", data=b"text=caf\xe9\xff\xfe",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400 and reply.body["error"]["code"] == "malformed_body", reply.body
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n".encode() + b"caf\xe9\xff"
            + f"\r\n--{boundary}--\r\n".encode())
    reply = await web.request("POST", "/api/v1/threads", data=body,
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert reply.status == 400, reply.body
    assert (await web.request("GET", "/api/v1/threads")).body["threads"] == []


async def test_file_names_lose_control_and_line_separator_characters(start_web):
    web = await start_web()
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(picture, "PNG")
    boundary = "b0undary"
    name = quote("scr\x1b[31meen\u2028shot\x85.png")  # RFC 5987 lets a client send any character
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nwhat is this?\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename*=UTF-8''{name}\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + picture.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    reply = await web.request("POST", "/api/v1/threads", data=body,
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert reply.status == 201, reply.body
    name = reply.body["messages"][0]["attachments"][0]["name"]
    assert name == "scr[31meenshot.png"
