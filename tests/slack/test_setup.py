"""Setting the adapter up: the app manifest (`chatops slack-manifest`), the launcher, `describe()`,
the event parsing rules, names and user groups for roles, the working status."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chatops.adapters.launch import configured_adapters, slack_configured
from chatops.adapters.slack import SlackAdapter, SlackStartError
from chatops.adapters.slack.events import delivery_key, inbound_of, is_from_a_person, thread_of
from chatops.adapters.slack.manifest import BOT_SCOPES, slack_manifest
from chatops.adapters.slack.people import People, configured_groups
from chatops.bot.config import Config
from chatops.bot.model import UserRef
from tests.conftest import REPO, ScriptedModel, reply
from tests.slack.conftest import ALICE, BOB, CAROL, CHANNEL, ONCALL
from tests.slack.driver import event_callback, payload


def test_the_manifest_has_every_scope_and_event_the_adapter_uses():
    manifest = slack_manifest(Config.model_validate({"slack": {"mode": "socket"}}))
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "chat:write", "channels:history", "groups:history", "im:history", "files:read",
        "files:write", "reactions:write", "users:read", "usergroups:read", "assistant:write"}
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == [
        "app_mention", "message.channels", "message.groups", "message.im", "app_home_opened",
        "assistant_thread_started"]
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # DMs with the bot
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True  # "Waiting for you"
    assert manifest["features"]["agent_view"]["agent_description"]

    http = slack_manifest(Config.model_validate({"slack": {"mode": "http"}}))
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert http["settings"]["interactivity"]["request_url"].endswith("/slack/events")


def test_chatops_slack_manifest_prints_it(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[slack]\nmode = "http"\n')
    result = subprocess.run([sys.executable, "-c", "from chatops.bot.cli import main; main()", "slack-manifest",
                             "--config", str(config)], capture_output=True, text=True, cwd=REPO, timeout=60,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert printed["settings"]["socket_mode_enabled"] is False
    result = subprocess.run([sys.executable, "-c", "from chatops.bot.cli import main; main()", "slack-manifest",
                             "--config", str(config), "--request-url", "https://ops.example.net/slack/events",
                             "--name", "opsbot"], capture_output=True, text=True, cwd=REPO, timeout=60,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    printed = json.loads(result.stdout)
    assert printed["settings"]["interactivity"]["request_url"] == "https://ops.example.net/slack/events"
    assert printed["features"]["bot_user"]["display_name"] == "opsbot"


def test_the_agent_views_suggested_prompts_come_from_the_configured_tools(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[slack]\nmode = "socket"\n\n[[runbooks]]\nname = "restart_payments"\n'
                      'description = "Restart the payments service"\nrisk = "write"\n'
                      'argv = ["systemctl", "restart", "payments"]\n'
                      'examples = ["restart payments please"]\n')
    result = subprocess.run([sys.executable, "-c", "from chatops.bot.cli import main; main()", "slack-manifest",
                             "--config", str(config)], capture_output=True, text=True, cwd=REPO, timeout=60,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    prompts = json.loads(result.stdout)["features"]["agent_view"]["suggested_prompts"]
    assert 1 <= len(prompts) <= 4
    first = {"title": "Restart the payments service", "message": "restart payments please"}
    assert prompts[0] == first  # the team's own tool first
    assert all(set(p) == {"title", "message"} and p["message"] for p in prompts)
    assert any(p["message"] == "is https://example.com up?" for p in prompts)  # a built-in's own example


async def test_chatops_run_starts_slack_when_its_credentials_are_configured(make_bot, fake_slack):
    from tests.slack.conftest import slack_sections

    sections = slack_sections(fake_slack, "http")
    bot = await make_bot(None, http={"enabled": False}, **sections)
    runtime = bot.runtime()
    assert slack_configured(bot.config)
    [adapter] = configured_adapters(runtime)
    assert isinstance(adapter, SlackAdapter) and adapter.name == "slack"
    assert adapter.describe() == "HTTP mode, not listening (slack.listen = 127.0.0.1:0)"
    await adapter.start()
    try:
        assert adapter.describe() == (f"HTTP mode: Slack posts events and clicks to http://127.0.0.1:{adapter.port}"
                                      "/slack/events (behind your proxy) as @chatops (U0BOT00001) in Fake Team")
    finally:
        await adapter.stop()
    no_secret = Config.model_validate({"slack": {"bot_token": "xoxb-1", "mode": "http"}})
    assert not slack_configured(no_secret)
    with pytest.raises(SlackStartError, match="signing_secret"):
        SlackAdapter(bot.runtime(config=no_secret))


def test_who_and_what_triggers_a_turn():
    mention = payload("event_callback_app_mention")["event"]
    dm = payload("event_callback_message_im")["event"]
    assert is_from_a_person(mention, bot_user_id="U0LAN0Z89") and is_from_a_person(dm, bot_user_id="U0LAN0Z89")
    assert is_from_a_person(payload("message_thread_reply"), bot_user_id="U0LAN0Z89")
    assert is_from_a_person(payload("message_file_share"), bot_user_id="U0LAN0Z89")
    for ignored in ("message_changed", "message_deleted", "message_bot", "message_from_an_app"):
        assert not is_from_a_person(payload(ignored), bot_user_id="U0LAN0Z89"), ignored

    reply_event = payload("message_thread_reply")
    assert thread_of(reply_event).id == "slack:C0LAN2Q65:1515449522.000016"  # the thread, not the reply
    assert thread_of(mention).id == "slack:C0LAN2Q65:1515449522.000016"  # a mention starts its own thread
    # the mention and the `message` event of one message share the key; other messages do not
    as_message = {**mention, "type": "message", "channel_type": "channel"}
    assert delivery_key(mention) == delivery_key(as_message) == "slack:C0LAN2Q65:1515449522.000016"
    assert delivery_key(reply_event) != delivery_key(mention)

    inbound = inbound_of(mention, UserRef(platform="slack", id="U061F7AUR"), bot_user_id="U0LAN0Z89")
    assert inbound.text == "is it everything a river should be?" and inbound.event_id == delivery_key(mention)


async def test_user_groups_give_roles_and_lookups_are_cached(fake_slack):
    from slack_sdk.web.async_client import AsyncWebClient

    config = Config.model_validate({"roles": {"oncall": {"slack": [ALICE, ONCALL]}, "dba": {"slack": ["S0DBA00001"]}}})
    assert configured_groups(config) == ["S0DBA00001", ONCALL]
    people = People(AsyncWebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url), configured_groups(config))

    bob, again, carol = await people.user(BOB), await people.user(BOB), await people.user(CAROL)

    assert bob == again == UserRef(platform="slack", id=BOB, name="bob", groups=(ONCALL,))
    assert carol.groups == () and carol.name == "carol"
    assert len(fake_slack.calls_of("users.info")) == 2  # bob once, carol once
    assert len(fake_slack.calls_of("usergroups.users.list")) == 2  # each group once
    # S0DBA00001 does not exist: `no_such_subteam` means "not a member" (for a while), not a crash
    assert [c.response["error"] for c in fake_slack.calls_of("usergroups.users.list") if not c.ok] == [
        "no_such_subteam"]


async def test_the_assistant_status_is_used_in_assistant_threads(start_slack):
    slack = await start_slack(ScriptedModel([reply(answer="on it")]).planner())
    fake = slack.fake
    message = fake.user_message("D0ALICE001", ALICE, "hello")
    fake.assistant_threads.add(("D0ALICE001", message["ts"]))

    assert await slack.sender.event(event_callback(message)) == 200
    await slack.answer("D0ALICE001", message["ts"], "on it")
    await slack.adapter.settle()

    statuses = [c.args["status"] for c in fake.calls_of("assistant.threads.setStatus", ok_only=True)]
    assert statuses == ["is working on it…", ""]
    assert fake.calls_of("reactions.add") == []

    other = await slack.mention("hello")  # a channel thread: refused, so the 👀 reaction instead
    await slack.answer(CHANNEL, other["ts"], "on it")
    await slack.adapter.settle()
    assert fake.reactions_on(CHANNEL, other["ts"]) == ["white_check_mark"]
