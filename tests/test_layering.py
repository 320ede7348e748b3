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


def test_no_adapter_imports_the_store() -> None:
    """Adapters keep their cards through the hub (`Hub.cards`) and reach what else they read
    through the runtime's objects, never by importing `storage` themselves. (Checked on the
    source: each adapter package's `__init__` loads the runtime, which opens the store.)"""
    import ast
    from pathlib import Path

    offenders = []
    for path in sorted((Path(__file__).resolve().parent.parent / "adapters").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if any(name == "storage" or name.startswith("storage.") for name in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
