"""Attachment bytes every replica can show (issue 22, item 11): two replicas on one PostgreSQL
database that share no disk (each its own `[storage] path` folder); a screenshot uploaded to one
is served by the other, because on PostgreSQL the bytes are rows (`storage/shared_files.py`)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.postgres_server import shared_server

BOUNDARY = "b0undary"


def upload(picture: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nwhat is this?\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"shot.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + picture + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.mark.sqlite_only  # (the fixture's own backend: both replicas below name their PostgreSQL database)
async def test_a_screenshot_uploaded_to_one_replica_is_served_by_the_other(start_web, shared_perceiver, tmp_path):
    url = shared_server().create_database()
    a = await start_web(perceiver=shared_perceiver, storage={"url": url, "path": str(tmp_path / "a" / "bot.db")})
    b = await start_web(perceiver=shared_perceiver, storage={"url": url, "path": str(tmp_path / "b" / "bot.db")})
    image = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(image, "PNG")

    created = await a.request("POST", "/api/v1/threads", data=upload(image.getvalue()),
                              headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert created.status == 201, created.body
    [attachment] = created.body["messages"][0]["attachments"]

    path = f"/api/v1/threads/{created.body['id']}/files/{attachment['sha256']}"
    async with b.session.get(b.url + path) as served:  # main: 404 (the bytes were on a's disk only)
        assert served.status == 200 and served.headers["Content-Type"] == "image/png"
        assert await served.read() == image.getvalue()
    assert not (tmp_path / "a" / "files").exists() and not (tmp_path / "b" / "files").exists()
