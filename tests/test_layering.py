"""The boundaries of DESIGN.md, checked on what each package really imports (in a fresh
interpreter, so nothing another test loaded can hide a dependency)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# importing the left never loads anything under the right
FORBIDDEN = [
    ("chatops.storage", ("chatops.bot.agent", "chatops.bot.hub", "chatops.adapters", "chatops.tools")),
    ("chatops.tools.registry", ("chatops.adapters", "chatops.storage", "chatops.bot.agent", "chatops.bot.hub")),
    ("chatops.bot.hub", ("chatops.adapters",)),
    ("chatops.bot.agent.planner", ("chatops.adapters", "chatops.storage")),
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
            if any(name == "chatops.storage" or name.startswith("chatops.storage.") for name in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_the_code_imports_its_packages_only_under_the_chatops_root() -> None:
    """`import tools` would load another distribution's `tools` once installed (or a second copy
    of ours from a checkout): every import of the four folders goes through `chatops.`."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    bare = ("bot", "tools", "adapters", "storage")
    offenders = []
    for folder in ("bot", "adapters", "tools", "storage", "tests", "bench", "chatops"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else \
                    [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                if any(name.split(".")[0] in bare for name in names):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
