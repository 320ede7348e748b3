"""The next steps an answer offers, read back from its text as one-click follow-ups.

An answer that concludes ends with "Next:" and, for each check a tool can do, its words and the
`!tool arg=value` line that plans it (`bot.agent.answers.next_steps` writes them from the
diagnosis knowledge base). Every surface turns those lines into buttons; a click posts the line
in the same thread as the clicker's own message, so it is planned, gated by the policy and
approved like anything typed: a click never runs a change by itself, and a surface lets only
someone who may post in the thread click. Read from the text (not kept beside it) so an answer
stored before a restart, or shown again from the thread's history, offers the same buttons.
"""

from __future__ import annotations

import re
from collections.abc import Container

from chatops.bot.model import FollowUp

MAX_FOLLOW_UPS = 3
LABEL_CHARS = 75
NEXT_PART = re.compile(r"(?:^|\n\n)Next:[ \n]")
OFFER = re.compile(r"(?P<label>[^`\n]*?):\s*`(?P<request>![A-Za-z0-9_][A-Za-z0-9_.-]*(?:\s[^`\n]*)?)`")


def follow_ups(text: str, tools: Container[str] | None = None) -> list[FollowUp]:
    """The answer's next steps that can run: each `!tool …` of its "Next:" part whose tool is
    in `tools` (None: any), with the words before it as the button's label."""
    found = list(NEXT_PART.finditer(text or ""))
    if not found:
        return []
    offers: list[FollowUp] = []
    for match in OFFER.finditer(text[found[-1].end():]):
        request = match["request"].strip()
        tool = request[1:].split(None, 1)[0]
        if tools is not None and tool not in tools:
            continue
        label = match["label"].strip().lstrip("•").strip() or request
        if len(label) > LABEL_CHARS:
            label = label[:LABEL_CHARS - 1].rstrip() + "…"
        if len(request) <= 2000 and all(offer.request != request for offer in offers):
            offers.append(FollowUp(label=label, request=request))
    return offers[:MAX_FOLLOW_UPS]
