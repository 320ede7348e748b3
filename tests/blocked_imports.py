"""Run the `chatops` command with some packages unimportable, as on an install without their extra.

    PYTHONPATH=. python -m tests.blocked_imports faster_whisper,av run --config chatops.toml

(as a module: run as a script, `tests/` would come first on `sys.path` and `tests/http` would
hide the standard library's `http`).

A finder first on `sys.meta_path` refuses the named top-level packages (and everything under
them) the way a missing distribution does, with `ModuleNotFoundError`; both `import x` and
`importlib.util.find_spec("x")` see it, so the bot finds the extra missing exactly as it would.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder


class Unimportable(MetaPathFinder):
    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def block(names: set[str]) -> None:
    """Make these top-level packages unimportable in this interpreter from now on."""
    sys.meta_path.insert(0, Unimportable(names))


def main() -> None:
    block({name for name in sys.argv[1].split(",") if name})
    sys.argv = ["chatops", *sys.argv[2:]]
    from chatops.bot.cli import main as chatops

    chatops()


if __name__ == "__main__":
    main()
