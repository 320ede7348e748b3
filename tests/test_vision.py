"""Image descriptions through pydantic-ai's image input, against a local fake OpenAI server."""

from __future__ import annotations

import base64

from aiohttp import web

from chatops.bot.config import LLMConfig
from chatops.bot.llm.models import openai_compatible
from chatops.bot.perception.types import MediaFile
from chatops.bot.perception.vision import describe_image, supports_images
from tests.fakes.openai_server import FakeOpenAI
from tests.screens import terminal_screenshot

SHOT = MediaFile("pods.png", terminal_screenshot(), "image/png")


def image_parts(request: dict) -> list[bytes]:
    """The decoded bytes of every image the request carried."""
    found = []
    for message in request["messages"]:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":
                header, _, payload = part["image_url"]["url"].partition(",")
                assert header == "data:image/png;base64"
                found.append(base64.b64decode(payload))
    return found


async def test_the_image_really_arrives_and_the_description_is_trimmed():
    async with FakeOpenAI(lambda body: "A terminal showing kubectl output: payments-api is in CrashLoopBackOff "
                                       "after 14 restarts, and curl fails with ECONNREFUSED.") as server:
        model = openai_compatible("vision", server.base_url, "key")
        text = await describe_image(model, SHOT, max_words=8, timeout=10)
    assert image_parts(server.requests[0]) == [SHOT.data]
    assert text == "A terminal showing kubectl output: payments-api is in …"


async def test_a_failing_or_silent_server_gives_a_short_explanation():
    async with FakeOpenAI(lambda body: web.json_response({"error": {"message": "boom"}}, status=500)) as server:
        model = openai_compatible("vision", server.base_url, "key")
        try:
            await describe_image(model, SHOT, max_words=10, timeout=10)
        except Exception as exc:
            assert str(exc).startswith("could not be described (")
        else:
            raise AssertionError("a 500 must not give a description")
    async with FakeOpenAI(lambda body: "late", delay=2) as server:
        model = openai_compatible("vision", server.base_url, "key")
        try:
            await describe_image(model, SHOT, max_words=10, timeout=0.3)
        except Exception as exc:
            assert str(exc) == "could not be described (no answer within 0.3 s)"
        else:
            raise AssertionError("a timeout must not give a description")


def test_only_models_that_can_see_are_asked():
    assert supports_images(LLMConfig(model="openai:gpt-4o-mini"))
    assert supports_images(LLMConfig(model="anthropic:claude-sonnet-4-5"))
    assert not supports_images(LLMConfig(model="local"))
    assert not supports_images(LLMConfig(model="test"))
