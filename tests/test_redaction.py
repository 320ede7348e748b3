"""Secrets are scrubbed from structured results whatever characters they hold (issue 12,
failure 5): the redactor used to look for the raw secret inside JSON-encoded text, where a `"`
or `\\` in it is escaped and was never found."""

from __future__ import annotations

import json

import pytest

from chatops.bot.redaction import MASK, Redactor
from chatops.tools import tool

SECRETS = [
    'pa"ss-word-1',  # a quote
    "back\\slash\\token",  # backslashes
    "tök€n-ünïcode-ß",  # non-ASCII
    "a.b*c+d?(e)[f]^$|{2}",  # regular-expression metacharacters
    "tab\there\nnewline",  # control characters JSON escapes
]


def spellings(secret: str) -> list[str]:
    return [secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]]


@pytest.mark.parametrize("secret", SECRETS)
def test_every_string_and_key_of_structured_data_is_scrubbed(secret: str):
    redactor = Redactor([secret])
    data = {"out": f"token={secret};", secret: [secret, {"nested": f"<{secret}>"}], "n": 3, "ok": True,
            "json": json.dumps({"t": secret}), "ascii_json": json.dumps({"t": secret}, ensure_ascii=True)}
    scrubbed = redactor.data(data)
    text = json.dumps(scrubbed, ensure_ascii=False)
    for spelling in spellings(secret):
        assert spelling not in text, spelling
    assert scrubbed["out"] == f"token={MASK};" and scrubbed["n"] == 3 and scrubbed["ok"] is True
    assert scrubbed[MASK] == [MASK, {"nested": f"<{MASK}>"}]


@pytest.mark.parametrize("secret", SECRETS)
async def test_a_step_result_holding_the_secret_is_stored_and_served_without_it(make_bot, secret: str):
    bot = await make_bot(None, llm={"api_key": secret})

    @tool(risk="read")
    async def echo_config() -> dict:
        """Returns what it was configured with, as tools sometimes do."""
        return {"stdout": f'{{"api_key": "{secret}"}}', "env": {"KEY": secret}, secret: "as a key"}

    bot.hub.registry.add(echo_config, source="test")
    await bot.say("!echo_config")
    plan_id = bot.of_type("plan")[0].id
    stored = json.dumps((await bot.store.get_plan(plan_id)).steps[0].result, ensure_ascii=False)
    served = json.dumps(await bot.store.thread_view("console:t1"), ensure_ascii=False)
    shown = " ".join(event.model_dump_json() for _, event in bot.events)
    audit = json.dumps(await bot.store.audit_log(100), ensure_ascii=False)
    for place in (stored, served, shown, audit):
        for spelling in spellings(secret):
            assert spelling not in place
    assert MASK in stored
