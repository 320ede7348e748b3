"""Slack's text format, both ways: the agent's Markdown out as mrkdwn, a user's mrkdwn in as plain text.

Out (`to_mrkdwn`): `**bold**` → `*bold*`, `*italic*` → `_italic_`, `~~gone~~` → `~gone~`,
`[text](url)` → `<url|text>` for http(s) and mailto targets only, headings → bold lines, `-`/`*`
bullets → `•`; code spans and fenced blocks are kept as they are (a fence's language tag is
dropped: Slack would print it). `&`, `<` and `>` are escaped everywhere, as Slack requires, except
in the links this module writes.

In (`to_plain`): what Slack puts in `event.text` back to what the person typed: `<url|label>` and
`<url>` → the url, `<#C1|general>` → `#general`, `<!here>` → `@here`, the bot's own mention
removed, other mentions as `@U…`, and `&lt;` `&gt;` `&amp;` unescaped.

`split_text` cuts a long text into pieces under a limit, at paragraph or line ends where it can,
closing and reopening a code fence it has to cut through.
"""

from __future__ import annotations

import re

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`[^`\n]+`)")
LINK = re.compile(r"!?\[([^\]\n]+)\]\((\S+?)\)")
SAFE_LINK_TARGET = re.compile(r"^(https?://|mailto:)[^\s<>|]+$")
BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")
STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.MULTILINE)
# placeholders that cannot occur in chat text, so later rules do not rewrite earlier output
_BOLD, _LINK_OPEN, _LINK_CLOSE, _PIPE = "\x01", "\x02", "\x03", "\x04"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """The agent's Markdown as Slack mrkdwn (see the module docstring for the rules)."""
    out: list[str] = []
    position = 0
    for match in FENCE.finditer(markdown):
        out.append(_prose(markdown[position:match.start()]))
        out.append("```\n" + escape(match.group(1)) + "```")
        position = match.end()
    out.append(_prose(markdown[position:]))
    return "".join(out)


def _prose(text: str) -> str:
    pieces = INLINE_CODE.split(text)
    return "".join(escape(piece) if index % 2 else _inline(piece) for index, piece in enumerate(pieces))


def _link(match: re.Match[str]) -> str:
    """Only web and mail links become Slack links: a target such as `!channel` or `@U…` would
    otherwise turn text from tool output or a file into an @channel ping or a mention."""
    label, target = match.group(1), match.group(2)
    if not SAFE_LINK_TARGET.match(target):
        return match.group(0)  # left as text (escaped below)
    return f"{_LINK_OPEN}{target}{_PIPE}{label.replace('|', '/')}{_LINK_CLOSE}"


def _inline(text: str) -> str:
    text = LINK.sub(_link, text)
    text = escape(text)
    text = HEADING.sub(lambda m: f"{_BOLD}{m.group(1)}{_BOLD}", text)
    text = BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    text = BOLD.sub(lambda m: f"{_BOLD}{m.group(2)}{_BOLD}", text)
    text = ITALIC_STAR.sub(lambda m: f"_{m.group(1)}_", text)
    text = STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    return (text.replace(_BOLD, "*").replace(_LINK_OPEN, "<").replace(_LINK_CLOSE, ">")
            .replace(_PIPE, "|"))


SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def to_plain(text: str, *, bot_user_id: str = "") -> str:
    """A message's `text` as the person typed it, without the bot's own mention."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "" if target[1:] == bot_user_id else f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            word = target[1:].split("^", 1)[0]
            return label or ("@" + word if word in ("here", "channel", "everyone") else word)
        return target.removeprefix("mailto:")

    plain = SLACK_LINK.sub(replace, text)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]{2,}", " ", plain).strip()


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a blank line, else a line end, else a space."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or max(window.rfind(" "), 0) or limit
        piece, rest = rest[:cut], rest[cut:].lstrip("\n")
        if piece.count("```") % 2:  # cut inside a code block: close it here, reopen it in the next piece
            if len(piece) + 4 > limit:
                piece, rest = piece[: limit - 4], piece[limit - 4 :] + rest
            piece += "\n```"
            rest = "```\n" + rest
        pieces.append(piece)
    if rest.strip():
        pieces.append(rest)
    return pieces


def truncate(text: str, limit: int, *, marker: str = "…") -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(marker))] + marker
