"""How often the cyclic garbage collector runs in a bot process.

Why: Python collects its youngest generation after every 700 net allocations of container objects.
With 100 turns in flight the live set swings by more than that all the time, so on the `!command`
fast path a young collection ran every ~30 turns, each traversing the turns still in flight (about
0.5 ms), and every few thousand turns a full collection walked every object the imported libraries
made (about 80 ms): together ~30 µs of a turn's ~0.3 ms of CPU (issue 23, measured with
`gc.callbacks`: 287 young and 2 full collections in 8,000 turns). At 3,000 it was 24 young and no
full one (~6 µs a turn). Higher still (10,000: one in 16,000 turns) would save a little more, but
the threshold counts objects, not bytes: garbage cycles holding large buffers (a tool's big
output in a traceback) wait that much longer to be freed, and the chaos soak's 3-minute RSS
slope was +2.1 and +3.9 MB per 10 minutes at 10,000 against +1.9 at 700 (two runs and one; noisy).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 3_000  # net container allocations between two young collections (Python's default: 700)


def tune_garbage_collection() -> None:
    """Raise the youngest generation's threshold, keeping the older generations' (once per
    process is enough; calling it again changes nothing)."""
    young, middle, old = gc.get_threshold()
    if young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
