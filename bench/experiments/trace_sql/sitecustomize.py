"""Trace every statement SQLite runs in a process (each distinct one once, literals kept), for the
query-plan comparison of issue 23 (`bench/experiments/query_plans.py`):

    SQL_TRACE_OUT=/tmp/sql.txt PYTHONPATH=bench/experiments/trace_sql:. .venv/bin/python -m pytest tests/...
"""

import os
import re
import sqlite3
import threading

_OUT = os.environ.get("SQL_TRACE_OUT")
_LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
_HEADS = ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH", "REPLACE")

if _OUT:
    _lock = threading.Lock()
    _seen: set[str] = set()
    _connect = sqlite3.connect

    def _log(sql: str) -> None:
        text = " ".join(sql.split())
        if not text or text.split(" ", 1)[0].upper() not in _HEADS:
            return
        key = re.sub(r"\?(, \?)+", "?...", _LITERAL.sub("?", text))
        with _lock:
            if key in _seen:
                return
            _seen.add(key)
            with open(_OUT, "a") as out:
                out.write(text + "\n")

    def _traced_connect(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = _connect(*args, **kwargs)
        conn.set_trace_callback(_log)
        return conn

    sqlite3.connect = _traced_connect
