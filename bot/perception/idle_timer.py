"""The idle timer that gives a model's memory back: restarted after each job, it fires once the
model has had none for a while (Whisper's video model, the RapidOCR engine).

Why one place: both readers restart it the same way, and a timer left behind (not cancelled, not
a daemon) keeps a process from exiting or frees a model in use."""

from __future__ import annotations

import threading
from collections.abc import Callable


def restarted(previous: threading.Timer | None, seconds: float, release: Callable[[], object],
              name: str) -> threading.Timer:
    """A new daemon timer calling `release` after `seconds`, the previous one cancelled."""
    if previous is not None:
        previous.cancel()
    timer = threading.Timer(seconds, release)
    timer.daemon = True
    timer.name = name
    timer.start()
    return timer
