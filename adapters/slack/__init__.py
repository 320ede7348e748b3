"""The Slack adapter: threads, Block Kit plan cards with Approve / Deny, files and voice clips.

One module per job: `app` (Bolt wiring, Socket Mode / HTTP serving, the adapter), `events`
(message events → `Inbound`, triggers, de-duplication key), `delivery` (hub events → thread
posts and card edits), `cards` (the plan card's Block Kit and Slack's limits), `mrkdwn` (text
format both ways), `files` (downloads for perception, uploads of long output), `people` (names
and user-group membership), `status` (the working indicator), `client` (the Web API client with
retries), `manifest` (the app manifest for `chatops slack-manifest`).
"""

from chatops.adapters.slack.app import SlackAdapter, SlackStartError

__all__ = ["SlackAdapter", "SlackStartError"]
