"""A PNG line chart of time series, drawn with matplotlib (Agg, no display).

matplotlib because it is the plotting library every operator already trusts, draws dates on an
axis properly, and renders off-screen with no browser or server. It is CPU work, so callers run
`line_chart` in a worker thread, never on the event loop.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

MAX_SERIES = 10
WIDTH, HEIGHT, DPI = 9.0, 4.0, 100


def line_chart(series: list[tuple[str, list[tuple[float, float]]]], *, title: str,
               mark: datetime | None = None, mark_label: str = "") -> bytes:
    """`series`: (label, [(unix seconds, value), …]); at most `MAX_SERIES` are drawn. `mark`
    draws a vertical line (an alert's start). Returns the PNG's bytes."""
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError("charts need matplotlib: pip install 'chatops[metrics]'") from None

    matplotlib.use("Agg", force=True)
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)  # no pyplot: no global state across threads
    axes = figure.add_subplot()
    for label, points in series[:MAX_SERIES]:
        if not points:
            continue
        times = [datetime.fromtimestamp(t, UTC) for t, _ in points]
        axes.plot(times, [v for _, v in points], label=label[:80], linewidth=1.5)
    if mark is not None:
        axes.axvline(mark.astimezone(UTC), color="#c0392b", linestyle="--", linewidth=1.2,
                     label=mark_label or "marked")
    axes.set_title(title[:120], fontsize=10)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=UTC))
    axes.set_xlabel("UTC", fontsize=8)
    axes.grid(True, alpha=0.3)
    if series or mark is not None:
        axes.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
