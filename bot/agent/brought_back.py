"""“Put svl-03 back in service”, “bring awa-01 back online”, “let amr-b1-042 get back to work”: an
order to bring something back to how it was asks for the change whose description says it does
that (“… and return it to service”, “new callers are queued for agents again”, “the zone goes back
to its weekly schedule”), whatever its verb (unstow, reopen, release, resume).

Why from the description's words: teams name the way back with their own verbs, and the words a
description uses to say “as before” (back, again, return, resume, restore) are plain English, not
any domain's. Only the first sentence counts: the way *out* often says how it will end (“the
rollout percentage is kept for when the rollout is resumed”), which is no way back.

“Back on main” where `main` is a value a change takes (a source to switch to) is that change
instead, and with no single way back whose values the request gives, nothing is chosen."""

from __future__ import annotations

import re

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import CLAUSE, STOPWORDS, stem, words_of
from chatops.bot.agent.moved_to import takes_from_the_request
from chatops.bot.agent.tool_words import own_name_words, says_whole_name
from chatops.bot.model import Risk

# "back in service", "back online", "back on", "back out at 50%", "back to work", "back to normal",
# "drop BF600B back down"
_BACK = re.compile(r"\bback\s+(?:in(?:to)?|on(?:line)?|online|out|down|"
                   r"to\s+(?:work|normal|service|business|the\s+[a-z]+|[a-z]{4,}))\b"
                   r"(?:\s+(?:the\s+|its\s+)?([a-z][\w.-]*))?"
                   # "TB.P4 is fixed, put it back": back where it was, the clause ending there
                   # "NG-Z07 can have its bells back", "give them their bells back"
                   r"|\b(?:put|bring|get|have|give)\s+(?:\S+\s+){1,3}?back(?:\s+up)?"
                   r"(?=\s*(?:$|[,.;!?]|\s(?:and|now|please|pls)\b))",
                   re.IGNORECASE)
# "put it back on", "get back to work": not "roll back", "scale back", "set it back to info" (a value)
# a way back refused or put off: "can't have its bells back", "not yet", "but not before six"
_PUT_OFF = re.compile(r"\bnot\s+(?:yet|before|until|till|now)\b|\b(?:can['’]?t|cannot|won['’]?t|don['’]?t|do\s+not|"
                      r"never)\s+(?:\w+\s+){0,2}?(?:have|give|put|bring|get)\b", re.IGNORECASE)
_NOT_RESTORING = frozenset({"roll", "scale", "set", "dial", "cut", "turn", "switch", "call", "write", "read"})
_AS_BEFORE = frozenset(stem(word) for word in ("back", "again", "return", "returns", "resume", "resumes",
                                               "restore", "restores", "reopen", "reopens"))


def brought_back(scored: list[Candidate], wording: str, text: str = "") -> set[str]:
    """The changes the request asks for by bringing something back: the one write whose values
    the request gives and whose description's first sentence says it puts things back as they
    were; or the write that takes the value named after "back on". `text` is the request as
    written, where `wording` has blanked its hosts and quotes (the same length)."""
    writes = [c for c in scored if c.spec.risk is not Risk.read and c.filled.args and not c.filled.missing]
    if _PUT_OFF.search(wording):
        return set()  # "T2 can't have its bells back", "give T2 its bells back, not yet"
    if _way_back(wording) is None:
        return _as_before_again(scored, writes, wording)
    # "put BF400A on high, the crew's waiting to go back in": the crew go back, not a fan
    match = next((match for match in _ways_back(wording) if _about_these(match, wording, writes, text)), None)
    if match is None:
        return set()
    named = (match.group(1) or "").lower()
    taking = [c for c in writes if named and takes_from_the_request(c, named)]
    if len(taking) == 1:
        return {taking[0].name}  # "put sport1.de.hd back on main": the change that takes `main`
    restoring = [c for c in writes if _says_as_before(c.spec.description)]
    return {restoring[0].name} if len(restoring) == 1 else set()


def way_back_from(ceased: list[Candidate], scored: list[Candidate]) -> str | None:
    """ "stop forcing 517B, rail temp's +6 now": the change whose activity is ceased is not asked;
    its way back is, when one write alone says it puts things back as they were and takes the same
    values of the request as the ceased one ("Put the heaters on one set of points back under
    automatic control")."""
    values = {(name, str(value)) for c in ceased for name, value in c.filled.args.items()}
    # the same thing, by a noun of both names (`force_points_heat`, `points_heat_auto`), never a danger
    # ("a factory reset puts every setting back as it was" is no way back from a boost)
    things = {stem(word) for c in ceased for word in own_name_words(c.spec)[1:]}
    restoring = [c for c in scored if c.spec.risk is Risk.write and c not in ceased and c.filled.args
                 and not c.filled.missing and _says_as_before(c.spec.description)
                 and {stem(word) for word in own_name_words(c.spec)} & things
                 and {(name, str(value)) for name, value in c.filled.args.items()} & values]
    return restoring[0].name if len(restoring) == 1 else None


def _as_before_again(scored: list[Candidate], writes: list[Candidate], wording: str) -> set[str]:
    """ "let TA.S1 take hall calls again": a state told with "again" and the words of the one way
    back whose description says it so ("it answers hall calls again"), when no change's own verb
    is asked ("restart nginx again" repeats the restart)."""
    if not (_AGAIN.search(wording) or _GOING_ON.search(wording)) or \
            any(c.action_hit for c in scored if c.spec.risk is not Risk.read):
        return set()
    said = {stem(word) for word in words_of(wording) if word not in STOPWORDS} - _AS_BEFORE
    # "again" with the way back's own words asks for it; going on ("carry on") only as leave given to
    # the thing itself ("BB04 can carry on"), not "the handlers can carry on, BB04 is still off"
    described = bool(_AGAIN.search(wording))
    restoring = [c for c in writes if _says_as_before(c.spec.description) and (_leave_given(c, wording) or (
        described and said & {stem(word) for word in words_of(_first_sentence(c.spec.description))
                               if word not in STOPWORDS}))]
    if len(restoring) != 1:
        return set()
    # "01L1's hydraulics are leaking again, take it off the run": another change whose whole name the
    # request says is what it asks; "again" there tells how the fault came
    if any(says_whole_name(c.spec, wording) for c in scored if c.spec.risk is not Risk.read and c is not restoring[0]):
        return set()
    return {restoring[0].name}


_AGAIN = re.compile(r"\bagain\b", re.IGNORECASE)
# going on with what was stopped is doing it again: "the main robot can carry on picking", "let the 400
# carry on" (plain English for continuing, not any domain's verb; "carry on with X" is too often the
# work on X: "carry on with the E4 inspection")
_GO_ON = r"(?:carry\s+on|go\s+on|keep\s+going|crack\s+on|continue|proceed)\b"
_GOING_ON = re.compile(rf"\b{_GO_ON}", re.IGNORECASE)
# "KB30117 can run again", "FZ-04's fine to use again": leave given now to the thing itself, which opens
# its clause; no "not" or "never" between (a refusal), no condition anywhere ("once QA signs, …"), and
# no question tag at the end ("… can be used again right")
_LEAVE = (r"(?:\s+(?:can|may)|(?:['’]s|\s+is|\s+are)\s+(?:free|allowed|ok|okay|good|fine|safe)\s+to)\s+"
          r"(?:(?!not\b|never\b)[a-z]+\s+){1,3}?again\b")
_CONDITION = re.compile(r"\b(?:if|once|when|whenever|unless|until|till|after|before|as\s+soon\s+as)\b", re.IGNORECASE)
_TAG = re.compile(r"\b(?:right|yeah|yes|correct|innit|ok)\W*$", re.IGNORECASE)


def _leave_given(candidate: Candidate, wording: str) -> bool:
    """Whether the request gives the thing a way back acts on leave again ("customer's signed off,
    KB30117 can run again"), whatever its verb: a restriction lifted."""
    if _CONDITION.search(wording) or _TAG.search(wording):
        return False
    for value in candidate.filled.args.values():
        if not isinstance(value, str) or not value:
            continue
        said = _said_as(value, candidate)
        opening = rf"(?:^|[,;:.!]\s*|\band\s+)(?:{said})"
        if re.search(rf"{opening}{_LEAVE}", wording, re.IGNORECASE):
            return True
        if _KEPT.search(wording):
            continue  # "E4 can carry on, no wait, leave it stopped", "keep E4 stopped and carry on"
        # going on, with nothing after but the clause's end or what it does ("can carry on picking"):
        # "carry on with E4's repair", "E4 can carry on being stopped" are no leave
        if re.search(rf"(?:{opening}\s+(?:can|may)|(?:^|[,;:.!]\s*|\band\s+)let\s+(?:{said}))\s+{_GO_ON}"
                     rf"(?:\s+(?!being\b)[a-z]+ing)?\s*(?:$|[,;.!]|\b(?:now|please|pls)\b)", wording, re.IGNORECASE):
            return True
    return False


# a state kept or an order taken back: "E4 stays stopped", "keep E4 stopped", "no wait, leave it"
_KEPT = re.compile(r"\b(?:stays?|remains?|keep|leave|no\s+wait|actually|hold\s+on|other|others|rest)\b",
                   re.IGNORECASE)


def _said_as(value: str, candidate: Candidate) -> str:
    """How the request may write a value: as itself ("screen 6" too), or as "the" and a few words
    ending in a noun of the tool's name when it names it another way ("the main robot" for
    `rowa_main`, with `resume_robot`); "the pharmacists can carry on" names no robot."""
    nouns = "|".join(re.escape(word) for word in own_name_words(candidate.spec)[1:] if len(word) >= 3)
    named_by_noun = rf"|the\s+(?:[\w-]+\s+){{0,2}}?(?:{nouns})s?" if nouns else ""
    return rf"{re.escape(value)}|[a-z]+\s+{re.escape(value)}{named_by_noun}"


_POINTING = frozenset({"it", "them", "that", "this", "those", "these", "everything", "all", "her", "him"})


def _about_these(match: re.Match[str], wording: str, writes: list[Candidate], text: str) -> bool:
    """Whether the clause that says "back" is about the thing a change would act on: it is the
    request's only clause, or it names a value one of the changes takes, or points at one ("put it
    back"). Another clause's "back" is its own subject's ("the crew's waiting to go back in")."""
    # a clause ends where its break starts and the next starts after the break's words, not after the
    # spaces that follow (a blanked host there is the next clause's)
    breaks = list(CLAUSE.finditer(wording))
    start = max([0, *(found.start() + len(found.group(0).rstrip()) for found in breaks
                      if found.end() <= match.start())])
    end = min([len(wording), *(found.start() for found in breaks if found.start() >= match.end())])
    if start == 0 and end == len(wording):
        return True
    if set(words_of(wording[start:end].lower())) & _POINTING:
        return True
    clause = (text if len(text) == len(wording) else wording)[start:end].lower()
    return any(str(value).lower() in clause for c in writes for value in c.filled.args.values()
               if not isinstance(value, bool))


def _ways_back(wording: str) -> list[re.Match[str]]:
    return [match for match in _BACK.finditer(wording)
            if not any(word in _NOT_RESTORING for word in words_of(wording[: match.start()])[-4:])]


def _way_back(wording: str) -> re.Match[str] | None:
    return next(iter(_ways_back(wording)), None)


# back to a place named with a determiner ("back on its old node", "back in the rack"), not to a
# state ("back into line", "back in service")
_BACK_TO_A_PLACE = re.compile(r"\bback\s+(?:on|onto|in|into|to)\s+(?:its|their|his|her|the)\b", re.IGNORECASE)


def not_the_way_back(candidate: Candidate, wording: str) -> bool:
    """Whether the request asks to bring something back to where it was and this change's
    description does not say it does: "put pay-8x2kq back on its old node" is no eviction,
    whatever values it takes."""
    return candidate.spec.risk is not Risk.read and _way_back(wording) is not None and \
        _BACK_TO_A_PLACE.search(wording) is not None and not _says_as_before(candidate.spec.description)


def _first_sentence(description: str) -> str:
    return re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0]


def _says_as_before(description: str) -> bool:
    # "… it runs at full speed until put back": how the way out ends is no way back
    # (and "…, then stops and returns to standby after the given minutes" is how a test run ends)
    said = re.split(r"\b(?:until|then)\b", _first_sentence(description), maxsplit=1, flags=re.IGNORECASE)[0]
    return bool({stem(word) for word in words_of(said)} & _AS_BEFORE)
