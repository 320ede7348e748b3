"""A video clip through the HTTP API, end to end (issue 26): uploaded with a question, perceived by
the real pipeline (Whisper, Tesseract), planned by the embedded guided planner, and held to the
provenance rule: the URL on screen drives a read-only check that waits for an approval."""

from __future__ import annotations

from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent.guided import GuidedPlanner
from chatops.tools.builtin.http_check import http_check
from tests.clips import clip
from tests.http.test_uploads_and_events import form
from tests.media import random_bytes
from tests.screens import terminal_screenshot


def no_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise AssertionError("the guided planner should not need the model here")


async def test_a_url_on_screen_in_a_video_becomes_a_tainted_read_step(start_web, shared_perceiver, http_server):
    web = await start_web(GuidedPlanner(FunctionModel(no_model)), perceiver=shared_perceiver)
    web.bot.hub.registry.add(http_check)
    url = f"{http_server}/broken"
    before = terminal_screenshot(["$ systemctl status nginx", "Active: active (running)"])
    after = terminal_screenshot(["$ systemctl status nginx", "Active: active (running)", f"$ curl -sI {url}",
                                 "HTTP/1.1 502 Bad Gateway"])
    video = clip([(before, 3), (after, 3)])

    created = await web.request("POST", "/api/v1/threads", data=form(
        "what is wrong here?", ("screen.mp4", video, "video/mp4")))

    assert created.status == 201, created.body
    message = created.body["messages"][0]
    [attachment] = message["attachments"]
    assert attachment["mime_type"] == "video/mp4" and attachment["sha256"]
    perceived = message["perceived_text"]
    assert perceived.startswith("what is wrong here?\n[video 0:06] on screen at 0:00: \"$ systemctl status nginx")
    assert f'"; at 0:03: "$ curl -sI {url}\nHTTP/1.1 502 Bad Gateway"' in perceived
    view = await web.wait_for(created.body["id"], lambda v: bool(v["plans"]))
    [plan] = view["plans"]
    [step] = [s for s in plan["steps"] if s["tool"] == "http_check"]
    assert step["args"]["url"] == url
    assert step["reason"].startswith(f"from the video at 0:03: `$ curl -sI {url}` → `HTTP/1.1 502 Bad Gateway`")
    assert step["tainted"] and step["provenance"].startswith(f"uses values from the video at 0:03: `$ curl -sI {url}`")
    assert plan["status"] == "proposed" and step["status"] == "proposed"  # read-only, and still it waits

    async with web.session.get(f"{web.url}/api/v1/threads/{created.body['id']}/files/{attachment['sha256']}") as got:
        assert got.status == 200 and got.headers["Content-Type"] == "video/mp4"  # what the web chat's player plays
        assert await got.read() == video


async def test_a_video_upload_has_its_own_size_cap(start_web):
    web = await start_web(perception={"max_bytes": 1024, "video": {"max_bytes": 2_000_000}})
    video = clip([(terminal_screenshot(["$ uptime"]), 2)])
    assert 1024 < len(video) < 2_000_000
    accepted = await web.request("POST", "/api/v1/threads", data=form("look", ("clip.mp4", video, "video/mp4")))
    assert accepted.status == 201, accepted.body
    fake = await web.request("POST", "/api/v1/threads", data=form("look", ("big.mp4", random_bytes(8000), "video/mp4")))
    assert fake.status == 415  # declared a video, is not one: refused, not kept under the video cap
    image = terminal_screenshot(["$ uptime"])
    over = await web.request("POST", "/api/v1/threads", data=form("look", ("shot.png", image, "image/png")))
    assert over.status == 413  # other files keep perception.max_bytes


async def test_a_voice_note_in_a_video_container_is_stored_as_sound(start_web, shared_perceiver):
    """Browsers record voice notes as webm, which reads as video/webm: heard as a voice note, and
    kept as audio/webm so the web chat plays it with a sound player, not a black video."""
    from tests.media import voice_note

    web = await start_web(perceiver=shared_perceiver)
    created = await web.request("POST", "/api/v1/threads", data=form("", ("note.webm", voice_note("webm"),
                                                                          "audio/webm")))
    assert created.status == 201, created.body
    message = created.body["messages"][0]
    assert message["perceived_text"].startswith("[voice note, 0:0")
    assert message["attachments"][0]["mime_type"] == "audio/webm"
