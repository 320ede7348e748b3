"""Entities in a request, found without any model: URLs, hosts, ports, time zones, paths,
quoted strings and numbers, so a small model never has to copy them (see `bot.agent.guided`)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import available_timezones

from chatops.bot.agent.durations import UNITS, durations_in, durations_told, without_fenced
from chatops.bot.agent.lexicon import CLAUSE, FILE_SUFFIXES, STOPWORDS, VERB_LEADS
from chatops.bot.agent.number_words import with_figures
from chatops.bot.agent.provenance import message_parts
from chatops.bot.english import english_loaded, english_words
from chatops.tools.registry import ToolSpec

__all__ = ["CLAUSE", "STOPWORDS", "VERB_LEADS", "Entities", "extract_entities", "own_text"]


INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}?\b(?:instructions?|prompts?|rules|guidelines)\b"
    r"|\byou\s+are\s+now\b|\bnew\s+instructions?\s*:|\bsystem\s+prompt\b",
    re.IGNORECASE,
)

# Well-known ports by service name, for "is ssh open on bastion".
SERVICE_PORTS = {
    "ssh": 22, "sftp": 22, "ftp": 21, "telnet": 23, "smtp": 25, "dns": 53, "http": 80, "pop3": 110,
    "imap": 143, "ldap": 389, "https": 443, "smtps": 465, "submission": 587, "ldaps": 636, "imaps": 993,
    "mysql": 3306, "rdp": 3389, "postgres": 5432, "postgresql": 5432, "amqp": 5672, "redis": 6379,
    "elasticsearch": 9200, "kafka": 9092, "memcached": 11211, "mongodb": 27017, "mongo": 27017,
}  # fmt: skip

ZONE_ABBREVIATIONS = {
    "UTC": "UTC", "GMT": "UTC", "Z": "UTC", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "MST": "America/Denver", "MDT": "America/Denver", "CST": "America/Chicago", "CDT": "America/Chicago",
    "EST": "America/New_York", "EDT": "America/New_York", "BST": "Europe/London", "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin", "EET": "Europe/Athens", "EEST": "Europe/Athens", "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo", "KST": "Asia/Seoul", "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
}  # fmt: skip
CITY_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")

# Parameter kinds, read from a parameter's name (and description for `name`-like fields).
URL_NAMES = frozenset({"url", "uri", "endpoint", "link", "address_url"})
HOST_NAMES = frozenset({"host", "hostname", "server", "ip", "address", "target", "node", "machine"})
DOMAIN_NAMES = frozenset({"domain", "fqdn", "zone", "qname", "record_name"})
PORT_NAMES = frozenset({"port"})
TIMEZONE_NAMES = frozenset({"timezone", "tz", "time_zone", "zone_name"})
PATH_NAMES = frozenset({"path", "dir", "directory", "folder", "mount", "mountpoint", "file", "filename"})

_URL = re.compile(r"\bhttps?://[^\s<>|\"'`]+", re.IGNORECASE)  # Slack writes <url|label>
_IPV4 = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}"
# a top-level label is letters ("invoices.v2" is a topic, not a host), or an IDN's "xn--…"
_DOMAIN = r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
_HOST = re.compile(
    rf"(?<![\w/.@:-])(\[[0-9a-f:]+\]|{_IPV4}|{_DOMAIN}|localhost)(?::(\d{{1,5}}))?(?![\w@-]|\.\w)",
    re.IGNORECASE,
)
_PATH = re.compile(r"(?<![\w.:/~+=-])(/(?:[A-Za-z0-9._*-]+/?)*)(?![\w/])")  # "/static/css/*" whole
_PORT_WORD = re.compile(r"\bports?\s*(?:number\s*)?[:#=]?\s*(\d{1,5})\b|\b(\d{1,5})\s*/\s*tcp\b", re.IGNORECASE)
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|`([^`\n]{1,200})`|(?<![\w])'([^'\n]{1,200})'(?![\w])")
# name="value" pairs, as label matchers and key=value filters are written (quoted values)
_PAIR = r"[A-Za-z_][\w.-]*\s?(?:=|!=|=~|!~)\s?(?:\"[^\"\n]{0,120}\"|'[^'\n]{0,120}')"
_PAIRS = re.compile(rf"(?<![\w\"'/.:-]){_PAIR}(?:\s?,\s?{_PAIR})*")
# a number ending a sentence or a label ("postmortem 57: ...", "scale to 4.") is one; "10:30",
# "4.13", "50%" and "3/4" are not
# a number, and a rate's number ("800/day"), but not a path's or a fraction's part ("443/tcp", "3/5")
_NUMBER = re.compile(r"(?<![\w.:/@#+-])(\d{1,9})"
                     r"(?![\w%-]|/(?!(?:day|d|hour|hr|h|minute|min|second|sec|s|week|wk|month)\b)"
                     r"|[.:]\w|\s*(?:%|percent\b|ms\b|milliseconds?\b))")
# a measure written signed or with decimals ("to -18", "says 13.3"); never a range's end ("3-5"), a
# version ("3.0.2"), an address's part or a name's ("sck-uni-04")
_MEASURE = re.compile(r"(?<![\w.:/@#+-])(-?\d{1,5}(?:\.\d{1,3})?)(?![\w%-]|[.:/]\w)")
# a number written with thousands separators: "2,850", "12,400,000" (not "ports 80,443": a list)
_GROUPED = re.compile(r"(?<![\w.:/@#+,-])(\d{1,3}(?:,\d{3})+)(?![\w%-]|[.:,]\d)")
# thousands written short: "2k a day", "1.5k" (never a size: sizes are written kb/kib)
_THOUSANDS = re.compile(r"(?<![\w.:/@#+-])(\d{1,6}(?:\.\d{1,3})?)k(?![\w%-]|[.:]\w)", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:['_.@-][a-z0-9]+)*", re.IGNORECASE)  # "worker@2", "nginx@blue.service" whole
# What is not the user asking but quoting: markup (`<script>alert(1)</script>`), a tool's exit code
# in parentheses (`curl: (7)`), timestamps and clock times, code spans. Numbers there fill nothing.
_QUOTED_OUTPUT = re.compile(
    r"<[^<>\n]{0,200}>|\(\d{1,5}\)|`[^`\n]{0,300}`|\[[^\]\n]{0,80}\]|"
    r"\b\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?|\b\d{1,2}:\d{2}(?::\d{2})?\b"
)
# "+49 30 numbers", "+44 20 7946 0958": the groups after a country code are one phone number, not counts
_PHONE = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]\d{1,4})+\b")
# "they're sending us nothing but 503s", "a wall of 502s": statuses seen, not 503 seconds; "timeout 500s"
# and "wait 400s" (a time word just before) stay durations
_STATUSES = re.compile(r"(?<![\w.])[45]\d\ds\b")
_TIMED = re.compile(r"\b(?:for|after|within|every|in|timeout|wait|ttl|grace|delay|sleep|period|interval)\s*$",
                    re.IGNORECASE)
_MARKUP = re.compile(r"<(script|style|iframe|svg|object|embed)\b[^<>]{0,200}>[^<]{0,500}</\1\s*>|"
                     r"</?[a-z][a-z0-9]*\b[^<>]{0,200}/?>",
                     re.IGNORECASE)
# A thing known by its number: "CHG4711", "CHG-5120", "osd.17", "#4795" (a prefix of letters, or a
# lone "#"). A version ("v3.0.2"), a host or a unit ("30d") is none of these.
_NUMBERED = re.compile(r"(?<![\w.:/@-])(?:([A-Za-z]{1,8})[.-]?|#)(\d{1,9})(?![\w.:/%-]|\.\d)")
_PERCENT = re.compile(r"(?<![\w.])(\d{1,3})\s*(?:%|percent\b)", re.IGNORECASE)
# A share said in words, as a percentage: "run it at half power", "back up to full"
_SHARES = {"half": 50, "full": 100, "quarter": 25, "a quarter": 25, "three quarters": 75}
# ("put na02 on three quarters of the feed table"; not "half an hour", "to half the pods")
_WORDED_SHARE = re.compile(r"\b(?:at|to|(?<!\bis\s)(?<!\bwas\s)(?<!\bbeen\s)(?<!\bare\s)on)\s+"
                           r"(half|full|a\s+quarter|quarter|three[\s-]quarters)\b(?!\s+(?:an?|the|past)\b)",
                           re.IGNORECASE)
_SIZE_UNITS = {**dict.fromkeys(("kb", "kib", "kilobyte", "kilobytes"), "kb"),
               **dict.fromkeys(("mb", "mib", "meg", "megs", "megabyte", "megabytes"), "mb"),
               **dict.fromkeys(("g", "gb", "gib", "gig", "gigs", "gigabyte", "gigabytes"), "gb"),
               **dict.fromkeys(("t", "tb", "tib", "terabyte", "terabytes"), "tb")}
_SIZE = re.compile(r"(?<![\w.])(\d{1,9}(?:\.\d{1,3})?)\s?(" + "|".join(sorted(_SIZE_UNITS, key=len, reverse=True)) +
                   r")\b", re.IGNORECASE)  # "500 GB", "1.5 TiB"


def is_unit(word: str) -> bool:
    """Whether a word is a unit of time or size ("hours", "gb"): after a number it is that
    number's unit, never a value of its own ("for 6 hours" names no group called "hours")."""
    return word.lower() in UNITS or word.lower() in _SIZE_UNITS


_OUTPUT_LINE = re.compile(r"^\s*(?:[$#>]\s|\w[\w.-]*:\s*\(\d+\)|\[?\d{4}-\d{2}-\d{2}|[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:)")
_IANA = re.compile(r"\b[A-Za-z]+(?:/[A-Za-z0-9_+-]+){1,2}\b")


# --- words -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def stem(word: str) -> str:
    """A crude stem, enough to match "logs" with "log" and "resolving" with "resolve"."""
    word = word.lower().removesuffix("'s")
    if len(word) >= 6 and word.endswith(("ies", "ied")):
        return word[:-3] + "y"  # "retries", "retried", "retrying" and "retry" are one word; "queries" too
    for suffix in ("ing", "ed", "es", "s"):
        # "timing" must not become "tim" (= "time"): verb endings need a longer stem
        if word.endswith(suffix) and len(word) - len(suffix) >= (4 if suffix in ("ing", "ed") else 3):
            if suffix == "s" and word[-2] in "su":
                continue
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "logging" -> "log", "stopped" -> "stop"
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def words_of(text: str) -> list[str]:
    return list(_words(text))


@functools.lru_cache(maxsize=1024)
def _words(text: str) -> tuple[str, ...]:
    """Kept: the planner reads the same request and tool descriptions' words once per tool."""
    return tuple(match.group(0).lower() for match in _WORD.finditer(text))


def identifier_words(name: str) -> list[str]:
    """The words of an identifier, lower case, whatever its style: `restart_service`,
    `toggleFlag` (TypeScript servers name tools and parameters in camelCase), `podName`,
    `HTTPCheck`, `tail-lines`."""
    return list(_identifier_words(name))


@functools.lru_cache(maxsize=1024)
def _identifier_words(name: str) -> tuple[str, ...]:
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name))
    return tuple(part.lower() for part in re.split(r"[_\W]+", spaced) if part)


def name_words(spec: ToolSpec) -> list[str]:
    return identifier_words(spec.name)


# --- entities --------------------------------------------------------------------------------


@dataclass
class Entities:
    """What the request names, each list in order of appearance, without duplicates."""

    urls: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # host names and IPs written outside URLs
    ips: list[str] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)  # written as a port: "port 443", "host:443"
    service_ports: list[tuple[str, int]] = field(default_factory=list)  # "ssh" -> 22
    host_ports: list[tuple[str, int]] = field(default_factory=list)
    timezones: list[str] = field(default_factory=list)  # IANA names, UTC and abbreviations
    cities: list[str] = field(default_factory=list)  # zones found by a city name: weaker evidence
    paths: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # numbers that are none of the above
    numbered: list[tuple[str, int]] = field(default_factory=list)  # "CHG4711", "osd.17", "#4795": (prefix, number)
    percentages: list[int] = field(default_factory=list)  # "50%", "10 percent": not counts
    # signed or with decimals ("-18", "13.3"): measures such as a temperature, for a parameter of
    # that kind (a `number`, or one whose minimum is below zero) only
    measures: list[float] = field(default_factory=list)
    durations: list[tuple[int, str]] = field(default_factory=list)  # "30d", "14 days": (30, "days")
    # of those, how long something has lasted ("has been down 45 minutes already"): no value to set
    told_durations: list[tuple[int, str]] = field(default_factory=list)
    sizes: list[tuple[int | float, str]] = field(default_factory=list)  # "500 GB", "50G", "1.5 TiB": (500, "gb")
    words: list[str] = field(default_factory=list)  # the remaining plain words, lower case
    text: str = ""  # the text the entities came from (the user's own words)
    plain: str = ""  # that text with URLs, hosts and paths blanked out
    wording: str = ""  # `plain` without quoted sentences: the request's own words, not the values it quotes

    def hostnames(self) -> list[str]:
        """Hosts written on their own, then the hosts of URLs."""
        found = list(self.hosts)
        for url in self.urls:
            host = url_host(url)
            if host and host not in found:
                found.append(host)
        return found


def add_unique(items: list[Any], item: Any) -> None:
    if item not in items:
        items.append(item)


def url_host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0].lower()
    return authority.split(":", 1)[0].lower().rstrip(".")


def url_port(url: str) -> int | None:
    rest = url.split("://", 1)[-1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    match = re.search(r":(\d{1,5})$", authority)
    return int(match.group(1)) if match else None


@functools.cache
def _zone_tables() -> tuple[dict[str, str], dict[str, str]]:
    """IANA names by lower case, and zones by city ("new york" -> America/New_York)."""
    zones = available_timezones()
    by_lower = {zone.lower(): zone for zone in zones}
    cities: dict[str, str] = {}
    for zone in sorted(zones):
        region, _, city = zone.partition("/")
        if region in CITY_REGIONS and city and "/" not in city:
            cities.setdefault(city.replace("_", " ").lower(), zone)
    return by_lower, cities


@functools.cache
def _city_pattern() -> re.Pattern[str]:
    """One pattern for every city name, longest first ("new york" before "york")."""
    names = sorted(_zone_tables()[1], key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(name) for name in names) + r")\b")


def _without_quoted_output(text: str) -> str:
    """`text` with what it quotes rather than asks blanked out (markup, exit codes, timestamps,
    code spans, and whole lines of pasted terminal or log output when the message has other lines),
    and the numbers that name rather than count: a phone number's parts, HTTP statuses in the
    plural."""
    lines = text.split("\n")
    if len(lines) > 1:
        lines = [" " * len(line) if _OUTPUT_LINE.match(line) else line for line in lines]
    blanked = "\n".join(lines)
    blanked = _QUOTED_OUTPUT.sub(lambda match: " " * len(match.group(0)), blanked)
    blanked = _PHONE.sub(lambda match: " " * len(match.group(0)), blanked)
    return _STATUSES.sub(lambda match: match.group(0) if _TIMED.search(blanked[:match.start()])
                         else " " * len(match.group(0)), blanked)


def own_text(text: str) -> tuple[str, bool]:
    """The part of the message that is the user's own request: `<data>` blocks and the text of
    attached images and files removed (a voice note's transcript stays: it is the user's own
    words; see `bot.agent.provenance.message_parts`), and nothing from an injection phrase on.
    Returns the text and whether an injection was cut."""
    own = re.sub(r"<data>.*?(?:</data>|$)", " ", text, flags=re.DOTALL | re.IGNORECASE)
    own = "\n".join(part.text for part in message_parts(own) if part.own)
    match = INJECTION.search(own)
    if match:
        return own[: match.start()], True
    return own, False


# Names that end in a suffix no public DNS has but networks use on their own: RFC 6761's special
# names, RFC 6762's mDNS `.local` and its appendix G's private conventions, RFC 8375's
# `home.arpa`, and `.internal`, which ICANN reserved for private use in 2024.
PRIVATE_SUFFIXES = frozenset({"internal", "local", "localhost", "test", "example", "invalid", "lan", "corp", "home",
                              "intranet", "private", "localdomain", "home.arpa"})


@functools.cache
def _public_suffixes() -> Any:
    """The Public Suffix List's ICANN section, from the `publicsuffixlist` package (its data ships
    inside the wheel, no network); loading takes ~0.25 s, so `warm` does it off the loop."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True, accept_unknown=False)


def is_domain(name: str) -> bool:
    """Whether a dotted name can be a host name: it ends in a real top-level domain ("example.org",
    "web-1.prod") or a private suffix ("db-3.prod.internal"). "fs.file-max", "orders.fulfil" and
    "net.core.somaxconn" cannot: they are a sysctl key, a consumer group, a setting."""
    name = name.lower().rstrip(".")
    labels = name.split(".")
    if labels[-1] in PRIVATE_SUFFIXES or ".".join(labels[-2:]) in PRIVATE_SUFFIXES:
        return True
    return _public_suffixes().publicsuffix(name) is not None


@functools.lru_cache(maxsize=1024)
def is_english(stemmed: str) -> bool:
    """Whether a word (as `stem` leaves it) is an English word in its own right, so never a typing
    slip of a tool's word: "stats" is not a slip of "seats", though one letter apart."""
    words = english_words()
    return any(form in words for form in (stemmed, stemmed + "e", stemmed + "s", stemmed + "es"))


def warm_entities() -> None:
    """Load what `extract_entities` and the typo check read on first use (in a worker thread)."""
    _public_suffixes()
    english_words()


def entities_ready() -> bool:
    """Whether `warm_entities` has run, so nothing blocks the loop on a first call."""
    return _public_suffixes.cache_info().currsize > 0 and english_loaded()


_QUOTED_SENTENCE = re.compile(r"\"[^\"\n]*\s[^\"\n]*\"|“[^”\n]*\s[^”\n]*”|(?<!\w)'[^'\n]*\s[^'\n]*'(?!\w)")


# A clause that says why, not what: "pin 2.1 so the cleanup job doesn't delete it", "so we can
# compare", "to avoid a page". Its verbs are the reason for the order, never the order itself.
_PURPOSE = re.compile(
    r"(?<=\w)(?:[ \t]*,)?[ \t]+(?:so(?:[ \t]+that)?[ \t]+(?=(?:the|it|we|they|our|you|nothing|nobody|no[ \t]+one)\b"
    r"|[\w.-]+[ \t]+(?:doesn|don|won|isn|can|will|does|stays|gets|keeps)\b)"
    r"|(?:in[ \t]+order[ \t]+)?to[ \t]+(?:avoid|prevent)\b|in[ \t]+case\b)"
    r"(?:(?![,;!?\n]|\.(?:\s|$)|\s(?:and|then|but)\s).)*",
    re.IGNORECASE)


def without_quoted(text: str) -> str:
    """`text` with each quoted sentence (a title, a note, a message to post) as `"…"`, and without
    its clauses of purpose: what the request asks, for measuring its meaning, without the words of
    the values it quotes or of the reasons it gives."""
    return _PURPOSE.sub("", _QUOTED_SENTENCE.sub('"…"', text))


def extract_entities(text: str) -> Entities:
    """Pull URLs, hosts, ports, time zones, paths, quoted strings and numbers out of `text`."""
    text = with_figures(text)  # "down to eighteen degrees": every number reader sees 18
    found = Entities(text=text)
    blanked = _MARKUP.sub(lambda match: " " * len(match.group(0)), text)  # markup is quoted, never asked

    def blank(span: tuple[int, int]) -> None:
        nonlocal blanked
        start, end = span
        blanked = blanked[:start] + " " * (end - start) + blanked[end:]

    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]}'\"")
        add_unique(found.urls, url)
        blank((match.start(), match.start() + len(url)))
    for match in _PAIRS.finditer(blanked):  # `alertname="DiskFull", env="prod"`: the pairs whole
        add_unique(found.quoted, match.group(0).strip())
    for match in _QUOTED.finditer(blanked):
        value = next(group for group in match.groups() if group is not None).strip()
        if value:
            add_unique(found.quoted, value)
    for match in _HOST.finditer(blanked):
        if re.search(r"[a-z][A-Z]|\.[A-Z]", match.group(1)):
            continue  # "redis.exceptions.ConnectionError", "stripe.error.APIError": code, not a host
        host = match.group(1).lower().strip("[]")
        last_label = host.rsplit(".", 1)[-1]
        if "." in host and not re.fullmatch(_IPV4, host) and (last_label in FILE_SUFFIXES or not is_domain(host)):
            continue  # "fs.file-max", "orders.fulfil", "net.core.somaxconn": names, not hosts
        add_unique(found.hosts, host)
        if re.fullmatch(_IPV4, host) or ":" in host:
            add_unique(found.ips, host)
        if match.group(2):
            port = int(match.group(2))
            if 1 <= port <= 65535:
                add_unique(found.host_ports, (host, port))
                add_unique(found.ports, port)
        blank(match.span())
        # "telnet mail.example.com 25", "reach 10.0.0.1 on 443": a number right after a host
        after = re.match(r"\s+(?:on\s+|at\s+|port\s+)?(\d{1,5})\b(?![.\w])(?!\s*(?:times|x\b|tries|attempts|pings|"
                         r"packets|requests|%|percent))", blanked[match.end():])  # "ping 10.0.0.7 10 times": a count
        if after and not match.group(2):
            port = int(after.group(1))
            if 1 <= port <= 65535:
                add_unique(found.host_ports, (host, port))
                add_unique(found.ports, port)
                start = match.end() + after.start(1)
                blank((start, start + len(after.group(1))))
    for match in _PATH.finditer(blanked):
        path = match.group(1)
        if path != "/" or re.search(r"\b(?:on|of|at|in|for)\s+/\s*(?:$|[\s,.?!])", blanked):
            add_unique(found.paths, path.rstrip("/") or "/")
            blank(match.span())
    for match in _PORT_WORD.finditer(blanked):
        port = int(match.group(1) or match.group(2))
        if 1 <= port <= 65535:
            add_unique(found.ports, port)
            blank(match.span(1) if match.group(1) else match.span(2))
    by_lower, cities = _zone_tables()
    # what the request quotes ('log a bug: "latency > 2s since 14:00 UTC"') is a value, not a question
    # about a time zone or a count
    unquoted = _QUOTED.sub(lambda match: " " * len(match.group(0)), blanked)
    for match in _IANA.finditer(unquoted):
        zone = by_lower.get(match.group(0).lower())
        if zone:
            add_unique(found.timezones, zone)
            blank(match.span())
    for match in re.finditer(r"\b[A-Za-z]{1,5}\b", unquoted):
        word = match.group(0)
        zone = ZONE_ABBREVIATIONS.get(word) if word.isupper() and word != "Z" else None
        if zone is None and word.lower() in ("utc", "gmt"):
            zone = "UTC"
        if zone:
            add_unique(found.timezones, zone)
    for match in _city_pattern().finditer(unquoted.lower()):
        add_unique(found.cities, cities[match.group(1)])
    counted = _without_quoted_output(unquoted)
    for match in _GROUPED.finditer(counted):  # "drop the away end to 2,850": one number, not 2 and 850
        if not re.search(r"\bports?\b", counted[max(0, match.start() - 20): match.start()], re.IGNORECASE):
            add_unique(found.numbers, int(match.group(1).replace(",", "")))
            counted = counted[: match.start()] + " " * len(match.group(0)) + counted[match.end():]
    for match in _NUMBER.finditer(counted):
        add_unique(found.numbers, int(match.group(1)))
    for match in _MEASURE.finditer(counted):
        if "-" in match.group(1) or "." in match.group(1):
            add_unique(found.measures, float(match.group(1)))
    for match in _THOUSANDS.finditer(counted):
        if (thousands := float(match.group(1)) * 1000).is_integer():
            add_unique(found.numbers, int(thousands))
    for match in _NUMBERED.finditer(counted):
        prefix = (match.group(1) or "").lower()
        if prefix not in UNITS and prefix not in _SIZE_UNITS and prefix != "v":
            add_unique(found.numbered, (prefix, int(match.group(2))))
    for match in _PERCENT.finditer(counted):
        add_unique(found.percentages, int(match.group(1)))
    for match in _WORDED_SHARE.finditer(counted):  # "at half power", "to full"
        add_unique(found.percentages, _SHARES[" ".join(match.group(1).lower().replace("-", " ").split())])
    timed = _without_quoted_output(without_fenced(unquoted)) if "```" in unquoted else counted
    for duration in durations_in(timed):  # "30m", "till tomorrow", "an hour and a half"
        add_unique(found.durations, duration)
    found.told_durations = durations_told(timed)
    for match in _SIZE.finditer(counted):
        amount = float(match.group(1))
        add_unique(found.sizes, (int(amount) if amount.is_integer() else amount, _SIZE_UNITS[match.group(2).lower()]))
    found.plain = blanked
    # 'new postmortem "Payment retries storm"': the title's words say nothing about which tool
    found.wording = _PURPOSE.sub(lambda match: " " * len(match.group(0)),
                                 _QUOTED_SENTENCE.sub(lambda match: " " * len(match.group(0)), blanked))
    found.words = words_of(blanked)
    for word in found.words:
        if word in SERVICE_PORTS:
            add_unique(found.service_ports, (word, SERVICE_PORTS[word]))
    return found
