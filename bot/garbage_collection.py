"""How often the cyclic garbage collector runs in a bot process.

Why: Python collects its youngest generation after every 700 net allocations of container objects.
With 100 turns in flight the live set swings by more than that all the time, so on the `!command`
fast path a young collection ran every ~30 turns, each traversing the turns still in flight (about
0.5 ms), and every few thousand turns a full collection walked every object the imported libraries
made (about 80 ms): together ~45 µs of a turn's ~0.35 ms of CPU (issue 23, measured with
`gc.callbacks`). A turn leaves almost no cyclic garbage behind (at a threshold of 10,000, one
young collection in 16,000 turns), so the threshold can be far higher: what a collection would
free is freed a little later, and there is never much of it.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # net container allocations between two young collections (Python's default: 700)


def tune_garbage_collection() -> None:
    """Raise the youngest generation's threshold, keeping the older generations' (once per
    process is enough; calling it again changes nothing)."""
    young, middle, old = gc.get_threshold()
    if young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
