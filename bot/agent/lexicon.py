"""The guided planner's vocabulary, in one place: word lists, synonyms of ops actions, value
aliases, and the phrases that mark follow-ups, acknowledgements, questions about an attachment
and conditions.

Rules elsewhere (`entities`, `ranking`, `followups`, `guided`) read these tables and hold no word
lists of their own, in the manner of adapt's registered vocabulary: a new synonym or phrase is one
entry here, not a code change. Everything is lower case.
"""

from __future__ import annotations

import functools
import re


def wordset(text: str) -> frozenset[str]:
    """The words of a space-separated list, as a set (the lexicon's lists and other modules' own)."""
    return frozenset(text.split())


STOPWORDS = wordset(
    """a an the and or but if then than to of in on at for from by with about as into onto is are was were be
    been being am do does did doing have has had i me my we our us you your u it its it's this that these those
    there here what what's whats which who whom whose when where why how can could would should will shall may
    might must pls plz please just now right some any all every no not yes ok okay hi hey hello thanks thank
    up out over again also very really still too so get got give show tell see let lets let's need want know
    something anything thing things one ones his her their them they he she him im i'm we're you're today
    last previous yesterday yesterday's latest current many much more less few lot lots after before since until
    during while instead actually rather whatever whichever whoever wherever whenever both either neither
    already yet even ever almost maybe perhaps soon against versus vs via well"""
)

# A word the request uses where an order would put its verb: at the start of a clause, or
# after a politeness or modal word ("please restart", "can you bounce").
VERB_LEADS = wordset(
    "please pls plz can could would will you u to and then lets let's just now quickly go must should need "
    "want ok okay alright actually also so hey yeah yes"
)

# File name endings that look like top-level domains in "error.log" or "nginx.conf".
FILE_SUFFIXES = wordset(
    "log conf cfg ini txt json yaml yml toml py sh md csv gz tgz tar zip xml html js ts pid sock service timer "
    "socket lock bak tmp rb go rs java db sql pem crt key"
)

# Verbs that say little alone ("make X a large", "turn off public access", "take X out"): a tool
# whose action is one of these is not asked for by that word alone.
# Orders that ask to be shown something, not to change it ("show me HD-4411", "tell me if ...").
LOOK_VERBS = wordset("show list get tell display fetch find look see describe print view check inspect search grep "
                      "read")
LIGHT_VERBS = wordset("make do get take put give set go have let turn keep bring run")

# Everyday English verbs that change something (grammar, not any tool's words). An order that opens
# with one asks for that change: a read that only shares its subject is not what it asks ("upload a
# new k6 script" is no listing of k6 runs; "can you drain node-7?" no status of node-7).
MUTATING_VERBS = wordset(
    "upload install uninstall upgrade update change modify edit rename move migrate rotate reset replace resize "
    "create delete remove drain evacuate cordon uncordon patch configure reconfigure rebuild redeploy deploy "
    "restart reboot kill stop shut enable disable unset assign unassign grant revoke ban block unblock approve "
    "reject merge close reopen cancel abort retry rerun reschedule trigger provision deprovision attach detach "
    "mount unmount promote demote pin unpin lock unlock expire extend renew publish transfer import apply "
    "purge flush wipe erase archive unarchive restore snapshot untag bump raise lower increase decrease "
    "shrink grow expand add delete destroy terminate suspend resume pause unpause freeze unfreeze escalate wake "
    "notify order buy purchase evict replay redeliver resend reissue regenerate requeue refund void quarantine "
    "isolate fence taint throttle yank mute unmute silence snooze ack acknowledge mark annotate hold release "
    "recycle zap revoke blank bounce kick")

# Verbs that set a state by the word after them ("switch it off", "flip on the flag").
SWITCH_VERBS = wordset("switch flip toggle")

DETERMINERS = frozenset({"the", "a", "an", "our", "my", "your", "this", "that"})
# verbs that begin something a noun names: `start_defrost`, `trigger_failover`, `run_backup`
BEGINNING_VERBS = frozenset({"start", "begin", "trigger", "launch", "initiate", "run", "kick"})
PARTICLES = frozenset({"up", "down", "out", "back", "over", "off"})  # "scale down X", "spin up X"
HTTP_VERBS = frozenset({"get", "head", "post", "put"})  # enum values that are also common words

# Clauses: sentence ends, commas and colons, and the joining words.
# "3.2.0" is one word; a word set off by markup ("*URGENT* halt v5.14.2", "[prod] restart api") is a
# clause of its own, so the order's verb still opens the next one
CLAUSE = re.compile(r"\.+(?=\s|$)|[;!?\n]+|[,:]\s+|\s+(?:and|then|also)\s+|(?<=[A-Za-z0-9!][*\]])\s+", re.IGNORECASE)
# Requests: "is X up and what does Y resolve to?" (several steps, one per clause).
REQUEST_SPLIT = re.compile(r"\s+(?:and\s+then|and|then|also)\s+|;|\?\s+", re.IGNORECASE)

THANKS = re.compile(r"^\W*(?:thanks?|thank\s+you|thx|ty|cheers|great|perfect|awesome|nice)\b", re.IGNORECASE)
GREETING = re.compile(r"^\W*(?:hi|hello|hey|yo|good\s+(?:morning|afternoon|evening))\b", re.IGNORECASE)
# "ok cool", "got it", "👍": after a plan these acknowledge it; they ask for nothing.
ACKNOWLEDGEMENT = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|k|cool|great|nice|perfect|awesome|sweet|good|got\s+it|understood|noted|roger|"
    r"sounds\s+good|makes\s+sense|all\s+good|lgtm|thanks?|thank\s+you|thx|ty|cheers|will\s+do)[\s,.!]*)+"
    r"(?:\W*$|\s*[👍🙏✅]+\W*$)|^\W*[👍🙏✅]+\W*$",
    re.IGNORECASE,
)

# --- synonyms of ops actions -------------------------------------------------------------------
# Each canonical word with the words and phrases ops people use for it. A request's words and a
# tool's own words (name, keywords) are both read through this table, so "give it a kick" reaches
# a tool called `restart_service` and also one whose keywords say "bounce".

# A `*` stands for one to three words ("put * live": "put checkout 3.2.0 live").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "restart": ("restart", "bounce", "kick", "give it a kick", "give * a kick", "kick it", "cycle", "recycle",
                "respawn", "reload", "relaunch", "power cycle", "power-cycle"),
    "deploy": ("deploy", "ship", "release", "put live", "put * live", "go live", "take * live", "roll out",
               "roll * out", "rollout", "push to prod", "push * to prod", "push * to production", "push * live",
               "promote", "launch"),
    "rollback": ("rollback", "roll back", "roll * back", "revert", "undo", "go back", "take back", "take * back",
                 "bring * back", "downgrade", "back out", "previous release"),
    "purge": ("purge", "clear", "flush", "invalidate", "bust", "wipe", "erase", "empty"),
    "scale": ("scale", "replica", "replicas", "instance", "instances", "pod", "pods", "copies", "shrink",
              "bump", "count"),
    "time": ("time", "clock", "hour", "o'clock", "date"),
    "log": ("log", "logs", "journal", "journalctl", "printing", "printed", "wrote", "output", "tail", "history"),
    "disk": ("disk", "space", "room", "full", "storage", "filesystem", "df"),
    "resolve": ("resolve", "dns", "point at", "points at", "point to", "points to", "dig", "nslookup",
                "nxdomain"),
    "up": ("up", "reachable", "answering", "responding", "alive", "healthy", "health", "down"),
    "queue": ("queue", "queues", "backlog", "backed up", "waiting"),
    "connect": ("connect", "connection", "accepts connections", "listening", "open", "refused"),
    # everyday English for the common actions a tool's name may not use
    "delete": ("delete", "remove", "drop", "get rid of", "throw away", "throw * away", "nuke", "zap", "erase",
               "destroy", "trash", "rm", "kick out", "kick * out", "kick * off", "take out", "take * out",
               "pull * out", "offboard"),
    # sending traffic another way ("move +49 outbound to bt", "fail over +33 to twilio-iad")
    "reroute": ("reroute", "re-route", "divert", "fail over", "failover", "move * to", "move * over to"),
    # doing again what ran once ("retry web-frontend", "rerun the one that got OOM killed")
    "rerun": ("rerun", "re-run", "retry", "run * again", "try * again", "redo"),
    # ending someone's sessions ("log m.santos out everywhere"); not "sign off", which approves
    "signout": ("sign out", "sign * out", "log out", "log * out", "logout", "log off", "log * off"),
    # putting someone or something into a set: a group, a list, a pool ("put m.rossi in db-admins")
    "add": ("add", "insert", "put * in", "put * into", "put * on", "stick * on", "stick * in", "include",
            "enrol", "enroll", "onboard"),
    # stopping something for a while, and the way back ("hold consumption", "thaw the freeze")
    "suspend": ("suspend", "pause", "freeze", "halt", "hold", "put * on hold", "shut * off", "lock",
                "stop * from"),  # "stop report-mailer from firing": no more runs, not a shutdown
    "resume": ("resume", "unpause", "unfreeze", "thaw", "unlock", "lift", "un-pause", "un-freeze", "reopen",
               "open * back up", "open back up", "open * up again"),
    "silence": ("silence", "mute", "ignore", "snooze", "shush", "shh", "shut up", "shut * up", "hush", "suppress"),
    "protect": ("protect", "pin", "retain", "preserve", "exempt", "hold on to", "hang on to", "keep * around",
                "keep * forever"),
    "shutdown": ("shutdown", "shut down", "shut * down", "take down", "take * down", "power off", "power down", "stop"),
    # making a new record: an incident, a ticket, a silence ("open a ticket", "raise an incident")
    # switching something off or on for good, not a state flag ("turn off codesign-ev-2025")
    "disable": ("disable", "deactivate", "turn off", "turn * off", "switch off", "switch * off", "take * offline"),
    "enable": ("enable", "activate", "reactivate", "re-enable", "turn on", "turn * on", "turn * back on", "switch on",
               "switch * on", "bring * back online", "bring * online", "put * back online"),
    # taking back what was given: an access, a lease, an acceptance ("withdraw the risk acceptance"); and
    # calling off what runs ("kill backfill bf-20944", "abort mig-0042")
    "revoke": ("revoke", "withdraw", "rescind", "retract", "cancel", "scrap", "call off", "call * off",
               "kill", "abort", "cut off", "cut * off"),
    # giving something a new value ("set max_retries to 5", "write the key", "bump it to 2500")
    "set": ("set", "write", "update", "assign", "overwrite", "change * to", "bump * to", "flip * to",
            "switch * to", "put * to"),
    "create": ("create", "open a", "open an", "open a new", "raise a", "raise an", "file a", "file an", "post",
               "publish", "start a", "start an", "log a", "log an", "declare a", "declare an",
               # getting a machine going is starting it ("get 12c spinning", "fire up DG-C2")
               "get * going", "get * running", "get * spinning", "get * moving", "get * started", "set * going",
               "fire up", "fire * up", "spin up", "spin * up", "crank up", "crank * up"),
}

# Classes that name an action: a tool gets credit for them only through its verb (the first word of
# its name) or its keywords, so `revert_release` is not offered for "ship it" through "release".
ACTION_CLASSES = frozenset({"restart", "deploy", "rollback", "purge", "create", "delete", "silence", "protect",
                            "shutdown", "add", "suspend", "resume", "set", "revoke", "disable", "enable",
                            "signout", "rerun", "reroute"})
# Actions that undo each other. A tool whose action is the opposite of the one the request asks for
# is never its answer by meaning or by values: sentence encoders put "resume ETL_WH" next to
# "Suspend a warehouse" and "keep snap-0042 around" next to "Delete a snapshot".
_TAKING_AWAY = frozenset({"delete", "suspend", "disable", "shutdown", "revoke", "purge"})
OPPOSITE_CLASSES: dict[str, frozenset[str]] = {
    # adding to a set or making a record never stops, takes away or empties ("add X to the group")
    "add": _TAKING_AWAY, "create": _TAKING_AWAY, "protect": frozenset({"delete", "purge"}),
    "delete": frozenset({"add", "create", "protect"}), "purge": frozenset({"protect"}),
    "suspend": frozenset({"resume"}), "resume": frozenset({"suspend", "shutdown"}),
    # stopping something never starts it again ("stop taking new calls on sales" is no reopen)
    "shutdown": frozenset({"resume", "enable"}),
    "deploy": frozenset({"rollback"}), "rollback": frozenset({"deploy"}),
    "disable": frozenset({"enable"}), "enable": frozenset({"disable", "shutdown"}),
}
# Actions near enough that one's words ask for the other when a tool has only that one: "suspend
# the key" for a tool that disables keys, "thaw it" for one that enables. Half the evidence of the
# tool's own class; never between opposites.
RELATED_CLASSES: dict[str, frozenset[str]] = {
    "suspend": frozenset({"disable"}), "disable": frozenset({"suspend"}),
    "enable": frozenset({"resume"}), "resume": frozenset({"enable"}),
}
# Classes whose words in the verb's place ask for a change ("scale checkout to 8", "bounce it"),
# unlike subject classes ("the queue is backed up", "the disk is full").
CHANGE_CLASSES = ACTION_CLASSES | {"scale"}


@functools.lru_cache(maxsize=1024)
def synonym_class(word: str) -> str | None:
    """The canonical action or subject a word or phrase belongs to, if any."""
    lowered = word.lower()
    for canonical, phrases in SYNONYMS.items():
        if lowered == canonical or lowered in phrases:
            return canonical
    return None


# --- value aliases ------------------------------------------------------------------------------
# What people say for a value a tool lists ("postgres" for the enum value "postgresql"). Runbooks
# can add their own next to the values: `aliases = {pg = "postgresql"}` on an enum parameter.
VALUE_ALIASES: dict[str, str] = {
    "postgres": "postgresql", "pg": "postgresql", "psql": "postgresql", "mysqld": "mysql",
    "mongo": "mongodb", "es": "elasticsearch", "k8s": "kubernetes", "rabbit": "rabbitmq",
    # DNS record types by what people call them
    "mail": "MX", "mail server": "MX", "mail servers": "MX", "mailserver": "MX", "nameserver": "NS",
    "nameservers": "NS", "name server": "NS", "name servers": "NS", "ipv6": "AAAA", "ipv4": "A",
    "alias": "CNAME",
}  # fmt: skip

# Two-state values by what people say for each state: an enum that holds one word of a row takes
# the others of that row as its aliases ("enable new_checkout" for `state = "on"`).
STATE_WORDS: tuple[frozenset[str], ...] = (
    wordset("on enable enabled true yes activate activated"),
    wordset("off disable disabled false no deactivate deactivated kill"),
)

# The state words that are verbs: "enable dark-mode", "kill the flag" (the change itself).
STATE_VERBS = wordset("enable disable activate deactivate kill")
# Parameters that say where something is rather than what it is (a Kubernetes namespace, a
# deploy environment, a cloud region): "in payments", "on staging" fills them.
SCOPE_WORDS = wordset("namespace ns environment env region zone cluster project account workspace datacenter "
                       "dc stage tenant org organization site")

# A yes/no parameter ("enabled", "public") read from how the request puts it: "put the shop into
# maintenance", "take it out of maintenance", "switch it off". The state words above, and these.
TRUE_PARTICLES = wordset("into behind")
FALSE_PARTICLES = wordset("out")

# "how many messages are stuck?", "is it up?": a question asks to look, not to act, so a tool that
# changes something is not proposed for it by meaning alone (its own verb must be written).
QUESTION = re.compile(
    r"^\W*(?:what|what's|whats|which|who|whose|when|where|why|how|is|are|was|were|does|do|did|has|have|any|"
    r"anything|should|let\s+me\s+know)\b|\?\W*$",  # "let me know when k3 is cool": an indirect question
    re.IGNORECASE,
)

# A question about how something is done or what it means asks for knowledge, not for the action
# it names: "how do I roll back a release by hand?", "what does --keep-within do?" (English
# grammar, not any tool's words). "can you restart nginx?" is an order and is not one of these.
HOW_TO = re.compile(
    r"^\W*(?:how\s+(?:do|does|can|could|should|would|did)\s+(?:i|we|you|one|people|someone|they)\b|how\s+to\b|"
    r"(?:is|are)\s+there\s+a\s+way\s+to\b|"
    # "would restarting help?", "does clearing a task re-run it?": an action's outcome asked about
    # ("is billing.invoicer paused?" and "is nginx running?" are not: a progressive asks for a look)
    r"(?:would|will|could|might|should|does|do|did|can)\s+(?!\w*thing\b)\w{2,}ing\b(?![.@/_-]\w)|"
    # "would power cycling it lose data?", "should we even write a postmortem?": a modal's
    # hypothetical (a gerund one word on) or advice asked for ("should we/I ..."), not an order
    r"(?:would|could|might|should)\s+\w+[\s-](?!\w*thing\b)\w{2,}ing\b(?![.@/_-]\w)|should\s+(?:we|i)\b|"
    # "would a 1000 vu test on prod take checkout down?": what something would do ("would you …" and
    # "would it be possible to …" are polite orders)
    r"would\s+(?!(?:you|u|ya|it\s+be\s+possible|it\s+be\s+ok|it\s+be\s+okay)\b)\w+.*\?\s*$|"
    # "is it safe to unpin qc08 with the wind at 55?", "is it wise to fail over now?": whether a change
    # is advisable is asked, not ordered
    r"(?:is|was|would)\s+(?:it|this|that)\s+(?:be\s+)?(?:safe|wise|risky|dangerous|smart|sensible|"
    r"a\s+(?:good|bad)\s+idea)\s+to\b|"
    # "what happens to calls in progress if we disable the bt trunk?": what a change would do
    r"what\s+(?:happens|would\s+happen|will\s+happen)\b[^?]{0,80}?\b(?:if|when|once)\b|"
    # "if we cap hq at 50 kW do the cars charging now stop?": a change's outcome asked about, in a
    # conditional that ends in a question ("if it's down, restart it" is an order: no question)
    r"(?:if|when|once)\s+(?:we|i|you|they|someone)\s+[^?]{1,80}?\b(?:do|does|did|will|would|is|are|can|could|"
    r"won'?t|doesn'?t|don'?t)\s+[^?]{1,80}\?(?:\s*$|\s+(?!(?:if|then|so|and|but|otherwise|else)\b)\w))",
    re.IGNORECASE,
)
# Where a how-to or hypothetical question ends: what follows it ("would flushing mx2 help? whats
# in its queue rn") may still ask for a look.
QUESTION_END = re.compile(r"\?+")
# ... and a question about what something means is answered by no tool at all: "what's the
# difference between apt-mark hold and pinning?", "what does --keep-within do?"
EXPLAIN = re.compile(
    r"^\W*(?:what\s+(?:does|do|did)\s+.{1,80}?\s+(?:do|mean|stand\s+for)\s*(?:\?|$)|"
    r"what(?:'s|\s+is|\s+are)\s+the\s+(?:difference|point|purpose|meaning)\b|explain\s+(?:how|what|why)\b|"
    r"what\s+(?:is|are)\s+(?:a|an)\s+\w+(?:\s+\w+)?\s*\??\s*$)",
    re.IGNORECASE,
)

# A question about how a team works or who decided, not about a system's state: "what's our refund
# policy for double charges?", "who owns billing-api?". Knowledge, unless a tool is about that word.
KNOWLEDGE = re.compile(
    r"\b(?:what(?:'s|\s+is|\s+are)|how\s+(?:do|does|should)\b).{0,40}?\b(?P<noun>polic(?:y|ies)|process|procedure|"
    r"guidelines?|etiquette)\b|\bwho\s+(?P<verb>owns|approved|decided|wrote|built|signed\s+off)\b",
    re.IGNORECASE,
)

# --- follow-ups ---------------------------------------------------------------------------------
# "stop it, the test moved", "wait no, don't", "never mind", "cancel that": a proposed step called
# off. It is not a request to run that step again with the words that follow.
CALL_OFF = re.compile(
    r"^\W*(?:(?:wait|no|nope|ok(?:ay)?|actually)[\s,.!]+)*(?:stop|cancel|abort|hold\s+on|hold\s+off|"
    r"never\s*mind|nvm|scratch\s+(?:that|it)|forget\s+(?:it|that)|don'?t|do\s+not)\b(?:\s+(?:it|that|this))?"
    r"\s*(?:[,.!;-]|$)",
    re.IGNORECASE,
)
# "check it again", "try that once more", "ok, restart it now": the same step once more.
REPEAT = re.compile(
    r"\b(?:again|once\s+more|one\s+more\s+time|another\s+time|retry|re-?run|redo|repeat|"
    r"try\s+(?:it|that|this)|do\s+(?:it|that)|(?:it|that)\s+now)\b",
    re.IGNORECASE,
)
# "what about port 443?", "and in Paris?", "show 200 instead", "same for billing", "now do the same
# for checkout", "do it again but for nginx": the same step with one value replaced.
REPLACE = re.compile(
    r"^\W*(?:and|&|but|now|ok(?:ay)?|so|then)?\W*(?:what|how)\s+about\b|^\W*and\b|\binstead\b|\bsame\s+"
    r"(?:for|with|on|in|but)\b|\bbut\s+(?:for|with|on|in)\b|\bsame\s+thing\b|"
    r"(?:^\W*(?:(?:ok(?:ay)?|and|so|then|alright)[\s,]+)?|[,.;!]\s*)now\s+(?:for\s+|on\s+|in\s+|with\s+)?"
    r"[\w@./:-]+(?:\s+(?:too|as\s+well))?\W*$|"  # "now hsm-b.pay.acme.io", "…, now prod", "now 1.46 too"
    r"^\W*(?:and\s+)?[\w@./:-]*\d[\w@./:-]*\s+(?:too|as\s+well)\W*$",  # "TA.P5 too": a value, then "too"
    re.IGNORECASE,
)
# "make it 8h", "actually make it 6", "change that to 300": the previous step with the value given
# (only when the message gives one: "make it private" names a state, not a value of the step)
MAKE_IT = re.compile(r"\b(?:make|change|set|bump|turn)\s+(?:it|that|this)\b", re.IGNORECASE)
# "make it 30", "actually make it a fault", "set it to 5", "make it 3 hours": the whole message gives
# the last step a new value (not "set this up as a runbook", "turn it into a checklist for me")
MAKE_IT_VALUE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|actually|no|nah|sorry|hmm|wait|oh|and)[\s,.!]+)*(?:make|change|set|bump|turn)\s+"
    r"(?:it|that|this)\s+(?:to\s+)?(?:an?\s+)?[\w.@/:%+-]+(?:\s+(?:hours?|hrs?|minutes?|mins?|days?|weeks?|"
    r"seconds?|secs?|percent|per\s+cent|gb|mb|tb))?(?:\s+instead)?\W*$",
    re.IGNORECASE,
)
# The words that point back at the last plan ("it", "that one").
REFERENCES = wordset("it its that this them their those same again previous last")

# A fenced block of pasted output (```…```, or to the end of the message when left open): what it
# says was printed, not asked.
FENCED_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)

# --- questions about an attachment --------------------------------------------------------------
# "what is wrong here?", "look into this", "why does this fail?": the attachment is the subject.
ATTACHMENT_QUESTION = re.compile(
    r"\b(?:what(?:'s|\s+is)?\s+(?:wrong|broken|going\s+on|happening|the\s+(?:problem|issue|error))|"
    r"what\s+(?:does|do)\s+(?:this|that|these)\s+mean|"
    r"why\s+(?:does|is|do|did)\s+(?:this|that|it)\b|look\s+(?:into|at)\s+(?:this|that|it)|"
    r"(?:check|investigate|debug|diagnose|explain)\s+(?:this|that|these|it)\b|figure\s+out|"
    r"what\s+is\s+this|any\s+idea|help\s+(?:me\s+)?with\s+this|can\s+you\s+check\s+it|"
    r"keeps?\s+failing|is\s+failing|what\s+went\s+wrong)",
    re.IGNORECASE,
)

# --- negation -----------------------------------------------------------------------------------
# "don't restart anything, just …", "do NOT drain node-7 yet", "without touching the repo", "never
# restart the db": the negated part runs from the verb to the end of its clause, or to "just",
# "only", "but", "instead". A bare "not" is left alone ("it is not responding" is a condition).
NEGATION = re.compile(
    r"\b(?:do\s+not|don'?t|dont|never|without|no\s+need\s+to|please\s+don'?t|doesn'?t\s+need\s+(?:a|to)|"
    r"(?:needs?|wants?)\s+no|"  # "C2 needs no defrost"
    r"no(?=\s+(?:changes?|writes?|restarts?|actions?|deploys?|touching|modifications?)\b))\s+"
    # a dot inside a word ("example.org", "osd.17") does not end the negated part
    r"(?P<span>(?:[^,.;:!?\n]|\.(?=\w))*?)(?=\s*(?:[,;:!?\n]|\.(?!\w)|\bjust\b|\bonly\b|\bbut\b|\binstead\b|\bso\b|"
    r"\bfirst\b|$))",
    re.IGNORECASE,
)
# "without touching it", "don't change anything": a negated part with one of these rules out
# every tool that changes something.
CHANGE_VERBS = wordset("touch touching change changes changing modify modifying modification modifications alter "
                        "altering break breaking act acting action actions fix fixing write writes")

# --- conditions ---------------------------------------------------------------------------------
# "restart nginx if it is down", "if https://x is not responding, bounce the api": a condition on
# what a check finds. The phrase after "if"/"when"/"unless" must say the target is unwell.
CONDITION = re.compile(
    r"\b(?:if|when|in\s+case|should)\s+(?P<cond>[^,;\n]{0,100}?\b(?:down|fail(?:s|ing|ed)?|broken|unreachable|"
    r"not\s+(?:up|ok|responding|reachable|healthy|answering|running)|doesn'?t\s+(?:respond|answer|work)|"
    r"does\s+not\s+(?:respond|answer|work)|isn'?t\s+(?:up|responding|healthy|reachable|answering)|"
    r"unhealthy|dead|errors?|refused)\b(?:\s+(?:it|one|them))?|[^,;\n]{0,60}?\b(?:doesn'?t|does\s+not|isn'?t|is\s+not)"
    r"(?=\s*(?:$|[,.;!?]))"
    # "… and if so unlock him", "… and if it's faulted, hard reset it": the state the check looks for
    r"|so(?=\s)|(?:it|they|he|she)(?:'s|\s+is|\s+are|'re)\s+[a-z][^,;\n]{0,40}?(?=\s*,)"
    # "… and wipe it if it is empty": a state of the checked thing that ends the request
    r"|(?:it|they|that)(?:'s|\s+is|\s+are|'re)\s+(?:still\s+)?[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}?(?=\s*(?:$|[.!?]))"
    # "… and if more than 20 callers are waiting, close it": a count the check's result is held to
    r"|(?:there\s+(?:are|is)\s+)?(?:more|fewer|less)\s+than\s+\d[^,;\n]{0,50}?(?=\s*,)"
    r"|(?:there\s+(?:are|is)\s+)?(?:over|above|below|under|at\s+least)\s+\d[^,;\n]{0,50}?(?=\s*,)"
    # "… and if it's over 5000 pause it": a bare amount the checked thing is held to ends at its number
    r"|(?:it|they|that)(?:'s|\s+is|\s+are|'re)\s+(?:more\s+than|less\s+than|fewer\s+than|over|above|below|under|"
    r"at\s+least)\s+\d[\d,]*(?:\.\d+)?(?:\s*(?:%|percent))?(?![\w.,]))",
    re.IGNORECASE,
)


# The usual shortenings of words that name parameters, in ops writing ("in ns payments", "env
# staging", "svc checkout"): a shortening names its parameter as the whole word does. General
# English and ops usage, never one tool's words.
SHORTENINGS = {
    "ns": "namespace", "env": "environment", "db": "database", "repo": "repository", "cfg": "config",
    "conf": "config", "dir": "directory", "svc": "service", "msg": "message", "num": "number",
    "desc": "description", "img": "image", "vol": "volume", "cert": "certificate", "ver": "version",
    "proj": "project", "org": "organization", "acct": "account", "ts": "timestamp", "dc": "datacenter",
    "tbl": "table", "pct": "percent", "dur": "duration",
}
