"""MkDocs hook: drop nav entries whose page does not exist (yet).

Why: pages such as storage.md or architecture.md are written on other branches; the nav names
them now so they appear once merged, while `mkdocs build --strict` keeps failing on every other
broken reference (links inside pages, anchors, pages left out of the nav).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OPTIONAL = {"storage.md", "startup.md", "architecture.md"}


def _prune(items: list[Any], docs: Path) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        if isinstance(item, dict):
            (title, target), = item.items()
            if isinstance(target, list):
                target = _prune(target, docs)
                if target:
                    kept.append({title: target})
                continue
            if isinstance(target, str) and target in OPTIONAL and not (docs / target).is_file():
                continue
        kept.append(item)
    return kept


def on_config(config: Any, **_: Any) -> Any:
    config["nav"] = _prune(config["nav"], Path(config["docs_dir"]))
    return config
