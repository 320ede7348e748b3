"""Peak memory of the bot with every model loaded, after a voice note, a screenshot and a planned
turn (issue 19's budget: under 800 MB; issue 23 tracks the 600 MB goal).

    .venv/bin/python bench/memory.py            # ~1 min on 2 cores
    .venv/bin/python bench/memory.py --media    # issue 26: also a video clip and a photo of a screen
    .venv/bin/python bench/memory.py --media --whisper base   # … with the packaged Whisper base model

One `chatops chat --json` process on the demo runbooks with perception preloaded (Whisper and
OCR), the embedded SmolLM2 and the planner's sentence encoder: a voice note, a screenshot with
"what is wrong here?", and a request only the sentence encoder understands (no word of the tool's
is in it). The peak of its resident set together with its children's (the embedded model is served
by a child process), sampled every 50 ms from /proc, is printed in MB, with the same
process's figure when the sentence encoder is absent (CHATOPS_NO_MEANING=1) as the baseline,
measured interleaved.
"""

from __future__ import annotations

import contextlib
import json
import os
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


def one_run(folder: Path, *, meaning: bool, media: bool = False) -> tuple[float, list[str]]:
    env = {**os.environ, "CHATOPS_NO_MEANING": "" if meaning else "1"}
    # an "n" after each turn that may wait for an approval (a stray one is just a message)
    said = ["/attach note.wav", "what is wrong here?", "n", "/attach shot.png", "what is wrong here?", "n",
            "evacuate node-7", "n", *(MEDIA if media else [])]
    process = subprocess.Popen([str(CHATOPS), "chat", "--json", "-c", "config.toml"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder, env=env, text=True)
    peak = [0]
    sampler = threading.Thread(target=_sample_tree, args=(process, peak), daemon=True)
    sampler.start()
    stdout, stderr = process.communicate("\n".join(said) + "\n", timeout=600)
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(stderr[-2000:])
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    plans = [",".join(step["tool"] for step in event["steps"]) for event in events if event["type"] == "plan"]
    return peak[0] / 1024, plans


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
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
    return total


def _sample_tree(process: subprocess.Popen[str], peak: list[int]) -> None:
    while process.poll() is None:
        peak[0] = max(peak[0], _tree_rss_kb(process.pid))
        time.sleep(0.05)


def main() -> int:
    media = "--media" in sys.argv
    whisper = sys.argv[sys.argv.index("--whisper") + 1] if "--whisper" in sys.argv else None  # e.g. "base"
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
        runs = [one_run(folder, meaning=flag, media=media) for flag in (False, True, False, True)]  # interleaved
        baseline, plans_without = min(runs[0::2])
        with_meaning, plans_with = max(runs[1::2])
    print(f"peak RSS without the sentence encoder: {baseline:.0f} MB; plans {plans_without}")
    print(f"peak RSS with it (all models loaded):  {with_meaning:.0f} MB; plans {plans_with}")
    print(f"added: {with_meaning - baseline:+.0f} MB; budget 800 MB: {'met' if with_meaning < 800 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
