"""The boundaries of DESIGN.md, checked on what each package really imports (in a fresh
interpreter, so nothing another test loaded can hide a dependency)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# importing the left never loads anything under the right
FORBIDDEN = [
    ("storage", ("bot.agent", "bot.hub", "adapters", "tools")),
    ("tools.registry", ("adapters", "storage", "bot.agent", "bot.hub")),
    ("bot.hub", ("adapters",)),
    ("bot.agent.planner", ("adapters", "storage")),
]


@pytest.mark.parametrize(("module", "forbidden"), FORBIDDEN)
def test_a_layer_never_imports_the_layers_above_it(module: str, forbidden: tuple[str, ...]) -> None:
    code = (f"import sys, {module}; "
            f"print('\\n'.join(sorted(m for m in sys.modules if m.startswith({forbidden!r}))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
