"""Write the figures of a benchmark run into bench/README.md, so the table is the run, not a copy of it.

`bench/pipeline.py --json FILE` and `bench/growth.py --json FILE` write their figures; this script
renders each as Markdown between its markers in bench/README.md
(`<!-- figures:pipeline -->` … `<!-- /figures:pipeline -->`, the same for `growth`), with when and
on what they were measured. Hand-edited numbers went stale before ("6 store calls/turn" long after
the code did 2); a regenerated table cannot.

    .venv/bin/python bench/pipeline.py --turns 1000 --json bench/results/pipeline.json
    .venv/bin/python bench/growth.py --sizes 10000,100000 --json bench/results/growth.json
    .venv/bin/python bench/readme_figures.py bench/results/pipeline.json bench/results/growth.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent / "README.md"


def measured_line(measured: dict[str, Any]) -> str:
    libraries = ", ".join(f"{name} {version}" for name, version in measured["packages"].items())
    return (f"Measured {measured['start']} – {measured['end']} on `{measured['host']}`: {measured['cores']} cores "
            f"({measured['cpu']}), Python {measured['python']}, {libraries}; load average "
            f"{measured['load_at_start']:.2f} at the start (other agents' work shares these cores).")


def spread(values: list[float], digits: int = 0) -> str:
    return " / ".join(f"{value:,.{digits}f}" for value in values)


def pipeline(figures: dict[str, Any]) -> str:
    settings = figures["settings"]
    lines = [measured_line(figures["measured"]), "",
             f"`bench/pipeline.py --turns {settings['turns']} --repeats {settings['repeats']}` "
             f"({settings['turns']} turns at concurrency 100, {settings['turns_at_1']} at 1, store dispatch "
             f"`{settings['dispatch']}`). Rates are min / median / max over the {settings['repeats']} repeats; "
             "latency and CPU are medians.", "",
             "| measurement | conc | rate (min / median / max) | p50 ms | p99 ms | CPU ms/turn | note |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for row in figures["rows"]:
        lines.append(f"| {row['name']} | {row['concurrency']} | {spread(row['rate'])} {row['unit']} | "
                     f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['cpu_ms']:.3f} | {row['note']} |")
    lines += ["", "Ratios between neighbours (baseline measured just before the bot), min / median / max over "
              "the pairs; by CPU is the baseline's CPU per operation over the bot's:", "",
              "| bot / baseline | conc | by rate | by CPU | target (on the medians) |", "|---|---:|---:|---:|---|"]
    for ratio in figures["ratios"]:
        target = ratio["target"]
        verdict = "–" if target is None else \
            ("**PASS**" if min(ratio["by_rate"][1], ratio["by_cpu"][1]) >= target else "**FAIL**") + f" ≥ {target:.2f}"
        lines.append(f"| {ratio['bot']} / {ratio['baseline']} | {ratio['concurrency']} | "
                     f"{spread(ratio['by_rate'], 2)} | {spread(ratio['by_cpu'], 2)} | {verdict} |")
    return "\n".join(lines)


def growth(figures: dict[str, Any]) -> str:
    sizes = [str(size) for size in figures["settings"]["sizes"]]
    base = sizes[0]
    lines = [measured_line(figures["measured"]), "",
             f"`bench/growth.py --sizes {','.join(sizes)} --repeats {figures['settings']['rounds']}`: medians per "
             f"size; each larger size's ratio to {int(base):,} stored turns taken round by round (the order of the "
             "sizes alternating), min / median / max; the base itself is not counted.", "",
             "| operation | " + " | ".join(f"{int(size):,} turns" for size in sizes) + " | "
             + " | ".join(f"{int(size):,} / {int(base):,}" for size in sizes[1:]) + " |",
             "|---|" + "---:|" * (2 * len(sizes) - 1)]
    for row in figures["rows"]:
        lines.append(f"| {row['operation']} | " + " | ".join(f"{row['median_ms'][size]:.2f} ms" for size in sizes)
                     + " | " + " | ".join(f"{spread(row['ratios'][size], 2)}×" for size in sizes[1:]) + " |")
    lines.append("| long thread reply | " + " | ".join(f"{figures['reply_kb'][size]:.1f} KB" for size in sizes)
                 + " |" + " |" * (len(sizes) - 1))
    lines.append("| bytes per stored turn | " + " | ".join(f"{figures['bytes_per_turn'][size]:,.0f}" for size in sizes)
                 + " |" + " |" * (len(sizes) - 1))
    worst = max(row["worst_median_ratio"] for row in figures["rows"])
    lines += ["", f"Target: every median ratio ≤ {figures['target']}× — "
              + ("**PASS**" if worst <= figures["target"] else "**FAIL**") + f" (worst median {worst:.2f}×)."]
    return "\n".join(lines)


RENDER = {"pipeline": pipeline, "growth": growth}


def replace_section(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- figures:{name} -->\n).*?(<!-- /figures:{name} -->)", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"bench/README.md has no <!-- figures:{name} --> … <!-- /figures:{name} --> markers")
    return pattern.sub(lambda match: match.group(1) + body + "\n" + match.group(2), text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("figures", nargs="+", type=Path, help="JSON files written by the benches' --json")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args()
    text = args.readme.read_text(encoding="utf-8")
    for path in args.figures:
        figures = json.loads(path.read_text(encoding="utf-8"))
        text = replace_section(text, figures["bench"], RENDER[figures["bench"]](figures))
        print(f"{args.readme}: {figures['bench']} figures from {path} ({figures['measured']['start']})")
    args.readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
