"""`chatops run` with Discord configured: the real command in a subprocess, connected to the fake
Discord, answers a mention with a plan card, and runs the step when someone with the role
approves it. Stopped with Ctrl-C (SIGINT) like an operator would."""

from __future__ import annotations

import asyncio
import os
import signal
import textwrap

from tests.conftest import CHATOPS, REPO, marker_runbook
from tests.discord.conftest import ALICE, BOB, MENTION, buttons, cards_in, eventually, said
from tests.fakes.discord_gateway import GUILD_ID, ONCALL_ROLE, TOKEN


async def test_chatops_run_serves_discord(tmp_path, fake_discord):
    marker = tmp_path / "restarted"
    (tmp_path / "config.toml").write_text(textwrap.dedent(f"""
        [storage]
        path = "{tmp_path / 'chatops.db'}"
        [llm]
        model = "test"
        [http]
        enabled = false
        [discord]
        guilds = ["{GUILD_ID}"]
        api_base_url = "{fake_discord.api_base_url}"
        gateway_url = "{fake_discord.gateway_url}"
        [roles.oncall]
        discord = ["role:{ONCALL_ROLE}"]
    """) + marker_runbook(marker))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    environment.update(CHATOPS_DISCORD_TOKEN=TOKEN, PYTHONPATH=str(REPO))
    process = await asyncio.create_subprocess_exec(str(CHATOPS), "run", cwd=tmp_path, env=environment,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        assert line.decode().startswith("chatops discord: logged in as chatops"), line

        request = await fake_discord.say(ALICE, f"{MENTION} !restart_service unit=web")
        card = (await eventually(lambda: cards_in(fake_discord, request["id"]), timeout=60))[0]
        assert not marker.exists()
        await fake_discord.click(card["id"], buttons(card)["Approve"], BOB)

        await eventually(said(fake_discord, request["id"], "Done:"), timeout=60)  # the summary answer
        assert marker.read_text() == "web"
        assert buttons(fake_discord.messages[card["id"]]) == {}
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), timeout=60)
        stderr = (await process.stderr.read()).decode()
    assert code == 0, stderr
