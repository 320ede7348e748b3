"""Where a turn's PostgreSQL transactions come from: a statement trace of the bench's own server.

`bench/replicas.py --trace` turns on `log_statement = all` on the throwaway server the bench
started (never on anything the bot configures), runs a few sequential turns, turns it off again
and groups the logged statements by backend and virtual transaction id (`%v`): every group is
one transaction (a bare autocommit statement is one too). Each transaction is labelled by what
it does (`BEGIN` … `COMMIT` around "INSERT events, INSERT threads, …"), and the labels are
counted per turn, so the table says which operation of a turn costs which transactions.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import psycopg

PREFIX = "@@%p %v %d "
LINE = re.compile(r"^@@(\d+) (\S+) (\S+) LOG:  (?:statement|execute [^:]+): (.*)$")
WORDS = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|BEGIN|COMMIT|ROLLBACK|LISTEN|WITH)\s*(\w+)?",
                   re.IGNORECASE)


def start(server_url: str) -> None:
    """Log every statement, each line tagged with its backend, virtual transaction and database."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET log_line_prefix = '{PREFIX}'")
        conn.execute("ALTER SYSTEM SET log_statement = 'all'")
        conn.execute("SELECT pg_reload_conf()")


def stop(server_url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM RESET log_statement")
        conn.execute("ALTER SYSTEM RESET log_line_prefix")
        conn.execute("SELECT pg_reload_conf()")


def label(sql: str) -> str:
    """`INSERT events`, `SELECT threads`, `BEGIN`: enough to tell which operation sent it."""
    match = WORDS.match(sql)
    if not match:
        return sql.split(None, 1)[0].upper() if sql.strip() else "?"
    verb = match.group(1).split()[0].upper()
    if verb == "SELECT":
        table = re.search(r"\bFROM\s+(\w+)", sql, re.IGNORECASE)
        if table is None:
            name = re.search(r"SELECT\s+(\w+)", sql, re.IGNORECASE)
            return f"SELECT {name.group(1) if name else ''}()".strip()
        return f"SELECT {table.group(1)}"
    return f"{verb} {match.group(2) or ''}".strip()


def transactions(log: str, database: str) -> list[list[str]]:
    """The logged statements of `database`, grouped into transactions, in the order they began."""
    groups: dict[tuple[str, str], list[str]] = {}
    for line in log.splitlines():
        match = LINE.match(line)
        if match is None or match.group(3) != database:
            continue
        pid, vxid, _, sql = match.groups()
        groups.setdefault((pid, vxid), []).append(label(sql))
    return list(groups.values())


def signature(statements: list[str]) -> str:
    if len(statements) > 24:  # several turns' operations in one group commit
        return f"BEGIN … COMMIT: a shared batch of {len(statements) // 8 * 8}+ statements"
    inner = [s for s in statements if s not in ("BEGIN", "COMMIT")]
    collapsed: list[str] = []
    for s in inner:
        if collapsed and collapsed[-1].startswith(s + " ×"):
            count = int(collapsed[-1].rsplit("×", 1)[1]) + 1
            collapsed[-1] = f"{s} ×{count}"
        elif collapsed and collapsed[-1] == s:
            collapsed[-1] = f"{s} ×2"
        else:
            collapsed.append(s)
    body = ", ".join(collapsed)
    return f"BEGIN … COMMIT: {body}" if statements and statements[0] == "BEGIN" else f"bare: {body}"


def report(log_path: Path, offset: int, database: str, turns: int) -> str:
    """The table: each kind of transaction, how many per turn; the total per turn."""
    text = log_path.read_text(errors="replace")[offset:]
    found = transactions(text, database)
    counts = Counter(signature(t) for t in found)
    lines = [f"{len(found) / turns:.2f} transactions per turn ({len(found)} in {turns} turns), "
             f"{sum(len(t) for t in found) / turns:.1f} statements per turn:"]
    for sig, count in counts.most_common():
        lines.append(f"  {count / turns:5.2f}/turn  {sig}")
    return "\n".join(lines)
