"""The commented `config.toml` that `chatops init` writes, so a new user's first file already
explains itself and every runbook in it only pretends (nothing on the machine changes until
someone edits an `argv`).

The text is built from a few chosen surfaces and the login name; it is checked by the same
`check-config` as any other file (tests/test_init.py), so a starter that no longer loads fails a
test rather than a first run.
"""

from __future__ import annotations

from dataclasses import dataclass

SURFACES = ("web", "terminal", "slack", "discord")
DEFAULT_SURFACES = frozenset({"web", "terminal"})
DEFAULT_LISTEN = "127.0.0.1:8765"


@dataclass(frozen=True)
class Choices:
    """What `chatops init` asked (or took as defaults with `--yes`)."""

    surfaces: frozenset[str] = DEFAULT_SURFACES
    listen: str = DEFAULT_LISTEN
    login: str = "operator"  # who may approve at the terminal (the [roles.oncall] console entry)


HEADER = """\
# chatops configuration, written by `chatops init`. Every key not written here keeps its default;
# the full list, with comments, is config.example.toml and docs/configuration.md.
# Check this file:   chatops check-config
# Start the bot:     chatops run    (web chat and API{web_note})
# Terminal chat:     chatops chat
# Secrets never go in this file: they come from the environment (CHATOPS_SLACK_BOT_TOKEN, ...).

[storage]
path = "data/chatops.db"          # one SQLite file; its folder also keeps attachments. For several
                                  # replicas: url = "postgresql://…" or CHATOPS_STORAGE_URL (docs/deploy.md)

[llm]
model = "local"                   # the embedded planner; "openai:gpt-4o-mini" or "anthropic:…" with
                                  # CHATOPS_LLM_API_KEY, or "openai:<name>" plus base_url for Ollama/vLLM
"""

WEB = """
[http]                            # the web chat and the HTTP API (/api/v1, /healthz)
enabled = true
listen = "{listen}"         # `chatops run --listen HOST:PORT` or CHATOPS_HTTP_LISTEN override it.
                                  # Without [http] tokens it must stay on loopback: whoever reaches it
                                  # acts as the operator. Tokens: CHATOPS_HTTP_TOKEN_<USER>=<secret>
"""

NO_WEB = """
[http]
enabled = false                   # no web chat or HTTP API (turn on for /healthz and the browser chat)
"""

SLACK = """
[slack]                           # set-up walkthrough: docs/slack.md; the app manifest: chatops slack-manifest
mode = "socket"                   # "socket" (no public URL needed) or "http" (Events API on [slack] listen)
# Tokens from the environment: CHATOPS_SLACK_BOT_TOKEN (xoxb-…), CHATOPS_SLACK_APP_TOKEN (xapp-…, socket mode),
# CHATOPS_SLACK_SIGNING_SECRET (http mode). Slack starts once they are set.
"""

DISCORD = """
[discord]                         # set-up walkthrough: docs/discord.md; invite URL: chatops discord-invite
dms = true                        # answer direct messages
# Token from the environment: CHATOPS_DISCORD_TOKEN. Discord starts once it is set.
"""

ROLES = """
# Who may approve. With no [roles] at all, the person at the terminal may approve everything and
# nobody on a chat platform may approve anything; the token-less web chat on loopback is always the
# local operator. Add your people here: Slack user ids ("U…"), Discord ids ("role:<id>" for a role),
# HTTP token names.
[roles.oncall]
console = ["{login}"]{extra_members}

[policy]
approve_write = ["oncall"]        # roles whose members may approve a step that changes something
approve_danger = ["oncall"]       # ... a dangerous step (never the requester alone)
allow_self_approval = false       # true: a single operator may approve their own dangerous steps
"""

RUNBOOKS = """
# Starter runbooks. Each [[runbooks]] entry becomes a tool the bot can plan with, no Python needed.
# The argv runs directly (never through a shell); "{{name}}" is filled with a parameter checked
# against [runbooks.params.<name>]. These only pretend or read: restart_service prints what it would
# do. Replace its argv with the real command (for example ["systemctl", "restart", "{{unit}}"]) when
# you are ready; being risk = "write", it still waits for an approval.

[[runbooks]]
name = "restart_service"
description = "Restart a service (starter: pretends, changes nothing)"
argv = ["echo", "would restart {{unit}} (a starter runbook: edit its argv in config.toml to really do it)"]
risk = "write"                    # asks for an approval before it runs
timeout = 30
keywords = ["restart", "service", "unit", "bounce"]
examples = ["restart nginx", "bounce the worker service"]

[runbooks.params.unit]
type = "string"
pattern = "^[a-z0-9@._-]+$"
max_length = 64
description = "The service (systemd unit) to restart, e.g. nginx or worker@2"

[[runbooks]]
name = "disk_usage"
description = "Show disk usage of the filesystem holding a path (df -h; reads only)"
argv = ["df", "-h", "{{path}}"]
risk = "read"                     # runs without asking
timeout = 15
keywords = ["disk", "space", "df", "full", "usage"]
examples = ["how full is the disk?"]

[runbooks.params.path]
type = "string"
pattern = "^/[A-Za-z0-9._/-]*$"
default = "/"
description = "An absolute path on the filesystem to check"

[[runbooks]]
name = "deploy_version"
description = "Deploy a version of an app (starter: pretends, changes nothing)"
argv = ["echo", "would deploy {{app}} {{version}} (a starter runbook: edit its argv in config.toml)"]
risk = "danger"                   # needs an approver other than the requester
timeout = 60
keywords = ["deploy", "release", "roll", "version"]
examples = ["deploy payments v1.4.2"]

[runbooks.params.app]
type = "string"
pattern = "^[a-z0-9-]+$"
max_length = 64
description = "The application to deploy"

[runbooks.params.version]
type = "string"
pattern = "^v?[0-9]+(\\\\.[0-9]+){{0,3}}$"
max_length = 32
description = "The version to deploy, like v1.4.2"
"""


def render(choices: Choices) -> str:
    """The whole file for these choices."""
    web = "web" in choices.surfaces
    web_note = f" at http://{choices.listen}/" if web else ""
    parts = [HEADER.format(web_note=web_note if web else ": off in this file")]
    parts.append(WEB.format(listen=choices.listen) if web else NO_WEB)
    if "slack" in choices.surfaces:
        parts.append(SLACK)
    if "discord" in choices.surfaces:
        parts.append(DISCORD)
    extra = []
    if "slack" in choices.surfaces:
        extra.append('slack = []                        # e.g. ["U012AB3CD"]')
    if "discord" in choices.surfaces:
        extra.append('discord = []                      # e.g. ["80351110224678912", "role:41771983423143936"]')
    if web:
        extra.append('http = []                         # token names, when [http] tokens are set')
    login = choices.login.replace("\\", "\\\\").replace('"', '\\"')
    parts.append(ROLES.format(login=login, extra_members="".join(f"\n{line}" for line in extra)))
    parts.append(RUNBOOKS.format())
    return "".join(parts)


def next_command(choices: Choices, path_shown: str) -> str:
    """What to type next, printed after the file is written."""
    config = "" if path_shown == "config.toml" else f" --config {path_shown}"
    lines = [f"Wrote {path_shown}. Next:"]
    if "web" in choices.surfaces or "slack" in choices.surfaces or "discord" in choices.surfaces:
        where = f" and open http://{choices.listen}/" if "web" in choices.surfaces else ""
        lines.append(f"  chatops run{config}{where}")
    if "terminal" in choices.surfaces:
        lines.append(f"  chatops chat{config}      (talk to it in this terminal)")
    if "slack" in choices.surfaces:
        lines.append("  (Slack: export CHATOPS_SLACK_BOT_TOKEN and CHATOPS_SLACK_APP_TOKEN first; docs/slack.md)")
    if "discord" in choices.surfaces:
        lines.append("  (Discord: export CHATOPS_DISCORD_TOKEN first; docs/discord.md)")
    return "\n".join(lines)
