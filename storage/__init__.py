"""Persistence: a SQLite file (sqlite-utils) or a shared PostgreSQL database, reached only through
`Store`'s intent operations."""

import sys


def _import_sqlite_utils_without_numpy() -> None:
    """sqlite-utils imports numpy (and pandas) when it can, only to name their scalar types as
    column types; the store never writes numpy values. Importing numpy is most of sqlite-utils'
    import cost, and the store opens before `chatops run` listens, so it is hidden for this one
    import (numpy stays importable: the sentence encoder loads it later, in the background)."""
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    hidden = {name: sys.modules.get(name) for name in ("numpy", "pandas")}
    sys.modules.update(dict.fromkeys(hidden))  # None: `import numpy` raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]


_import_sqlite_utils_without_numpy()

from chatops.storage.store import Store  # noqa: E402

__all__ = ["Store"]
