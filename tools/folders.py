"""Python tools without packaging: every module in the `[tools] paths` folders is loaded like an
entry-point plugin, and loaded afresh on reload.

A module whose one `@tool` function is broken loses that function, not its neighbours (the
decorator marks it instead of raising while a folder loads), and every problem names its file
and line. A module that fails as a whole (a syntax error, a failing import) is reported the same
way and the other modules still load.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from chatops.tools.registry import ERROR_ATTRIBUTE, SPEC_ATTRIBUTE, ToolSpec, collecting_broken_tools, spec_of

MODULE_PREFIX = "chatops_tools_folder"


def folder_tools(paths: list[str], base: Path | None = None) -> tuple[list[ToolSpec], list[str]]:
    """(tools, problems) from every `*.py` in the folders (names starting with `_` are skipped).
    Relative folders are taken from `base` (the working directory, as for runbooks' `cwd`)."""
    specs: list[ToolSpec] = []
    problems: list[str] = []
    for folder in paths:
        path = (base or Path.cwd()) / folder
        if not path.is_dir():
            problems.append(f"tools.paths: {folder!r} is not a folder ({path})")
            continue
        for file in sorted(path.glob("*.py")):
            if file.name.startswith("_"):
                continue
            found, trouble = _module_tools(file)
            specs += found
            problems += trouble
    return specs, problems


def _module_tools(file: Path) -> tuple[list[ToolSpec], list[str]]:
    digest = hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:10]
    name = f"{MODULE_PREFIX}_{digest}_{file.stem}"
    module = _load(name, file)
    if isinstance(module, str):
        return [], [module]
    specs: list[ToolSpec] = []
    problems: list[str] = []
    for value in vars(module).values():
        if getattr(value, "__module__", None) != name:
            continue  # imported from elsewhere (a built-in, another plugin): not this module's tool
        error = getattr(value, ERROR_ATTRIBUTE, None)
        if error is not None:
            problems.append(f"plugin tool in {error}")
        elif hasattr(value, SPEC_ATTRIBUTE):
            specs.append(spec_of(value))
    return specs, problems


def _load(name: str, file: Path) -> ModuleType | str:
    """The freshly executed module, or the problem as `file:line: error`."""
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        return f"{file}: cannot be loaded as a Python module"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic models in the module resolve their names through it
    try:
        with collecting_broken_tools():
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        return f"{file}:{exc.lineno}: SyntaxError: {exc.msg}"
    except Exception as exc:
        sys.modules.pop(name, None)
        frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if Path(frame.filename) == file]
        line = frames[-1].lineno if frames else "?"
        return f"{file}:{line}: {type(exc).__name__}: {exc}"
    return module
