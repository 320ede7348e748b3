"""What `bench/chaos.py` calls a flat RSS (issue 22): the least-squares slope over the last two
thirds of the run against a threshold in MB per 10 minutes, with the peak of the whole run."""

from __future__ import annotations

from pathlib import Path

from bench.chaos import FLAT_MB_PER_10_MIN, flatness

README = Path(__file__).resolve().parent.parent / "bench" / "README.md"


def series(minutes: int, mb_per_10_min: float, start: float = 160.0) -> list[tuple[float, float | None]]:
    return [(t, start + mb_per_10_min * t / 600) for t in range(0, minutes * 60 + 1, 5)]


def test_a_steady_leak_is_not_flat_and_its_slope_is_measured() -> None:
    verdict = flatness(series(30, 5.0))
    assert verdict["slope_mb_per_10_min"] == 5.0 and verdict["flat"] is False
    assert verdict["from_s"] == 600 and verdict["to_s"] == 1800 and verdict["peak_mb"] == 175.0


def test_warm_up_in_the_first_third_does_not_count() -> None:
    samples = [(t, 100.0 + t / 6 if t < 600 else 200.0) for t in range(0, 1801, 5)]  # +100 MB, then level
    verdict = flatness(samples)
    assert verdict["flat"] is True and verdict["slope_mb_per_10_min"] == 0.0 and verdict["peak_mb"] == 200.0


def test_one_late_burst_sample_is_not_a_leak_but_shows_in_the_peak() -> None:
    samples = series(30, 0.0)
    samples[-40] = (samples[-40][0], 190.0)  # one sample 30 MB up, 3 minutes before the end
    verdict = flatness(samples)
    assert verdict["flat"] is True and verdict["peak_mb"] == 190.0


def test_the_threshold_is_the_one_the_readme_states_and_missing_samples_are_skipped() -> None:
    assert f"**{FLAT_MB_PER_10_MIN:.1f} MB per 10 minutes**" in README.read_text()
    samples = series(30, FLAT_MB_PER_10_MIN + 0.5)
    samples[100] = (samples[100][0], None)  # the process was being restarted
    assert flatness(samples)["flat"] is False
    assert flatness(series(30, FLAT_MB_PER_10_MIN - 0.5))["flat"] is True
    assert flatness([(0.0, 1.0)]) == {}
