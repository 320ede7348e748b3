"""bench/README.md's figures come from a run: `bench/readme_figures.py` renders the JSON the
benches write (`--json`) between the README's markers, says when and on what it was measured, and
refuses a README without the markers rather than appending stale copies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.machine import stamp
from bench.readme_figures import growth, pipeline, replace_section

ROOT = Path(__file__).resolve().parent.parent


def measured() -> dict:
    return stamp().done().as_json()


def pipeline_figures() -> dict:
    return {"bench": "pipeline", "measured": measured(),
            "settings": {"turns": 1000, "turns_at_1": 250, "repeats": 3, "dispatch": "writer_thread"},
            "rows": [{"name": "planner, 1 call/turn", "concurrency": 1, "unit": "turns/s", "runs": 3, "count": 250,
                      "rate": [109.0, 125.0, 135.0], "p50_ms": 5.3, "p99_ms": 45.7, "cpu_ms": 2.141,
                      "note": "3.0 store calls/turn"}],
            "ratios": [{"key": "planner1-vs-agent", "bot": "planner, 1 call/turn",
                        "baseline": "bare pydantic-ai Agent.run", "concurrency": 1, "by_rate": [2.0, 2.35, 2.36],
                        "by_cpu": [1.8, 1.85, 2.1], "target": 0.8, "pairs": 3},
                       {"key": "fast-vs-errbot", "bot": "fast path !noop", "baseline": "errbot", "concurrency": 100,
                        "by_rate": [0.04, 0.3, 0.5], "by_cpu": [0.4, 0.5, 0.6], "target": 0.35, "pairs": 3}]}


def test_the_pipeline_table_carries_the_run_its_ratios_and_verdicts() -> None:
    figures = pipeline_figures()
    text = pipeline(figures)
    assert figures["measured"]["start"] in text and figures["measured"]["host"] in text
    assert "| planner, 1 call/turn | 1 | 109 / 125 / 135 turns/s | 5.30 | 45.70 | 2.141 |" in text
    assert "| 2.00 / 2.35 / 2.36 | 1.80 / 1.85 / 2.10 | **PASS** ≥ 0.80 |" in text
    # a verdict needs both medians: 0.30 by rate fails even though 0.50 by CPU would pass
    assert "| 0.04 / 0.30 / 0.50 | 0.40 / 0.50 / 0.60 | **FAIL** ≥ 0.35 |" in text


def test_the_growth_table_shows_ratios_to_the_base_only() -> None:
    figures = {"bench": "growth", "measured": measured(), "settings": {"sizes": [10000, 100000], "rounds": 20},
               "rows": [{"operation": "planner turn", "median_ms": {"10000": 2.0, "100000": 2.2},
                         "ratios": {"100000": [0.9, 1.1, 1.4]}, "worst_median_ratio": 1.1}],
               "reply_kb": {"10000": 21.0, "100000": 21.0}, "bytes_per_turn": {"10000": 2020, "100000": 2065},
               "target": 1.5}
    text = growth(figures)
    assert "| operation | 10,000 turns | 100,000 turns | 100,000 / 10,000 |" in text
    assert "| planner turn | 2.00 ms | 2.20 ms | 0.90 / 1.10 / 1.40× |" in text
    assert "10,000 / 10,000" not in text and "**PASS** (worst median 1.10×)" in text


def test_the_script_rewrites_only_between_the_markers_and_refuses_a_readme_without_them(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nprose kept\n\n<!-- figures:pipeline -->\nold table: 6 store calls/turn\n"
                      "<!-- /figures:pipeline -->\n\nmore prose\n", encoding="utf-8")
    data = tmp_path / "pipeline.json"
    data.write_text(json.dumps(pipeline_figures()), encoding="utf-8")
    script = ROOT / "bench" / "readme_figures.py"
    done = subprocess.run([sys.executable, str(script), str(data), "--readme", str(readme)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    text = readme.read_text(encoding="utf-8")
    assert "old table" not in text and "prose kept" in text and text.endswith("more prose\n")
    assert text.count("<!-- figures:pipeline -->") == 1 and "109 / 125 / 135 turns/s" in text
    try:
        replace_section("no markers here", "growth", "x")
    except SystemExit as exc:
        assert "figures:growth" in str(exc)
    else:
        raise AssertionError("a README without markers was accepted")
