"""Peak memory of the bot with every model loaded, after a voice note, a screenshot and a planned
turn (issue 19's budget: under 800 MB; issue 23 tracks the 600 MB goal).

    .venv/bin/python bench/memory.py            # 3 runs of each kind, ~1 min on 2 cores
    .venv/bin/python bench/memory.py --media    # issue 26: also a video clip and a photo of a screen
    .venv/bin/python bench/memory.py --media --whisper base   # … with the packaged Whisper base model
    .venv/bin/python bench/memory.py --runs 5 --against /path/to/baseline-checkout   # before/after

One `chatops chat --json` process on the demo runbooks with perception preloaded (Whisper and
OCR), the embedded SmolLM2 and the planner's sentence encoder: a voice note, a screenshot with
"what is wrong here?", and a request only the sentence encoder understands (no word of the tool's
is in it). The peak of its resident set together with its children's (the embedded model is served
by a child process), sampled every 50 ms from /proc, is printed in MB, with the same
process's figure when the sentence encoder is absent (CHATOPS_NO_MEANING=1), measured interleaved.

Every run starts with an empty database: perception results are cached by the file's hash, so a
second run in the same folder would neither transcribe nor read anything (before 2026-12-06 the
runs after the first did exactly that). `--against DIR` runs another checkout's code (through
PYTHONPATH) in turn with this one: baseline, this, baseline, this… and prints both.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.media import speech_wav  # noqa: E402
from tests.screens import terminal_screenshot  # noqa: E402

CHATOPS = Path(sys.executable).parent / "chatops"
CONFIG = """
[perception]
preload = true

[[runbooks]]
name = "evict_host"
description = "Drain a Kubernetes node: evict its pods and cordon it"
argv = ["echo", "{node}"]
risk = "write"
[runbooks.params.node]
pattern = "^[a-z0-9][a-z0-9.-]*$"
description = "The node, e.g. node-7"
"""


MEDIA = ["/attach clip.mp4", "what is this?", "n", "/attach photo.jpg", "what is wrong here?", "n"]


def one_run(folder: Path, *, meaning: bool, media: bool = False,
            code: Path = ROOT) -> tuple[float, float, float, list[str]]:
    """One chat in a fresh copy of `folder` (an empty database): the peak of the process tree
    (RSS), of the bot's own process (RSS) and of the tree by PSS, in MB, and each plan's tools."""
    with tempfile.TemporaryDirectory() as name:
        work = Path(name)
        for item in folder.iterdir():
            if item.is_file():
                shutil.copy(item, work / item.name)
        return _chat(work, meaning=meaning, media=media, code=code)


def _chat(folder: Path, *, meaning: bool, media: bool, code: Path) -> tuple[float, float, float, list[str]]:
    env = {**os.environ, "CHATOPS_NO_MEANING": "" if meaning else "1",
           "PYTHONPATH": os.pathsep.join([str(code), *filter(None, [os.environ.get("PYTHONPATH")])])}
    # an "n" after each turn that may wait for an approval (a stray one is just a message)
    said = ["/attach note.wav", "what is wrong here?", "n", "/attach shot.png", "what is wrong here?", "n",
            "evacuate node-7", "n", *(MEDIA if media else [])]
    process = subprocess.Popen([str(CHATOPS), "chat", "--json", "-c", "config.toml"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder, env=env, text=True)
    peak = [0, 0, 0]
    sampler = threading.Thread(target=_sample_tree, args=(process, peak), daemon=True)
    sampler.start()
    stdout, stderr = process.communicate("\n".join(said) + "\n", timeout=600)
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(stderr[-2000:])
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    plans = [",".join(step["tool"] for step in event["steps"]) for event in events if event["type"] == "plan"]
    return peak[0] / 1024, peak[1] / 1024, peak[2] / 1024, plans


def _tree_rss_kb(pid: int) -> int:
    """Resident kilobytes of a process and all its descendants (the embedded model's server is a
    child of the bot: counted with it)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{current}/status").read_text()
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")),
                          0)  # a zombie has none
            pending += _children(current)
    return total


def _children(pid: int) -> list[int]:
    """The process's children, less any that is still a copy of it: between fork and exec a child
    has its parent's command line and shares its pages, and counting it would count the bot twice
    (a 930 MB "peak" for a 470 MB bot while it started Tesseract)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        parent = Path(f"/proc/{pid}/cmdline").read_bytes()
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    return [child for child in found if _cmdline(child) not in (parent, b"")]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _tree_pss_kb(pid: int) -> int:
    """Proportional kilobytes of the tree: a page two processes share counts half in each. Unlike
    RSS it does not count the bot twice while a child it forks (Tesseract, ffmpeg) has not yet
    replaced itself with the program: between fork and exec the child's RSS is the bot's."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
            pending += _children(current)
    return total


def _sample_tree(process: subprocess.Popen[str], peak: list[int]) -> None:
    """peak[0]: the most the tree held at once (RSS); peak[1]: the most the bot's own process
    held; peak[2]: the tree's most by PSS."""
    while process.poll() is None:
        peak[0] = max(peak[0], _tree_rss_kb(process.pid))
        peak[1] = max(peak[1], _rss_kb(process.pid))
        peak[2] = max(peak[2], _tree_pss_kb(process.pid))
        time.sleep(0.05)


def spread(values: list[float]) -> str:
    """min / median / max, in MB."""
    return f"{min(values):.0f} / {statistics.median(values):.0f} / {max(values):.0f}"


def main() -> int:
    if {"-h", "--help"} & set(sys.argv[1:]):  # the options are read by hand: say them, run nothing
        print(__doc__)
        return 0
    media = "--media" in sys.argv
    whisper = sys.argv[sys.argv.index("--whisper") + 1] if "--whisper" in sys.argv else None  # e.g. "base"
    count = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    against = Path(sys.argv[sys.argv.index("--against") + 1]).resolve() if "--against" in sys.argv else None
    codes = {"baseline": against, "this": ROOT} if against else {"this": ROOT}
    from bench.machine import stamp

    measured = stamp()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        extra = f'\n[perception.whisper]\nmodel = "{whisper}"\n' if whisper else ""
        (folder / "config.toml").write_text(CONFIG.replace("preload = true\n", "preload = true\n" + extra, 1))
        speech_wav("is nginx on web one down", folder / "note.wav")
        (folder / "shot.png").write_bytes(terminal_screenshot(["$ curl -s http://127.0.0.1:8099/health",
                                                               "curl: (7) Failed to connect to 127.0.0.1 port 8099"]))
        if media:  # an 8 s 720p terminal recording with speech and a phone photo of a dialog (held-out sets)
            from tests.clips import clip
            from tests.photo_set import held_out_photos
            from tests.video_set import held_out_clips

            item = held_out_clips()[0]
            (folder / "clip.mp4").write_bytes(clip(item.slides, speech=item.speech, speech_at=item.speech_at))
            (folder / "photo.jpg").write_bytes(held_out_photos()[8].data)
        found: dict[tuple[str, bool], list[tuple[float, float, float, list[str]]]] = {}
        for _ in range(count):  # interleaved: each kind once per round
            for label, code in codes.items():
                for meaning in (False, True):
                    found.setdefault((label, meaning), []).append(
                        one_run(folder, meaning=meaning, media=media, code=code))
    print(f"# bench/memory.py{' --media' if media else ''}{f' --whisper {whisper}' if whisper else ''}: "
          f"{measured.done().line()}")
    for label, code in codes.items():
        print(f"## {label}: {code}")
        for meaning in (False, True):
            runs = found[(label, meaning)]
            kind = "with the sentence encoder (all models)" if meaning else "without the sentence encoder"
            trees = [run[0] for run in runs]
            print(f"peak RSS {kind}: {spread(trees)} MB (min / median / max of {len(runs)}); the bot's own "
                  f"process {spread([run[1] for run in runs])} MB; the tree by PSS {spread([run[2] for run in runs])}"
                  f" MB; goal 600 MB: {'met' if max(trees) <= 600 else 'missed'}; budget 800 MB: "
                  f"{'met' if max(trees) <= 800 else 'MISSED'}; plans {runs[-1][3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
