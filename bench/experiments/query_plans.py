"""EXPLAIN QUERY PLAN of every statement traced (bench/experiments/trace_sql) from the tests, on the
schemas of two checkouts: index use per index, and every statement whose plan changed.

    .venv/bin/python bench/experiments/query_plans.py MAIN_TREE BRANCH_TREE main-sql.txt branch-sql.txt
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

PROBE = r'''
import glob, json, os, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from chatops.storage.sqlite import connect
path = Path(sys.argv[3])
for old in glob.glob(str(path) + "*"):
    os.remove(old)
db = connect(path)
db.execute("CREATE TEMP TABLE pruned_threads (id TEXT PRIMARY KEY)")
out = {"indexes": [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")], "plans": {}}
for sql in open(sys.argv[2]):
    sql = sql.strip()
    if not sql or "sqlite_" in sql or sql[:6].lower() == "pragma":
        continue
    try:
        out["plans"][sql] = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()]
    except Exception:
        pass
print(json.dumps(out))
'''
LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
INDEX = re.compile(r"USING (?:COVERING )?INDEX (\w+)|USING (INTEGER PRIMARY KEY)")
SCAN = re.compile(r"\bSCAN (\w+)(?! USING (?:COVERING )?INDEX)")


def probe(tree: str, sql_file: str, db: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, tree, sql_file, db], capture_output=True, text=True,
                          env={"PYTHONPATH": tree, "PATH": "/usr/bin"}, check=True)
    return json.loads(done.stdout)


def shape(sql: str) -> str:
    return re.sub(r"\?(, \?)+", "?...", LITERAL.sub("?", sql))


def uses(plan: list[str]) -> set[str]:
    return {m.group(1) or m.group(2) for line in plan for m in INDEX.finditer(line)}


def scans(plan: list[str]) -> set[str]:
    return {m.group(1) for line in plan for m in SCAN.finditer(line)}


def main() -> None:
    base_tree, branch_tree, base_sql, branch_sql = sys.argv[1:5]
    a = probe(base_tree, base_sql, "/tmp/query-plans-main.db")
    b = probe(branch_tree, branch_sql, "/tmp/query-plans-branch.db")
    main_plans = {}
    for sql, plan in a["plans"].items():
        main_plans.setdefault(shape(sql), (sql, plan))
    branch_plans = {}
    for sql, plan in b["plans"].items():
        branch_plans.setdefault(shape(sql), (sql, plan))

    def count(plans: dict, name: str) -> int:
        return sum(1 for _, plan in plans.values() if name in uses(plan))

    both = set(main_plans) & set(branch_plans)
    print(f"distinct statements: main {len(main_plans)}, branch {len(branch_plans)}; in both {len(both)}")
    print("\nindex                                    main-uses  branch-uses")
    for name in sorted(set(a["indexes"]) | set(b["indexes"])):
        left = count(main_plans, name) if name in a["indexes"] else "-"
        right = count(branch_plans, name) if name in b["indexes"] else "(dropped)"
        print(f"  {name:40s} {left:>8}  {right:>10}")
    print("\nstatements in both whose plan changed (main -> branch):")
    lost = []
    for key in sorted(both):
        before, after = main_plans[key][1], branch_plans[key][1]
        if before != after:
            print(f"- {main_plans[key][0][:230]}\n    main:   {' / '.join(before)}\n    branch: {' / '.join(after)}")
            if uses(before) and scans(after) - scans(before):
                lost.append(key)
    print("\nstatements only in main (rewritten on the branch):")
    for key in sorted(set(main_plans) - set(branch_plans)):
        print(f"- {main_plans[key][0][:230]}\n    main:   {' / '.join(main_plans[key][1])}")
    print("\nstatements only on the branch:")
    for key in sorted(set(branch_plans) - set(main_plans)):
        print(f"- {branch_plans[key][0][:230]}\n    branch: {' / '.join(branch_plans[key][1])}")
    print(f"\nstatements that used an index on main and scan a table on the branch: {len(lost)}")
    for key in lost:
        print("   ", main_plans[key][0][:200])


if __name__ == "__main__":
    main()
