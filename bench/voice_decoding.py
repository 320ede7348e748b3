"""Issue 26 item 3, TUNING of the model and the decoding: WER on the tuning sentences only.

    .venv/bin/python bench/voice_decoding.py --model tiny.en --setting hotwords --setting prompt
    .venv/bin/python bench/voice_decoding.py --model base --setting hotwords --save base.json
    .venv/bin/python bench/voice_decoding.py --load base.json   # re-score saved transcripts (no Whisper)
    .venv/bin/python bench/voice_decoding.py --video --compute-type float32 --setting none+minlead0.5

Sets: bench/data/jargon_tuning.py (12 ops + 8 plain, voices en-us and en-gb, its operator vocabulary)
and bench/voice_bias.py's (7 ops + 4 plain, en-us, its operator list): 51 clips. The held-out
sets (bench/voice_jargon.py, bench/data/jargon_heldout2.py) are never read here.

Each setting decodes every clip with faster-whisper as `bot.perception.audio.Transcriber` does
(the bot's glossary prompt `vocabulary_prompt`, its window rule, `condition_on_previous_text=False`,
int8, the bot's thread count), changing only what the setting names:

- `hotwords`  (the default): the glossary as faster-whisper's `hotwords`;
- `prompt`:   the glossary as `initial_prompt`;
- `both`:     as both;
- `none`:     no glossary (30 s windows);
- `+beamN`, `+nots` (`without_timestamps=True`), `+t0` (temperature 0 only: no fallback),
  `+spaces` (the glossary's terms joined by spaces, not commas: "Glossary: kafka istio vault."),
  `+sentence` (the terms in a sentence: "We talk about kafka, istio and vault.") may be appended:
  `hotwords+beam3+nots`.
- audio front-end extras (issue 26 round 4), applied to the 16 kHz samples before decoding:
  `+peak` (peak-normalised to -1 dBFS), `+rms` (RMS-normalised to -20 dBFS, peak kept below 0 dBFS),
  `+trim` (leading/trailing silence below -40 dBFS of the peak cut, 0.2 s kept), `+pad` (0.5 s of
  silence added on both sides), `+leadS` / `+tailS` (S seconds of silence before / after only),
  `+minleadS` (silence added before the speech only up to S seconds of lead-in).

`--compute-type` picks CTranslate2's compute type (int8 = the bot's default; float32, int8_float32,
int16 where the CPU supports it). `--video` wraps each tuning sentence in an audio-only mp4 (AAC,
speech starting at 0.5 s, made with ffmpeg as `tests.clips` makes clips) decoded as the bot decodes
a video's sound, the way tests/test_video_held_out.py's clips reach Whisper.

Every transcript is then written as the bot writes it (`Perceiver.written`: spoken forms, then the
vocabulary correction) and scored twice: `old` = tests/media.wer (lower case, no punctuation,
hyphens and digits glued to names split, single digits as words) and `norm` = tests/media.wer_normalised
(Whisper's English text normaliser, whisper-normalizer). Time = seconds of decoding for all clips
in this process (compare within one run: the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

from bench import voice_bias  # noqa: E402
from bench.data import jargon_tuning  # noqa: E402
from chatops.bot.config import PerceptionConfig  # noqa: E402
from chatops.bot.perception import audio  # noqa: E402
from chatops.bot.perception.pipeline import Perceiver  # noqa: E402
from tests.media import voice_note, wer, wer_normalised  # noqa: E402


def clips(video: bool = False) -> list[dict]:
    """Every tuning clip: reference, voice, kind, vocabulary, 16 kHz samples."""
    rows: list[dict] = []
    sets = [(jargon_tuning.OPS, jargon_tuning.PLAIN, jargon_tuning.VOCABULARY, jargon_tuning.VOICES),
            (voice_bias.OPS, voice_bias.PLAIN, voice_bias.glossaries()["values"], ["en-us"])]
    for ops, plain, words, voices in sets:
        for voice in voices:
            for text in [*ops, *plain]:
                rows.append({"ref": text, "voice": voice, "kind": "ops" if text in ops else "plain",
                             "vocabulary": list(words),
                             "samples": _samples(text, voice, video)})
    return rows


def _samples(text: str, voice: str, video: bool) -> object:
    if not video:
        return audio.decode(voice_note("ogg", text, voice=voice))
    return audio.decode_cut(_clip_with_voice(text, voice), 60.0)[0]


def _clip_with_voice(text: str, voice: str) -> bytes:
    """An audio-only mp4 of `text` in `voice` (AAC, starting at 0.5 s), as tests.clips makes them."""
    import subprocess

    from tests.media import _WORKDIR, _key, _speech_file

    wav = _speech_file(text, voice, 150)
    out = _WORKDIR / f"tune-{_key(text, voice)}.mp4"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(wav), "-c:a", "aac", "-af",
                    "adelay=500:all=1", str(out)], check=True, capture_output=True, timeout=60)
    return out.read_bytes()


def _lead_in(x: object) -> int:
    """Samples before the first 10 ms frame louder than -40 dB of the peak."""
    import numpy as np

    frame = audio.SAMPLE_RATE // 100
    usable = len(x) // frame * frame
    if not usable:
        return 0
    rms = np.sqrt(np.mean(np.asarray(x[:usable]).reshape(-1, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms > float(np.abs(x).max()) * 0.01)
    return int(loud[0]) * frame if len(loud) else len(x)


def front_end(samples: object, setting: str) -> object:
    """The samples after the setting's audio front-end extras (`+trim`, `+peak`, `+rms`, then the
    silences: `+pad`, `+leadS`, `+tailS`, `+minleadS`)."""
    import numpy as np

    x = np.asarray(samples, dtype=np.float32)
    peak = float(np.abs(x).max()) if len(x) else 0.0
    if "+trim" in setting and peak > 0:
        loud = np.flatnonzero(np.abs(x) > peak * 10 ** (-40 / 20))
        keep = int(0.2 * audio.SAMPLE_RATE)
        x = x[max(0, loud[0] - keep): loud[-1] + keep]
    if "+peak" in setting and peak > 0:
        x = x * (10 ** (-1 / 20) / peak)
    if "+rms" in setting and peak > 0:
        rms = float(np.sqrt(np.mean(x ** 2)))
        gain = min(10 ** (-20 / 20) / rms, 0.99 / float(np.abs(x).max()))
        x = x * gain
    rate = audio.SAMPLE_RATE
    for extra in setting.split("+")[1:]:
        before = after = 0.0
        if extra.startswith("minlead"):  # silence only up to this lead-in
            before = max(0.0, float(extra[7:]) - _lead_in(x) / rate)
        elif extra == "pad":
            before = after = 0.5
        elif extra.startswith("lead"):
            before = float(extra[4:] or 0.5)
        elif extra.startswith("tail"):
            after = float(extra[4:] or 0.5)
        if before or after:
            x = np.concatenate([np.zeros(int(before * rate), np.float32), x, np.zeros(int(after * rate), np.float32)])
    return x.astype(np.float32)


def options(setting: str, prompt: str | None) -> dict:
    """faster-whisper's `transcribe` keywords for a setting name (see the module's docstring)."""
    bias, *extras = setting.split("+")
    chosen = {"beam_size": 5, "condition_on_previous_text": False}
    if bias in ("hotwords", "both"):
        chosen["hotwords"] = prompt
    if bias in ("prompt", "both"):
        chosen["initial_prompt"] = prompt
    if bias not in ("hotwords", "prompt", "both", "none"):
        raise SystemExit(f"unknown setting {setting!r}")
    chosen["chunk_length"] = audio.PROMPTED_WINDOW if prompt and bias != "none" else audio.WHISPER_WINDOW
    for extra in extras:
        if extra.startswith("beam"):
            chosen["beam_size"] = int(extra[4:])
        elif extra == "nots":
            chosen["without_timestamps"] = True
        elif extra == "t0":
            chosen["temperature"] = 0.0
        elif extra in ("spaces", "sentence"):
            pass  # the prompt's form: `form`
        elif extra in ("peak", "rms", "trim", "pad") or extra.startswith(("lead", "tail", "minlead")):
            pass  # the audio front-end: `front_end`
        else:
            raise SystemExit(f"unknown option {extra!r}")
    return chosen


def form(prompt: str, setting: str) -> str:
    """The bot's glossary prompt, re-worded when the setting asks (`+spaces`, `+sentence`)."""
    if not prompt:
        return prompt
    terms = prompt.removeprefix("Glossary: ").removesuffix(".").split(", ")
    if "+spaces" in setting:
        return "Glossary: " + " ".join(terms) + "."
    if "+sentence" in setting:
        return "We talk about " + (", ".join(terms[:-1]) + " and " + terms[-1] if len(terms) > 1 else terms[0]) + "."
    return prompt


def transcribe(model_name: str, setting: str, rows: list[dict], compute_type: str = "int8") -> tuple[list[str], float]:
    from faster_whisper import WhisperModel

    model = WhisperModel(audio.resolve_model(model_name), device="cpu", compute_type=compute_type,
                         cpu_threads=audio.cpu_threads())
    heard, spent = [], 0.0
    for row in rows:
        prompt = form(audio.vocabulary_prompt(row["vocabulary"]), setting) or None
        started = time.perf_counter()
        samples = front_end(row["samples"], setting)
        segments, _ = model.transcribe(samples, language="en", **options(setting, prompt))
        heard.append(audio._tidy(" ".join(s.text for s in segments)))
        spent += time.perf_counter() - started
    return heard, spent


def score(rows: list[dict], heard: list[str]) -> dict[str, float]:
    """Mean WER by kind, raw and written (`fixed`), under both metrics."""
    perceivers: dict[tuple[str, ...], Perceiver] = {}
    found: dict[str, list[float]] = {}
    for row, said in zip(rows, heard, strict=True):
        key = tuple(row["vocabulary"])
        if key not in perceivers:
            perceivers[key] = Perceiver(PerceptionConfig(), vocabulary=key)
        fixed, _ = perceivers[key].written(said)
        for metric, function in (("old", wer), ("norm", wer_normalised)):
            for form, text in (("raw", said), ("fixed", fixed)):
                found.setdefault(f"{metric} {form} {row['kind']}", []).append(function(row["ref"], text))
    for perceiver in perceivers.values():
        perceiver.close()
    return {name: statistics.mean(values) for name, values in found.items()}


def report(model_name: str, setting: str, rows: list[dict], heard: list[str], spent: float) -> None:
    s = score(rows, heard)
    cells = "  ".join(f"{metric} {form} {s[f'{metric} {form} ops']:.3f}/{s[f'{metric} {form} plain']:.3f}"
                      for metric in ("old", "norm") for form in ("raw", "fixed"))
    print(f"{model_name:14} {setting:24} {cells}  {spent:6.1f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--setting", action="append")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--load", type=Path)
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--video", action="store_true", help="the sentences as audio-only mp4 clips (AAC)")
    args = parser.parse_args()
    print("# (ops/plain mean WER over 51 tuning clips; old = tests/media.wer, norm = Whisper's normaliser)")
    if args.load:
        saved = json.loads(args.load.read_text())
        # one run's file ({"rows", "runs"}), or several by mode ({"ogg": {...}, "video": {...}}: round 4's)
        for mode, part in ([("", saved)] if "rows" in saved else saved.items()):
            for run in part["runs"]:
                report(f"{mode} {run['model']}".strip(), run["setting"], part["rows"], run["heard"], run["seconds"])
        return 0
    rows = clips(args.video)
    runs = []
    name = args.model if args.compute_type == "int8" else f"{args.model}/{args.compute_type}"
    for setting in args.setting or ["hotwords"]:
        heard, spent = transcribe(args.model, setting, rows, args.compute_type)
        runs.append({"model": name, "setting": setting, "heard": heard, "seconds": spent})
        report(name, setting, rows, heard, spent)
    if args.save:
        kept = [{k: v for k, v in row.items() if k != "samples"} for row in rows]
        args.save.write_text(json.dumps({"rows": kept, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
