"""Files both ways: attachments of a message event in (for perception), long output out.

In: each entry of an event's `files` (completed with `files.info` where Slack sent only a stub)
becomes an `Attachment` with Slack's `mimetype` and its `url_private_download`.
`SlackFiles.fetch` downloads one with the bot token as bearer, streaming and stopping as soon as
it passes the size cap. The token is sent only to Slack's own hosts (and to the host of
`api_base_url`, where tests run a fake), never to a URL that merely appears in an event. Slack
answers a download without a valid token (or without `files:read`) with its HTML login page and
status 200: that is reported as an error, not fed to perception as "the file".

Out: `upload_text` uses the external upload flow (`files.getUploadURLExternal`, a POST of the bytes
to the URL it returns, `files.completeUploadExternal` into the thread) through slack_sdk's
`files_upload_v2`, which makes exactly those three calls; `files.upload` is retired.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from chatops.adapters.slack.client import error_of
from chatops.bot.model import Attachment
from chatops.bot.perception.media import human_size, read_capped
from chatops.bot.perception.types import PerceptionError
from chatops.bot.text import safe_file_name

log = logging.getLogger("chatops.slack.files")
CHUNK = 64 * 1024
SLACK_FILE_HOSTS = ("slack.com", "slack-edge.com", "slack-files.com")


async def complete_files(client: AsyncWebClient, event: dict[str, Any]) -> dict[str, Any]:
    """The event with every `files[]` entry complete: Slack sends some as a stub marked
    `"file_access": "check_file_info"` (e.g. in shared channels) that only `files.info` fills in.
    A stub that cannot be completed is dropped, with a log line."""
    files = event.get("files") or []
    if not any(item.get("file_access") == "check_file_info" for item in files):
        return event
    completed = []
    for item in files:
        if item.get("file_access") != "check_file_info":
            completed.append(item)
            continue
        try:
            response = await client.files_info(file=item["id"])
            completed.append(response["file"])
        except Exception as exc:
            log.warning("files.info %s failed: %s", item.get("id"), error_of(exc))
    return {**event, "files": completed}


def attachments_of(event: dict[str, Any]) -> list[Attachment]:
    """The downloadable files of a message event (deleted or hidden files have no URL: skipped)."""
    found = []
    for item in event.get("files") or ():
        url = item.get("url_private_download") or item.get("url_private")
        if not url or item.get("mode") in ("tombstone", "hidden_by_limit"):
            continue
        name = str(item.get("name") or item.get("title") or item.get("id", "file"))
        found.append(Attachment(name=safe_file_name(name) or "file",
                                mime_type=item.get("mimetype") or "application/octet-stream",
                                size=item.get("size"), url=url))
    return found


class SlackFiles:
    def __init__(self, token: str, api_base_url: str) -> None:
        self._token = token
        api = urlsplit(api_base_url)
        self._api_origin = (api.scheme, (api.hostname or "").lower(), api.port)
        self._session: aiohttp.ClientSession | None = None

    def trusted(self, url: str) -> bool:
        """Only Slack's file hosts over https (or exactly the configured API origin, such as a
        local fake) ever receive the bot token."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host and (parts.scheme, host, parts.port) == self._api_origin:
            return True
        return parts.scheme == "https" and any(host == suffix or host.endswith("." + suffix)
                                               for suffix in SLACK_FILE_HOSTS)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, attachment: Attachment, max_bytes: int) -> bytes:
        url = attachment.url or ""
        if not self.trusted(url):
            raise PerceptionError("could not be fetched (not a Slack file URL)")
        if attachment.size is not None and attachment.size > max_bytes:
            raise PerceptionError(f"is larger than the {human_size(max_bytes)} limit")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300, sock_read=60))
        headers = {"Authorization": f"Bearer {self._token}"}
        async with self._session.get(url, headers=headers) as response:
            if response.status != 200:
                raise PerceptionError(f"could not be downloaded from Slack (HTTP {response.status})")
            if response.content_type == "text/html":
                raise PerceptionError("could not be downloaded: Slack answered with its login page "
                                      "(does the app have the files:read scope?)")
            if response.content_length is not None and response.content_length > max_bytes:
                raise PerceptionError(f"is larger than the {human_size(max_bytes)} limit")
            return await read_capped(response.content.iter_chunked(CHUNK), max_bytes)


async def upload_text(client: AsyncWebClient, *, channel: str, thread_ts: str, filename: str, content: str,
                      comment: str = "") -> str | None:
    """Upload `content` as a text file into the thread; returns the file id."""
    response = await client.files_upload_v2(channel=channel, thread_ts=thread_ts, filename=filename,
                                            title=filename, content=content.encode("utf-8"),
                                            initial_comment=comment or None)
    file = response.get("file") or {}
    return file.get("id")
