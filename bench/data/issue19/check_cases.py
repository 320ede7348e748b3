"""Check a blind held-out set of issue 19 without running any planner: every TOML loads, every case
loads, every expected step names an offered tool and its arguments validate against that tool
(and are already in the validated form: enum values, not aliases; ints, not strings), every
forbidden tool exists and is not expected, each runbook has at least four requests, and each case
file opens with the comment saying it was written blind.

    PYTHONPATH=$PWD .venv/bin/python bench/data/issue19/check_cases.py final2   # or final, final3
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from chatops.bot.config import load_config
from chatops.bot.evaluation import load_cases, offered_tools

HERE = Path(__file__).resolve().parent / (sys.argv[1] if len(sys.argv) > 1 else "final2")
SETS = (("unseen_runbooks.toml", "unseen_runbooks.jsonl"), ("realistic.toml", "realistic.jsonl"))
HEADER = "# Issue 19, "  # "…final held-out set, written blind (before the measurement, without running the planner)"
WRITTEN_BLIND = "written blind (before the measurement, without running the planner)"


def check(config_name: str, cases_name: str) -> list[str]:
    config = load_config(HERE / config_name)
    cases_path = HERE / cases_name
    specs, problems = offered_tools(config, cases_path)
    errors = [f"{config_name}: {problem}" for problem in problems]
    first = cases_path.read_text(encoding="utf-8").splitlines()[0]
    if HERE.name != "final" and not (first.startswith(HEADER) and WRITTEN_BLIND in first):
        errors.append(f"{cases_name}:1: the first line is not the written-blind comment")
    by_name = {spec.name: spec for spec in specs}
    cases = load_cases(cases_path)
    uses: Counter[str] = Counter()
    for case in cases:
        where = f"{cases_name}:{case.line}"
        for name in case.forbidden:
            if name not in by_name:
                errors.append(f"{where}: forbidden tool {name!r} is not offered")
            if any(step.tool == name for step in case.expected):
                errors.append(f"{where}: {name!r} is both expected and forbidden")
        for step in case.expected:
            spec = by_name.get(step.tool)
            if spec is None:
                errors.append(f"{where}: unknown tool {step.tool!r}")
                continue
            uses[step.tool] += 1
            try:
                valid = spec.validate(dict(step.args))
            except Exception as exc:  # report every kind of refusal
                errors.append(f"{where}: {step.tool} {step.args}: {exc}")
                continue
            for key, value in step.args.items():
                same_type = type(valid.get(key)) is type(value) or (
                    isinstance(value, int) and not isinstance(value, bool) and isinstance(valid.get(key), float))
                if key not in valid or valid[key] != value or not same_type:  # 4 for a float field is fine
                    errors.append(f"{where}: {step.tool}.{key}={value!r} validates as {valid.get(key)!r}")
    runbooks = [runbook.name for runbook in config.runbooks]
    for name in runbooks:
        if uses[name] < 4:
            errors.append(f"{config_name}: runbook {name} has only {uses[name]} expected steps")
    kinds = Counter("none" if not c.expected else "two+" if len(c.expected) > 1 else "one" for c in cases)
    print(f"{cases_name}: {len(cases)} cases ({dict(kinds)}), {sum(bool(c.forbidden) for c in cases)} with "
          f"forbidden, {sum(bool(c.history or c.earlier) for c in cases)} follow-ups, {len(runbooks)} runbooks, "
          f"{len(uses)} tools expected")
    return errors


def main() -> int:
    errors = [error for pair in SETS for error in check(*pair)]
    for error in errors:
        print(error)
    print("ok" if not errors else f"{len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
