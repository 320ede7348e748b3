"""The OAuth2 URL that adds the bot to a server, with the permissions the adapter uses.

`chatops discord-invite` prints it. The application (client) id is the `--client-id` option, or is
read from the bot token: a Discord bot token's first segment is the bot user's id in base64, and
a bot's user id is its application's id.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from chatops.bot.config import Config

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")

# Permission bits (https://discord.com/developers/docs/topics/permissions), each one used:
PERMISSIONS = {
    "VIEW_CHANNEL": 1 << 10,  # see the channels it is asked in
    "SEND_MESSAGES": 1 << 11,  # DMs and the first reply
    "EMBED_LINKS": 1 << 14,  # plan cards are embeds
    "ATTACH_FILES": 1 << 15,  # long results as .txt files
    "READ_MESSAGE_HISTORY": 1 << 16,  # edit its plan cards, start threads from messages
    "CREATE_PUBLIC_THREADS": 1 << 35,  # a mention starts a thread
    "SEND_MESSAGES_IN_THREADS": 1 << 38,  # every reply goes into the thread
}
PERMISSION_BITS = sum(PERMISSIONS.values())


def application_id_from_token(token: str) -> str:
    """The id encoded in a bot token's first segment; ValueError when it is not a bot token."""
    head = token.strip().removeprefix("Bot ").split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not decoded.isdigit():
        raise ValueError("the Discord token does not look like a bot token (its first part is not a base64 "
                         "application id): pass --client-id (the Application ID from the developer portal)")
    return decoded


def invite_url(config: Config, client_id: str | None = None) -> str:
    """The invite URL; `client_id` wins over the id read from `discord.token`."""
    if client_id is None:
        token = config.discord.token
        if token is None:
            raise ValueError("no Discord application id: pass --client-id (the Application ID from the developer "
                             "portal) or set CHATOPS_DISCORD_TOKEN / [discord] token")
        client_id = application_id_from_token(token.get_secret_value())
    client_id = client_id.strip()
    if not client_id.isdigit():
        raise ValueError(f"--client-id must be the numeric Application ID, not {client_id!r}")
    query = {"client_id": client_id, "permissions": str(PERMISSION_BITS), "scope": " ".join(SCOPES),
             "integration_type": "0"}
    return f"{AUTHORIZE_URL}?{urlencode(query)}"
