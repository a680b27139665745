"""Server-rendered inline SVG charts: no CDN, no JavaScript, printable, and allowed by the strict CSP.

Only presentation attributes (fill, stroke), never `style`: the Content-Security-Policy has no 'unsafe-inline' for
styles. Every chart is an `<svg role="img">` with a <title> and <desc> so a screen reader gets the gist, and every
mark has its own <title> tooltip. Inputs are plain numbers; text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

W, H = 640, 190
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 24, 28
INK, MUTED, GRID = "#374151", "#6b7280", "#e5e7eb"
SERIES = {"content": "#4f46e5", "delivery": "#0891b2", "structure": "#d97706", "confidence": "#059669"}
BAND_FILL, PAUSE_FILL, FILLER_MARK, LINE = "#dcfce7", "#f3f4f6", "#dc2626", "#4f46e5"
MAX_POINTS = 600


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(body: list[str], *, title: str, desc: str, height: int = H) -> SafeString:
    head = (f'<svg class="chart" viewBox="0 0 {W} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
            f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title><desc>{escape(desc)}</desc>')
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every interpolated text is escaped above


def _empty(title: str, message: str) -> SafeString:
    return _svg([f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="{MUTED}">{escape(message)}</text>'],
                title=title, desc=message, height=80)


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks, value = [], first
    while value <= high + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


class _Axes:
    def __init__(self, x0: float, x1: float, y0: float, y1: float, *, height: int = H) -> None:
        self.x0, self.x1 = x0, x1 if x1 > x0 else x0 + 1
        self.y0, self.y1 = y0, y1 if y1 > y0 else y0 + 1
        self.height = height

    def x(self, value: float) -> float:
        return LEFT + (value - self.x0) / (self.x1 - self.x0) * (W - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return self.height - BOTTOM - (value - self.y0) / (self.y1 - self.y0) * (self.height - TOP - BOTTOM)

    def grid(self, *, y_unit: str, x_unit: str = "s", x_ticks: Iterable[float] | None = None,
             x_labels: Mapping[float, str] | None = None) -> list[str]:
        out = []
        for tick in _nice_ticks(self.y0, self.y1):
            y = self.y(tick)
            out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{_f(y)}" y2="{_f(y)}" stroke="{GRID}"/>'
                       f'<text x="{LEFT - 4}" y="{_f(y + 3)}" text-anchor="end" fill="{MUTED}">{_f(tick)}</text>')
        out.append(f'<text x="4" y="12" fill="{MUTED}">{escape(y_unit)}</text>')
        ticks = list(x_ticks) if x_ticks is not None else _nice_ticks(self.x0, self.x1, 6)
        for tick in ticks:
            label = x_labels.get(tick, _f(tick)) if x_labels else f"{_f(tick)}{x_unit}"
            out.append(f'<text x="{_f(self.x(tick))}" y="{self.height - 8}" text-anchor="middle" '
                       f'fill="{MUTED}">{escape(label)}</text>')
        return out


def contour_series(contour: Mapping[str, Any] | None) -> tuple[list[float], list[float | None], list[float | None]]:
    """(times, pitch Hz or None when unvoiced, loudness dBFS) from `Answer.contour`, decimated for drawing."""
    contour = contour or {}
    t = list(contour.get("t") or [])
    pitch = list(contour.get("pitch_hz") or contour.get("f0_hz") or [None] * len(t))
    loud = list(contour.get("dbfs") or contour.get("loudness_dbfs") or [None] * len(t))
    n = min(len(t), len(pitch), len(loud))
    step = max(1, math.ceil(n / MAX_POINTS))
    return t[:n:step], pitch[:n:step], loud[:n:step]


def _segments(times: Sequence[float], values: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive measured values: an unvoiced gap breaks the line instead of bridging it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for t, v in zip(times, values, strict=False):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((t, float(v)))
    return [r for r in runs if r]


def _time_marks(axes: _Axes, *, pauses: Iterable[Mapping[str, Any]], fillers: Iterable[Mapping[str, Any]],
                top: float) -> list[str]:
    out = []
    for pause in pauses:
        start, end = pause.get("start"), pause.get("end")
        if not isinstance(start, int | float) or not isinstance(end, int | float) or end <= start:
            continue
        x0, x1 = axes.x(start), axes.x(end)
        out.append(f'<rect x="{_f(x0)}" y="{top}" width="{_f(max(1.0, x1 - x0))}" '
                   f'height="{_f(axes.y(axes.y0) - top)}" fill="{PAUSE_FILL}">'
                   f'<title>pause {end - start:.1f} s at {start:.1f} s</title></rect>')
    for filler in fillers:
        start = filler.get("start")
        if not isinstance(start, int | float):
            continue
        x = axes.x(start)
        word = escape(str(filler.get("text") or filler.get("word") or "filler"))
        out.append(f'<path d="M{_f(x - 4)} {top} L{_f(x + 4)} {top} L{_f(x)} {top + 7} Z" fill="{FILLER_MARK}">'
                   f'<title>“{word}” at {start:.1f} s</title></path>')
    return out


def _time_series_chart(*, times: list[float], values: list[float | None], duration: float | None, unit: str,
                       title: str, pauses: Iterable[Mapping[str, Any]], fillers: Iterable[Mapping[str, Any]],
                       pad: float, empty: str) -> SafeString:
    measured = [v for v in values if v is not None]
    if not times or not measured:
        return _empty(title, empty)
    low, high = min(measured), max(measured)
    axes = _Axes(0.0, max(duration or 0.0, times[-1]), math.floor(low - pad), math.ceil(high + pad))
    body = axes.grid(y_unit=unit)
    body += _time_marks(axes, pauses=pauses, fillers=fillers, top=TOP)
    for run in _segments(times, values):
        points = " ".join(f"{_f(axes.x(t))},{_f(axes.y(v))}" for t, v in run)
        if len(run) == 1:
            t, v = run[0]
            body.append(f'<circle cx="{_f(axes.x(t))}" cy="{_f(axes.y(v))}" r="1.5" fill="{LINE}"/>')
        else:
            body.append(f'<polyline points="{points}" fill="none" stroke="{LINE}" stroke-width="1.6" '
                        'stroke-linejoin="round"/>')
    desc = (f"{title}: from {low:.0f} to {high:.0f} {unit} over {axes.x1:.0f} s; "
            f"{sum(1 for _ in pauses)} pauses shaded, fillers marked with red triangles.")
    return _svg(body, title=title, desc=desc)


def pitch_chart(*, contour: Mapping[str, Any] | None, duration: float | None = None,
                pauses: Sequence[Mapping[str, Any]] = (), fillers: Sequence[Mapping[str, Any]] = ()) -> SafeString:
    """Pitch over the answer (voiced frames only), pauses shaded, filler words marked."""
    times, pitch, _ = contour_series(contour)
    return _time_series_chart(times=times, values=pitch, duration=duration, unit="Hz", title="Pitch over time",
                              pauses=pauses, fillers=fillers, pad=10, empty="No pitch contour was recorded.")


def loudness_chart(*, contour: Mapping[str, Any] | None, duration: float | None = None,
                   pauses: Sequence[Mapping[str, Any]] = (), fillers: Sequence[Mapping[str, Any]] = ()) -> SafeString:
    """Loudness (dBFS) over the answer, pauses shaded, filler words marked."""
    times, _, loud = contour_series(contour)
    # Digital silence is -inf or a very low floor: clamp so one silent frame does not flatten the whole chart.
    floor = [None if v is None else max(float(v), -70.0) for v in loud]
    return _time_series_chart(times=times, values=floor, duration=duration, unit="dBFS", title="Loudness over time",
                              pauses=pauses, fillers=fillers, pad=3, empty="No loudness contour was recorded.")


def scores_chart(rows: Sequence[Mapping[str, Any]],
                 series: Sequence[str] = ("content", "delivery", "structure")) -> SafeString:
    """Grouped bars: each question's scores (0-100). Missing scores (typed answers' delivery) leave a gap."""
    rows = [r for r in rows if r.get("answer_id")]
    title = "Scores per question"
    if not rows:
        return _empty(title, "No answered questions yet.")
    axes = _Axes(0, len(rows), 0, 100)
    body = axes.grid(y_unit="score", x_ticks=[i + 0.5 for i in range(len(rows))],
                     x_labels={i + 0.5: f"Q{r['position']}" for i, r in enumerate(rows)})
    slot = (W - LEFT - RIGHT) / len(rows)
    bar = min(22.0, slot * 0.8 / len(series))
    for i, row in enumerate(rows):
        start = axes.x(i + 0.5) - bar * len(series) / 2
        for k, name in enumerate(series):
            value = row.get(name)
            if value is None:
                continue
            y = axes.y(float(value))
            body.append(f'<rect x="{_f(start + k * bar)}" y="{_f(y)}" width="{_f(bar - 2)}" '
                        f'height="{_f(axes.y(0) - y)}" fill="{SERIES.get(name, INK)}">'
                        f'<title>Q{row["position"]} {name}: {float(value):.0f}</title></rect>')
    body += _legend(series)
    desc = "; ".join(f"Q{r['position']}: " + ", ".join(f"{n} {r[n]:.0f}" for n in series if r.get(n) is not None)
                     for r in rows)
    return _svg(body, title=title, desc=desc)


def _legend(series: Sequence[str]) -> list[str]:
    out, x = [], W - RIGHT - 90 * len(series)
    for name in series:
        out.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{SERIES.get(name, INK)}"/>'
                   f'<text x="{x + 14}" y="11" fill="{INK}">{escape(name)}</text>')
        x += 90
    return out


def pace_chart(rows: Sequence[Mapping[str, Any]], *, low: float = 120, high: float = 160) -> SafeString:
    """Pace per spoken question against the target band (shaded)."""
    rows = [r for r in rows if r.get("wpm") is not None]
    title = "Pace per question"
    if not rows:
        return _empty(title, "No spoken answers with a pace.")
    top = max(200.0, max(float(r["wpm"]) for r in rows) + 20)
    axes = _Axes(0, len(rows), 0, top)
    body = [f'<rect x="{LEFT}" y="{_f(axes.y(high))}" width="{W - LEFT - RIGHT}" '
            f'height="{_f(axes.y(low) - axes.y(high))}" fill="{BAND_FILL}"><title>target {low:g}–{high:g} wpm'
            '</title></rect>']
    body += axes.grid(y_unit="wpm", x_ticks=[i + 0.5 for i in range(len(rows))],
                      x_labels={i + 0.5: f"Q{r['position']}" for i, r in enumerate(rows)})
    slot = (W - LEFT - RIGHT) / len(rows)
    bar = min(40.0, slot * 0.6)
    for i, row in enumerate(rows):
        value = float(row["wpm"])
        y = axes.y(value)
        colour = SERIES["confidence"] if low <= value <= high else FILLER_MARK
        body.append(f'<rect x="{_f(axes.x(i + 0.5) - bar / 2)}" y="{_f(y)}" width="{_f(bar)}" '
                    f'height="{_f(axes.y(0) - y)}" fill="{colour}"><title>Q{row["position"]}: {value:.0f} wpm'
                    '</title></rect>')
    desc = f"Target {low:g}–{high:g} wpm. " + "; ".join(f"Q{r['position']} {float(r['wpm']):.0f} wpm" for r in rows)
    return _svg(body, title=title, desc=desc)


def bands_chart(bands: Sequence[Mapping[str, Any]]) -> SafeString:
    """One bullet bar per delivery measure: the value as a dot on a scale with the target band shaded."""
    bands = [b for b in bands if b.get("value") is not None]
    title = "Delivery against the target bands"
    if not bands:
        return _empty(title, "No delivery measurements (typed or silent answers).")
    row_h = 34
    height = TOP + row_h * len(bands) + 8
    body = []
    label_w = 170
    for i, band in enumerate(bands):
        value, low, high = float(band["value"]), band.get("low"), band.get("high")
        scale_low = min(0.0, value)
        scale_high = max(value, float(high if high is not None else (low or 1) * 2)) * 1.25 or 1.0
        def x(v: float, _lo: float = scale_low, _hi: float = scale_high) -> float:
            return label_w + (v - _lo) / (_hi - _lo) * (W - label_w - RIGHT - 100)
        y = TOP + i * row_h
        body.append(f'<text x="4" y="{y + 15}" fill="{INK}">{escape(band["label"])}</text>')
        body.append(f'<rect x="{label_w}" y="{y + 6}" width="{_f(x(scale_high) - label_w)}" height="12" '
                    f'fill="{GRID}"/>')
        band_lo = x(float(low)) if low is not None else x(scale_low)
        band_hi = x(float(high)) if high is not None else x(scale_high)
        body.append(f'<rect x="{_f(band_lo)}" y="{y + 6}" width="{_f(max(1.0, band_hi - band_lo))}" height="12" '
                    f'fill="{BAND_FILL}"><title>target {escape(band["target"])}</title></rect>')
        colour = SERIES["confidence"] if band.get("ok") else FILLER_MARK
        body.append(f'<circle cx="{_f(x(value))}" cy="{y + 12}" r="6" fill="{colour}">'
                    f'<title>{escape(band["label"])}: {value:g} (target {escape(band["target"])})</title></circle>')
        body.append(f'<text x="{W - RIGHT}" y="{y + 15}" text-anchor="end" fill="{INK}">'
                    f'{_f(value)} {escape(band.get("unit", ""))}</text>')
    desc = "; ".join(f"{b['label']} {float(b['value']):g} {b.get('unit', '')} (target {b['target']}, "
                     f"{'inside' if b.get('ok') else 'outside'})" for b in bands)
    return _svg(body, title=title, desc=desc, height=height)
