"""errbot's cold start: a fresh process starts its in-memory `TestBot` and answers `!echo hi`.

The baseline of `bench/startup.py` (beside `chatops run` → `/healthz` 200). Runs only inside the
throwaway virtualenv `bench/startup.py` builds for errbot (errbot is never a dependency of the
project); the parent times the process from spawn to the reply printed on stdout.

    <errbot venv>/bin/python bench/errbot_first_echo.py
"""

from __future__ import annotations

import logging
import sys

from errbot.backends.test import TestBot
from errbot.version import VERSION

POP_TIMEOUT = 60  # seconds; errbot's default (5) is short on a busy machine


def main() -> None:
    bot = TestBot(loglevel=logging.ERROR)
    bot.start(timeout=POP_TIMEOUT)
    reply = bot.exec_command("!echo hi", timeout=POP_TIMEOUT)
    print(f"{reply} errbot {VERSION}", flush=True)  # the parent stops its clock on this line
    bot.stop()


if __name__ == "__main__":
    sys.exit(main())
