"""The perception pipeline: every attachment of a message becomes one labelled text part, and the
message becomes one text the planner reads.

    check the phone's logs
    [voice note, 0:12] restart the payments service on web one
    [image: error.png, 1280×720 png] text:
    ERROR connection refused ...
    [video 0:41] said at 0:02: "this is what the deploy shows"; on screen at 0:05: "ERROR …"

A video with a picture becomes a timeline (`bot.perception.video`); a video file with sound only
(a browser-recorded voice note is `video/webm`) is heard as a voice note.

A video's sound may go to a model of its own (`whisper.video_model`, see `video_transcriber`):
a clip may take its own length to be perceived while a voice note must be heard in seconds.

Transcription and OCR run in one bounded worker pool (`perception.workers`), models load once on
first use (or at start with `perception.preload`), and results are cached in storage by the file's
content hash, so a file sent twice is processed once. A file that cannot be perceived becomes a
part that says why; the rest of the message goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chatops.bot import allocator, extras
from chatops.bot.config import PerceptionConfig
from chatops.bot.model import Attachment
from chatops.bot.perception.admission import PerUserQueue
from chatops.bot.perception.correction import Correction, VocabularyCorrector
from chatops.bot.perception.media import declared_type, header_pixels, human_size, to_media
from chatops.bot.perception.spoken import normalise_transcript
from chatops.bot.perception.types import MediaFile, PerceivedPart, PerceptionError, safe_name

if TYPE_CHECKING:
    from pydantic_ai.models import Model

log = logging.getLogger("chatops.perception")

Fetch = Callable[[Attachment, int], Awaitable[bytes]]

# A separate video model is dropped this long after the last clip it heard, as the RapidOCR engine
# is (`image.RAPIDOCR_RELEASE_AFTER`): base keeps ~93 MB that every later voice note would otherwise
# peak on top of; loading it again costs ~0.5 s on the next clip (a 10 s clip in 1.99 s after a
# release against 1.47 s warm, medians; bench/video_cold.py, bench/results/issue26-video-model-15.txt).
VIDEO_MODEL_RELEASE_AFTER = 300.0


def clock(seconds: float) -> str:
    """`0:12`, `12:30`, `1:02:03`: how chat apps show a clip's length."""
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass
class PerceptionTimings:
    """Seconds spent per kind, for metrics and benchmarks."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: {"audio": [], "image": [], "video": []})


class Perceiver:
    def __init__(self, config: PerceptionConfig, *, store=None, vocabulary: Iterable[str] = (),
                 vision_model: Model | None = None, vision_timeout: float = 60.0) -> None:
        self.config = config
        self.store = store
        self.executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="chatops-perception")
        self.vision_model = vision_model if config.vision.enabled else None
        self.vision_timeout = vision_timeout
        self.timings = PerceptionTimings()
        self._vocabulary = list(vocabulary)
        self._corrector: VocabularyCorrector | None = None
        self._transcriber = None
        self._video_transcriber = None
        self._video_fallback: str | None = None  # why videos use the voice model against the config
        self._image_reader = None
        self._video_reader = None
        self.queue = PerUserQueue(running=config.workers, max_queued=config.max_queued_per_user)

    def use_vocabulary(self, words: Iterable[str]) -> None:
        """Bias speech toward these words from now on (the tools' words, once the tools are loaded
        or reloaded: `bot.perception.glossary`)."""
        self._vocabulary = list(words)
        self._corrector = None
        for transcriber in {id(t): t for t in (self._transcriber, self._video_transcriber) if t}.values():
            transcriber.use_vocabulary(self._vocabulary)

    # --- the readers, built on first use -----------------------------------------------------------

    @property
    def transcriber(self):
        if self._transcriber is None:
            from chatops.bot.perception.audio import Transcriber

            self._transcriber = Transcriber(self.config.whisper, max_seconds=self.config.max_audio_seconds,
                                            executor=self.executor, vocabulary=self._vocabulary)
        return self._transcriber

    @property
    def video_transcriber(self):
        """The transcriber of a video's sound: the voice-note one, or one of its own when
        `whisper.video_model` names another model (local backend only). That one loads on the
        first video, never at start (`preload` loads the voice model alone), and is released after
        `VIDEO_MODEL_RELEASE_AFTER` idle seconds; the glossary is passed to it only with
        `whisper.video_glossary`. `base` without the `whisper-base` extra falls back to the voice
        model, said once in the log and in `video_speech_state`."""
        if self._video_transcriber is None:
            name = self.separate_video_model()
            if name is None:
                self._video_transcriber = self.transcriber
            else:
                from chatops.bot.perception.audio import Transcriber

                whisper = self.config.whisper
                config = whisper.model_copy(update={"model": name,
                                                    "bias_decoding": whisper.bias_decoding and whisper.video_glossary})
                self._video_transcriber = Transcriber(config, max_seconds=self.config.max_audio_seconds,
                                                      executor=self.executor, vocabulary=self._vocabulary,
                                                      release_after=VIDEO_MODEL_RELEASE_AFTER)
        return self._video_transcriber

    def separate_video_model(self) -> str | None:
        """The model name videos are heard with when it is not the voice-note model, else None
        (`same`, the same name, a remote backend, or `base` without its extra: the fallback)."""
        whisper = self.config.whisper
        name = whisper.video_model
        if name in ("same", whisper.model) or whisper.backend != "local":
            return None
        from chatops.bot.perception.whisper_models import INSTALL_BASE, PACKAGED_BASE, base_installed

        if name == PACKAGED_BASE and not base_installed():
            if self._video_fallback is None:
                self._video_fallback = f"not installed: {INSTALL_BASE} (videos use {whisper.model})"
                log.warning("whisper.video_model = %r, but the whisper-base extra is not installed (%s): "
                            "videos are heard with the voice model %s", name, INSTALL_BASE, whisper.model)
            return None
        return name

    def video_speech_state(self) -> str | None:
        """For `/healthz`: the video model's state (`on first use`, `ready`, or `not installed: …`
        when it fell back to the voice model); None when videos use the voice model by design."""
        if self.separate_video_model() is None:
            return self._video_fallback
        loaded = self._video_transcriber is not None and self._video_transcriber.loaded
        return "ready" if loaded else "on first use"

    @property
    def corrector(self) -> VocabularyCorrector:
        """Re-spells misheard terms of the same vocabulary the decoding is biased with (empty, so
        a no-op, when `whisper.correct_transcript` is off)."""
        if self._corrector is None:
            whisper = self.config.whisper
            self._corrector = VocabularyCorrector([*whisper.vocabulary, *self._vocabulary]
                                                  if whisper.correct_transcript else [])
        return self._corrector

    def written(self, heard: str) -> tuple[str, list[Correction]]:
        """Speech as the planner reads it: spoken addresses normalised (`spoken`), then misheard
        vocabulary terms re-spelled (`correction`). Blocking on first use (the English word list
        loads): call it in a worker."""
        return self.corrector.correct(normalise_transcript(heard))

    @property
    def image_reader(self):
        if self._image_reader is None:
            from chatops.bot.perception.image import ImageReader

            self._image_reader = ImageReader(self.config.ocr, max_pixels=self.config.max_image_pixels,
                                             executor=self.executor)
        return self._image_reader

    @property
    def video_reader(self):
        if self._video_reader is None:
            from chatops.bot.perception.video import VideoReader

            self._video_reader = VideoReader(self.config.video, transcriber=self.video_transcriber,
                                             image_reader=self.image_reader)
        return self._video_reader

    def loaded_models(self) -> list[str]:
        loaded = []
        if self._transcriber is not None and self._transcriber.loaded:
            loaded.append(f"whisper:{self.config.whisper.model}")
        video = self._video_transcriber
        if video is not None and video is not self._transcriber and video.loaded:
            loaded.append(f"whisper-video:{video.config.model}")
        if self._image_reader is not None:
            loaded.append(f"ocr:{self.config.ocr.engine}")
        return loaded

    def transcriber_loaded(self) -> bool:
        return self._transcriber is not None and self._transcriber.loaded

    def speech_pending(self, attachments: list[Attachment]) -> str | None:
        """The notice for a message whose voice note (or clip) must wait for the local Whisper
        model to load; None when nothing waits (no sound, a remote Whisper, the model loaded, or
        the `voice` extra missing, which the note's own part says)."""
        kinds = {a.mime_type.split("/", 1)[0] for a in attachments}
        if not kinds & {"audio", "video"} or self.config.whisper.backend != "local" or not extras.present("voice"):
            return None
        waiting = ("audio" in kinds and not self.transcriber_loaded()) \
            or ("video" in kinds and not self.video_transcriber.loaded)
        if not waiting:
            return None
        what = "voice note" if "audio" in kinds else "clip"
        return (f"The speech model is still loading; your {what} waits for it and is transcribed in a "
                "moment (nothing is lost).")

    async def preload(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.executor, self.transcriber.load)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        for transcriber in (self._transcriber, self._video_transcriber):
            if transcriber is not None:
                transcriber.close()
        if self._image_reader is not None:
            self._image_reader.close()

    # --- perceiving -------------------------------------------------------------------------------

    async def perceive_message(self, text: str, attachments: list[Attachment], fetch: Fetch | None, *,
                               user: str = "") -> tuple[str, list[PerceivedPart]]:
        """The message as the planner reads it, and the part made of each attachment. File names
        are sanitised first (`safe_name`): they appear in part labels. Within the per-message
        limits (`max_attachments`, `max_message_pixels`) and `user`'s share of the workers."""
        for attachment in attachments:
            attachment.name = safe_name(attachment.name)
        limit = self.config.max_attachments
        kept, surplus = attachments[:limit], attachments[limit:]
        admitted = [self.queue.admit(user) for _ in kept]
        try:
            fetched = await asyncio.gather(*(
                self._fetch(attachment, fetch) if admitted[index] else _done(self.refusal(
                    attachment.name, attachment.mime_type.split("/", 1)[0],
                    f"was not read: {self.queue.max_queued} of your files are being read already; "
                    "send it again in a moment"))
                for index, attachment in enumerate(kept)))
            within = await self._within_pixel_budget(fetched)
            parts = list(await asyncio.gather(*(
                self._perceive_in_turn(item, user, attachment) if isinstance(item, MediaFile) else _done(item)
                for item, attachment in zip(within, kept, strict=True))))
        finally:
            for was_admitted in admitted:
                if was_admitted:
                    self.queue.leave(user)
        if surplus:
            names = ", ".join(a.name for a in surplus[:5]) + (", …" if len(surplus) > 5 else "")
            parts.append(PerceivedPart(name=surplus[0].name, kind="file", label=f"[{len(surplus)} more files]",
                                       text=f"were not read ({names}): a message may carry at most {limit} files",
                                       ok=False))
        rendered = [text.strip()] if text.strip() else []
        rendered += [part.render() for part in parts]
        return "\n".join(rendered), parts

    async def _fetch(self, attachment: Attachment, fetch: Fetch | None) -> MediaFile | PerceivedPart:
        """The attachment's bytes as a checked media file, or the part that says why not."""
        kind = attachment.mime_type.split("/", 1)[0]
        try:
            if fetch is None:
                raise PerceptionError("could not be fetched (this chat cannot download files)")
            data = await fetch(attachment, self.config.limit_for(declared_type(attachment.name, attachment.mime_type)))
            media = to_media(attachment.name, data, self.config.allowed_types)
            if len(data) > self.config.limit_for(media.mime_type):  # declared a video, but is not one
                raise PerceptionError(f"is larger than the {human_size(self.config.max_bytes)} limit")
        except PerceptionError as exc:
            return self.refusal(attachment.name, kind, str(exc))
        except Exception as exc:  # a platform download error must not end the turn
            log.warning("could not fetch %s: %s", attachment.name, exc)
            return self.refusal(attachment.name, kind, f"could not be fetched ({type(exc).__name__})")
        attachment.sha256 = media.sha256
        attachment.size = len(media.data)
        return media

    async def _within_pixel_budget(self, items: list[MediaFile | PerceivedPart]) -> list[MediaFile | PerceivedPart]:
        """Images in message order while their pixels (from the headers, read in a thread) fit
        `max_message_pixels` together; an image past the total becomes a refusal, unread."""
        budget, used = self.config.max_message_pixels, 0
        kept: list[MediaFile | PerceivedPart] = []
        for item in items:
            if isinstance(item, MediaFile) and item.kind == "image":
                pixels = await asyncio.to_thread(header_pixels, item.data)
                if used + pixels > budget:
                    item = self.refusal(item.name, "image", f"was not read: this message's images come to more "
                                                            f"than {budget / 1e6:g} megapixels together")
                else:
                    used += pixels
            kept.append(item)
        return kept

    async def _perceive_in_turn(self, media: MediaFile, user: str, attachment: Attachment) -> PerceivedPart:
        async with self.queue.turn(user):
            part = await self.perceive(media)
        if media.kind == "video" and part.kind == "audio":  # a voice note in a video container (webm)
            attachment.mime_type = "audio/" + media.mime_type.split("/", 1)[1]  # played as sound
        return part

    @staticmethod
    def refusal(name: str, kind: str, reason: str) -> PerceivedPart:
        noun = {"audio": "voice note", "image": "image", "video": "video"}.get(kind, "file")
        name = safe_name(name)
        return PerceivedPart(name=name, kind=kind or "file", label=f"[{noun}: {name}]", text=reason, ok=False)

    async def perceive(self, media: MediaFile) -> PerceivedPart:
        """One file's part, from the cache when the same bytes were perceived before."""
        if safe_name(media.name) != media.name:
            media = MediaFile(name=safe_name(media.name), data=media.data, mime_type=media.mime_type)
        if self.store is not None:
            cached = await self.store.cached_perception(media.sha256)
            if cached is not None:
                part = PerceivedPart.model_validate(cached)
                return part.model_copy(update={"name": media.name, "label": _relabel(part, media.name)})
        missing = self._missing_extra(media)
        if missing is not None:  # said in the thread, with the command; nothing is cached
            return self.refusal(media.name, media.kind, missing)
        started = time.perf_counter()
        try:
            if media.kind == "video" and await self._has_picture(media):
                part = await self._watch(media)
            elif media.kind in ("audio", "video"):
                part = await self._hear(media)
            elif media.kind == "image":
                part = await self._see(media)
            else:
                return self.refusal(media.name, media.kind, f"is {media.mime_type}, which I do not read")
        except PerceptionError as exc:
            return self.refusal(media.name, media.kind, str(exc))
        except Exception as exc:
            log.exception("perceiving %s failed", media.name)
            return self.refusal(media.name, media.kind, f"could not be processed ({type(exc).__name__})")
        timing = "video" if part.kind == "video" else "audio" if media.kind in ("audio", "video") else "image"
        self.timings.seconds[timing].append(time.perf_counter() - started)
        await self._give_back()
        if self.store is not None:
            await self.store.remember_perception(media.sha256, part.kind, part.model_dump(mode="json"))
        return part

    async def _give_back(self) -> None:
        """Return what the job freed to the kernel (`malloc_trim`, in a worker, a few ms). Decoded
        frames, OCR's tensors and Whisper's 30-second window free tens of MB that glibc would keep
        resident, raising the floor under the next job's peak (bench/results/issue23-memory-2.txt)."""
        with contextlib.suppress(RuntimeError):  # the executor was shut down: the bot is stopping
            await asyncio.get_running_loop().run_in_executor(self.executor, allocator.trim)

    def _missing_extra(self, media: MediaFile) -> str | None:
        """Why this file cannot be read here, when an extra it needs is not installed: sound is
        decoded with PyAV and heard by faster-whisper (`voice`), pictures are read with Pillow
        (`ocr`, and `photos` for RapidOCR); a video may need them all."""
        pictures = ("ocr", "photos") if self.config.ocr.engine == "rapidocr" else ("ocr",)
        needed = {"audio": ("voice",), "video": ("voice", *pictures), "image": pictures}.get(media.kind, ())
        for extra in needed:
            if not extras.present(extra):
                what = {"audio": "Voice notes", "video": "Video clips", "image": "Reading images"}[media.kind]
                return f"was not read: {extras.missing_message(extra, what)}"
        return None

    async def _hear(self, media: MediaFile) -> PerceivedPart:
        transcript = await self.transcriber.transcribe(media)
        raw = transcript.text.strip()
        corrections: list[Correction] = []
        if raw:
            loop = asyncio.get_running_loop()
            text, corrections = await loop.run_in_executor(self.executor, self.written, raw)
        else:
            text = "(no speech recognised)"
        details = transcript.model_dump(mode="json")
        if corrections:  # what was re-spelled, so the thread and the audit can show it
            details["corrections"] = [c.as_dict() for c in corrections]
        return PerceivedPart(name=media.name, sha256=media.sha256, kind="audio",
                             label=f"[voice note, {clock(transcript.duration)}]", text=text,
                             details=details, heard=raw if raw != text else None)

    async def _has_picture(self, media: MediaFile) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.video_reader.has_picture, media.data)

    async def _watch(self, media: MediaFile) -> PerceivedPart:
        """A clip's timeline: speech written like a voice note's (the raw words kept in `heard`),
        on-screen text as read (it is not corrected: OCR reads what is written)."""
        from chatops.bot.perception.video import timeline

        loop = asyncio.get_running_loop()
        reading = await loop.run_in_executor(self.executor, self.video_reader.read, media.data, media.name)
        said = [entry for entry in reading.entries if entry.kind == "said"]
        written = await loop.run_in_executor(self.executor, lambda: [self.written(e.text) for e in said])
        changed = False
        corrections: list[Correction] = []
        for entry, (text, changes) in zip(said, written, strict=True):
            changed = changed or text != entry.text
            corrections += changes
            entry.heard, entry.text = entry.text, text
        pieces = [timeline(reading.entries)] if reading.entries else []
        if not reading.entries:
            pieces.append("(no speech and no text on screen)" if reading.has_audio
                          else "(no sound, and no text on screen)")
        if reading.notes:
            pieces.append(f"({'; '.join(reading.notes)})")
        heard = reading.transcript.text if changed and reading.transcript else None
        details = reading.details()
        if corrections:
            details["corrections"] = [c.as_dict() for c in corrections]
        return PerceivedPart(name=media.name, sha256=media.sha256, kind="video",
                             label=f"[video {clock(reading.duration)}]", text="; ".join(pieces),
                             details=details, heard=heard)

    async def _see(self, media: MediaFile) -> PerceivedPart:
        reading = await self.image_reader.read(media)
        if self.vision_model is not None:
            from chatops.bot.perception.vision import describe_image

            try:
                reading.description = await describe_image(self.vision_model, media,
                                                           max_words=self.config.vision.max_words,
                                                           timeout=self.vision_timeout)
            except PerceptionError as exc:
                reading.description = None
                log.warning("no description for %s: %s", media.name, exc)
        pieces = []
        if reading.text.strip():
            pieces.append("text:\n" + reading.text.strip())
        if reading.description:
            pieces.append("description: " + reading.description.strip())
        text = "\n".join(pieces) or "(no text found)"
        return PerceivedPart(name=media.name, sha256=media.sha256, kind="image",
                             label=f"[image: {media.name}, {reading.width}×{reading.height} {reading.format.lower()}"
                                   f"{' photo' if reading.photo else ''}]",
                             text=text, details=reading.model_dump(mode="json"))


async def _done(part: PerceivedPart) -> PerceivedPart:
    return part


def _relabel(part: PerceivedPart, name: str) -> str:
    """A cached image part keeps its facts but shows the name the file has this time."""
    if part.kind == "image" and part.label.startswith("[image: "):
        facts = part.label.split(", ", 1)[1] if ", " in part.label else "]"
        return f"[image: {name}, {facts}"
    return part.label
