"""errbot's in-memory `TestBot` round trip: the fast path's baseline in `bench/pipeline.py`.

Runs only inside the throwaway virtualenv `bench/pipeline.py` builds for it (errbot is never a
dependency of the project). A plugin with one `!noop` command answering "ok" — the same work as
the bot's `!noop` — is loaded from a temporary folder, then:

  sequential  one command at a time: push, wait for the reply (concurrency 1)
  windows     `window` commands pushed at once, then their replies popped (concurrency `window`)

Prints one JSON object: {"version", "sequential": {count, seconds, cpu, latencies}, "windows": {...}}.

    <errbot venv>/bin/python bench/errbot_testbot.py 2000 2000 100
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from errbot.backends.test import TestBot
from errbot.version import VERSION

PLUGIN = '''
from errbot import BotPlugin, botcmd


class Noop(BotPlugin):
    """The benchmark's no-op command."""

    @botcmd
    def noop(self, msg, args):
        """Do nothing and say ok."""
        return "ok"
'''
PLUG = """[Core]
Name = Noop
Module = noop

[Documentation]
Description = the benchmark's no-op command

[Python]
Version = 3
"""
WARMUP = 50
POP_TIMEOUT = 30  # seconds; errbot's default (5) is short on a busy machine


def sequential(bot: TestBot, count: int) -> dict:
    latencies = []
    cpu, started = time.process_time(), time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        reply = bot.exec_command("!noop", timeout=POP_TIMEOUT)
        latencies.append(time.perf_counter() - t0)
        assert reply == "ok", reply
    return {"count": count, "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
            "latencies": latencies, "errors": 0}


def windows(bot: TestBot, count: int, window: int) -> dict:
    """`window` commands in flight at a time; a command's latency runs from its window's push.
    errbot 6.2.1 sometimes answers a command run concurrently with an internal error ("Computer
    says nooo ... pop from empty list"): such replies are counted as `errors`, not hidden (they
    are still round trips, so they count in the rate, which only flatters the baseline)."""
    latencies = []
    errors = 0
    cpu, started = time.process_time(), time.perf_counter()
    done = 0
    while done < count:
        n = min(window, count - done)
        t0 = time.perf_counter()
        for _ in range(n):
            bot.push_message("!noop")
        for _ in range(n):
            reply = bot.pop_message(timeout=POP_TIMEOUT)
            latencies.append(time.perf_counter() - t0)
            errors += reply != "ok"
        done += n
    return {"count": count, "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
            "latencies": latencies, "errors": errors}


def main() -> None:
    count_sequential, count_windows, window = (int(a) for a in sys.argv[1:4])
    with tempfile.TemporaryDirectory(prefix="chatops-bench-errbot-") as plugins:
        Path(plugins, "noop.py").write_text(PLUGIN)
        Path(plugins, "noop.plug").write_text(PLUG)
        bot = TestBot(extra_plugin_dir=plugins, loglevel=logging.ERROR)  # no debug logging: ours logs none
        bot.start()
        try:
            for _ in range(WARMUP):
                assert bot.exec_command("!noop") == "ok"
            result = {"version": VERSION,
                      "sequential": sequential(bot, count_sequential),
                      "windows": windows(bot, count_windows, window)}
        finally:
            bot.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
