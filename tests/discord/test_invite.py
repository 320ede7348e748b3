"""`chatops discord-invite`: the invite URL with the permissions the adapter uses."""

from __future__ import annotations

import os
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from chatops.adapters.discord.invite import PERMISSIONS, application_id_from_token, invite_url
from tests.conftest import CHATOPS, REPO, make_config
from tests.fakes.discord_gateway import BOT_ID, TOKEN


def test_the_application_id_is_read_from_the_token(tmp_path):
    assert application_id_from_token(TOKEN) == BOT_ID
    url = invite_url(make_config(tmp_path, discord={"token": TOKEN}))
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://discord.com/oauth2/authorize"
    assert query["client_id"] == [BOT_ID]
    assert query["scope"] == ["bot applications.commands"]
    permissions = int(query["permissions"][0])
    for bit in ("VIEW_CHANNEL", "SEND_MESSAGES", "SEND_MESSAGES_IN_THREADS", "CREATE_PUBLIC_THREADS", "EMBED_LINKS",
                "ATTACH_FILES", "READ_MESSAGE_HISTORY"):
        assert permissions & PERMISSIONS[bit], bit
    assert permissions & (1 << 3) == 0  # never administrator


def test_an_explicit_client_id_wins_and_bad_input_is_explained(tmp_path):
    config = make_config(tmp_path)
    assert parse_qs(urlsplit(invite_url(config, client_id="42")).query)["client_id"] == ["42"]
    with pytest.raises(ValueError, match="--client-id"):
        invite_url(config)  # no token, no id
    with pytest.raises(ValueError, match="does not look like a bot token"):
        invite_url(make_config(tmp_path, discord={"token": "not-a-token"}))
    with pytest.raises(ValueError, match="numeric Application ID"):
        invite_url(config, client_id="abc")


def test_the_cli_prints_the_invite_url(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHATOPS_")}
    environment.update(CHATOPS_DISCORD_TOKEN=TOKEN, PYTHONPATH=str(REPO))
    done = subprocess.run([str(CHATOPS), "discord-invite"], capture_output=True, text=True, cwd=tmp_path,
                          env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == invite_url(make_config(tmp_path, discord={"token": TOKEN}))

    environment.pop("CHATOPS_DISCORD_TOKEN")
    refused = subprocess.run([str(CHATOPS), "discord-invite"], capture_output=True, text=True, cwd=tmp_path,
                             env=environment, timeout=60)
    assert refused.returncode == 2 and "--client-id" in refused.stderr
