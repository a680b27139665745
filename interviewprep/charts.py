"""The one chart module: server-rendered inline SVG for every page (answer, report, mastery, progress, cohorts).

Why inline SVG built here: no CDN, no JavaScript, printable, and allowed by the strict CSP. Only presentation
attributes (fill, stroke), never `style`, because the Content-Security-Policy has no 'unsafe-inline' for styles.
Every chart is an `<svg role="img">` with an aria-label, a <title> and a <desc> so a screen reader gets the gist,
and every mark has its own <title> tooltip. Inputs are plain numbers and strings; all text is escaped.

It lives in the project core because pages of three apps draw with it; it therefore knows no app's definitions:
callers pass the target bands (pipeline/measures.py) in.

One set of primitives, used by every chart below:
- `figure` / `empty`: the accessible <svg> wrapper and the "nothing to draw" placeholder;
- `robust_range` / `robust_axis`: axes from the 2nd-98th percentiles, so one stray point cannot squash the rest;
- `Frame`: value -> viewBox mapping, grid, tick labels; `_band`, `_lines`, `legend`: shared marks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

W, H = 640, 190
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 24, 28
INK, MUTED, GRID, AXIS = "#374151", "#6b7280", "#e5e7eb", "#9ca3af"
OK, BAD = "#059669", "#dc2626"
BAND_FILL, PAUSE_FILL, LINE = "#dcfce7", "#f3f4f6", "#4f46e5"
SCORE_COLOURS = {"content": "#4f46e5", "delivery": "#0891b2", "structure": "#d97706", "confidence": OK}
MAX_POINTS = 600  # a contour is decimated to this many points: more is invisible at 640 px and bloats the page


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def figure(body: Iterable[str], *, title: str, desc: str, width: float = W, height: float = H, attrs: str = "",
           size: str = "", css_class: str = "chart") -> SafeString:
    """The accessible <svg> around `body`. `size` (e.g. 'width="120" height="28"') fixes the drawn size of small
    inline charts; the large ones scale with the page through the `chart` class."""
    cls = f' class="{css_class}"' if css_class else ""
    head = (f'<svg{cls} {size + " " if size else ""}viewBox="0 0 {_f(width)} {_f(height)}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet"'
            f'{attrs}><title>{escape(title)}</title><desc>{escape(desc)}</desc>')
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every interpolated text is escaped


def empty(title: str, message: str, *, width: float = W) -> SafeString:
    return figure([f'<text x="{_f(width / 2)}" y="40" text-anchor="middle" fill="{MUTED}">{escape(message)}</text>'],
                  title=title, desc=message, width=width, height=80)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks, value = [], math.ceil(low / step) * step
    while value <= high + 1e-9:
        ticks.append(round(value, 6))
        value += step
    return ticks


def robust_range(values: Iterable[float], *, low: float = 0.02, high: float = 0.98) -> tuple[float, float]:
    """The `low` and `high` percentiles (nearest rank, outward): a cough or an octave error among hundreds of
    frames falls outside, while a short series (under ~50 points) keeps its minimum and maximum."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("robust_range needs at least one value")
    n = len(ordered) - 1
    return ordered[int(low * n)], ordered[math.ceil(high * n)]


def robust_axis(values: Iterable[float], *, pad: float | None = None, minimum: float | None = None,
                include: Iterable[float] = ()) -> tuple[float, float]:
    """A y axis from the robust range of `values`, widened to `include` (a target band), padded by `pad` (default:
    a tenth of the span, at least 1) and rounded outward to whole units; never below `minimum`."""
    lo, hi = robust_range(values)
    for v in include:
        lo, hi = min(lo, v), max(hi, v)
    pad = pad if pad is not None else ((hi - lo) * 0.1 or 1.0)
    lo, hi = math.floor(lo - pad), math.ceil(hi + pad)
    if minimum is not None:
        lo = max(minimum, lo)
    return lo, hi


@dataclass
class Frame:
    """Data ranges mapped onto a viewBox with margins for tick labels. A degenerate range (one point, a flat
    series) is widened by one unit so nothing divides by zero and the point is still drawn."""

    x0: float
    x1: float
    y0: float
    y1: float
    width: float = W
    height: float = H
    left: float = LEFT
    right: float = RIGHT
    top: float = TOP
    bottom: float = BOTTOM

    def __post_init__(self) -> None:
        if self.x1 <= self.x0:
            self.x0, self.x1 = self.x0 - 0.5, self.x0 + 0.5
        if self.y1 <= self.y0:
            self.y0, self.y1 = self.y0 - 0.5, self.y0 + 0.5

    def x(self, value: float) -> float:
        return self.left + (value - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        return self.height - self.bottom - (value - self.y0) / (self.y1 - self.y0) * (
            self.height - self.top - self.bottom)

    def contains(self, value: float) -> bool:
        return self.y0 <= value <= self.y1

    def grid(self, *, y_unit: str = "", x_unit: str = "s", x_ticks: Iterable[float] | None = None,
             x_labels: Mapping[float, str] | None = None) -> list[str]:
        out = []
        for tick in nice_ticks(self.y0, self.y1):
            y = self.y(tick)
            out.append(f'<line x1="{_f(self.left)}" x2="{_f(self.width - self.right)}" y1="{_f(y)}" y2="{_f(y)}" '
                       f'stroke="{GRID}"/><text x="{_f(self.left - 4)}" y="{_f(y + 3)}" text-anchor="end" '
                       f'fill="{MUTED}">{_f(tick)}</text>')
        if y_unit:
            out.append(f'<text x="4" y="12" fill="{MUTED}">{escape(y_unit)}</text>')
        ticks = list(x_ticks) if x_ticks is not None else nice_ticks(self.x0, self.x1, 6)
        for tick in ticks:
            label = x_labels.get(tick, _f(tick)) if x_labels else f"{_f(tick)}{x_unit}"
            out.append(f'<text x="{_f(self.x(tick))}" y="{_f(self.height - 8)}" text-anchor="middle" '
                       f'fill="{MUTED}">{escape(label)}</text>')
        return out


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: Sequence[float | None]
    dash: str = ""


def _band(frame: Frame, low: float, high: float, title: str) -> str:
    """A target band shaded across the plot, clipped to the axes."""
    top, bottom = frame.y(min(high, frame.y1)), frame.y(max(low, frame.y0))
    return (f'<rect x="{_f(frame.left)}" y="{_f(top)}" width="{_f(frame.width - frame.left - frame.right)}" '
            f'height="{_f(max(0.0, bottom - top))}" fill="{BAND_FILL}"><title>{escape(title)}</title></rect>')


def _segments(xs: Sequence[float], values: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive measured values: a gap (None) breaks the line instead of bridging it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, v in zip(xs, values, strict=False):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, float(v)))
    return [r for r in runs if r]


def _lines(frame: Frame, xs: Sequence[float], values: Sequence[float | None], *, color: str, dash: str = "",
           stroke: float = 1.6, lone_dots: bool = True) -> list[str]:
    """Polylines through the values; points beyond the axes are left out (the axes are robust on purpose), and
    a lone point between gaps is drawn as a dot so it is still seen (unless the caller dots every point)."""
    kept = [v if v is not None and frame.contains(float(v)) else None for v in values]
    out = []
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    for run in _segments(xs, kept):
        if len(run) == 1:
            if not lone_dots:
                continue
            x, v = run[0]
            out.append(f'<circle cx="{_f(frame.x(x))}" cy="{_f(frame.y(v))}" r="2" fill="{color}"/>')
            continue
        points = " ".join(f"{_f(frame.x(x))},{_f(frame.y(v))}" for x, v in run)
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="{stroke}"{dashed} '
                   'stroke-linejoin="round"/>')
    return out


def legend(items: Sequence[tuple[str, str, str]], *, width: float = W, kind: Literal["box", "line"] = "box",
           item_width: float = 90) -> list[str]:
    """(name, colour, dash) swatches along the top right, drawn as boxes (bars) or short lines (lines)."""
    out, x = [], width - RIGHT - item_width * len(items)
    for name, color, dash in items:
        if kind == "box":
            swatch = f'<rect x="{_f(x)}" y="2" width="10" height="10" fill="{color}"/>'
        else:
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            swatch = (f'<line x1="{_f(x - 8)}" x2="{_f(x + 10)}" y1="7" y2="7" stroke="{color}" stroke-width="2"'
                      f'{dashed}/>')
        out.append(f'{swatch}<text x="{_f(x + 14)}" y="11" fill="{INK}">{escape(name)}</text>')
        x += item_width
    return out


# --- time series: the answer's pitch and loudness ----------------------------------------------------------------

def contour_series(contour: Mapping[str, Any] | None) -> tuple[list[float], list[float | None], list[float | None]]:
    """(times, pitch Hz or None when unvoiced, loudness dBFS) from `Answer.contour`, decimated for drawing."""
    contour = contour or {}
    t = list(contour.get("t") or [])
    pitch = list(contour.get("pitch_hz") or contour.get("f0_hz") or [None] * len(t))
    loud = list(contour.get("dbfs") or contour.get("loudness_dbfs") or [None] * len(t))
    n = min(len(t), len(pitch), len(loud))
    step = max(1, math.ceil(n / MAX_POINTS))
    return t[:n:step], pitch[:n:step], loud[:n:step]


def _time_marks(frame: Frame, *, pauses: Sequence[Mapping[str, Any]],
                fillers: Sequence[Mapping[str, Any]]) -> list[str]:
    out, top = [], frame.top
    for pause in pauses:
        start, end = pause.get("start"), pause.get("end")
        if not isinstance(start, int | float) or not isinstance(end, int | float) or end <= start:
            continue
        x0, x1 = frame.x(start), frame.x(end)
        out.append(f'<rect x="{_f(x0)}" y="{_f(top)}" width="{_f(max(1.0, x1 - x0))}" '
                   f'height="{_f(frame.y(frame.y0) - top)}" fill="{PAUSE_FILL}">'
                   f'<title>pause {end - start:.1f} s at {start:.1f} s</title></rect>')
    for filler in fillers:
        start = filler.get("start")
        if not isinstance(start, int | float):
            continue
        x = frame.x(start)
        word = escape(str(filler.get("text") or filler.get("word") or "filler"))
        out.append(f'<path d="M{_f(x - 4)} {_f(top)} L{_f(x + 4)} {_f(top)} L{_f(x)} {_f(top + 7)} Z" fill="{BAD}">'
                   f'<title>“{word}” at {start:.1f} s</title></path>')
    return out


def time_series_chart(*, times: Sequence[float], values: Sequence[float | None], duration: float | None, unit: str,
                      title: str, pad: float, empty_message: str, pauses: Sequence[Mapping[str, Any]] = (),
                      fillers: Sequence[Mapping[str, Any]] = ()) -> SafeString:
    """A measure over an answer's time, on a robust axis, pauses shaded and fillers marked; the svg carries its
    time axis in viewBox units (`data-timeline`) for the replay player's playhead (static/js/replay.js)."""
    measured = [float(v) for v in values if v is not None]
    if not times or not measured:
        return empty(title, empty_message)
    low, high = robust_range(measured)
    frame = Frame(0.0, max(duration or 0.0, times[-1]), *robust_axis(measured, pad=pad))
    body = frame.grid(y_unit=unit)
    body += _time_marks(frame, pauses=pauses, fillers=fillers)
    body += _lines(frame, times, values, color=LINE)
    desc = (f"{title}: from {low:.0f} to {high:.0f} {unit} over {frame.x1:.0f} s; "
            f"{len(pauses)} pauses shaded, fillers marked with red triangles.")
    timeline = (f' data-timeline="{_f(frame.x(0.0))} {_f(frame.x(frame.x1))} {_f(frame.x1)} {_f(frame.top)} '
                f'{_f(frame.y(frame.y0))}"')
    return figure(body, title=title, desc=desc, attrs=timeline)


def pitch_chart(*, contour: Mapping[str, Any] | None, duration: float | None = None,
                pauses: Sequence[Mapping[str, Any]] = (), fillers: Sequence[Mapping[str, Any]] = ()) -> SafeString:
    """Pitch over the answer (voiced frames only), pauses shaded, filler words marked."""
    times, pitch, _ = contour_series(contour)
    return time_series_chart(times=times, values=pitch, duration=duration, unit="Hz", title="Pitch over time",
                             pauses=pauses, fillers=fillers, pad=10, empty_message="No pitch contour was recorded.")


def loudness_chart(*, contour: Mapping[str, Any] | None, duration: float | None = None,
                   pauses: Sequence[Mapping[str, Any]] = (), fillers: Sequence[Mapping[str, Any]] = ()) -> SafeString:
    """Loudness (dBFS) over the answer, pauses shaded, filler words marked."""
    times, _, loud = contour_series(contour)
    # Digital silence is -inf or a very low floor: clamp so one silent frame does not flatten the whole chart.
    floor = [None if v is None else max(float(v), -70.0) for v in loud]
    return time_series_chart(times=times, values=floor, duration=duration, unit="dBFS", title="Loudness over time",
                             pauses=pauses, fillers=fillers, pad=3, empty_message="No loudness contour was recorded.")


# --- lines over interviews: progress ----------------------------------------------------------------------------

def line_chart(series: Sequence[Series], *, labels: Sequence[str], title: str, band: tuple[float, float] | None = None,
               band_title: str = "target band", lo: float | None = None, hi: float | None = None,
               width: float = W, height: float = 200, unit: str = "") -> SafeString:
    """Lines over categories (x = interview index) with an optional target band shaded behind them. The y axis is
    `lo`..`hi` when given, else the robust axis of the data and the band; gaps (None) break a line."""
    finite = [float(v) for s in series for v in s.values if v is not None]
    if not labels or not finite:
        return empty(title, "Nothing measured yet.", width=width)
    auto_lo, auto_hi = robust_axis(finite, minimum=0.0 if min(finite) >= 0 else None, include=band or ())
    n = len(labels)
    frame = Frame(0, n - 1, auto_lo if lo is None else lo, auto_hi if hi is None else hi, width=width,
                  height=height, left=48, right=28, top=18 if len(series) > 1 else 10)
    body = [_band(frame, band[0], band[1], band_title)] if band is not None else []
    step = -(-n // 8)  # keep the axis readable: label about eight interviews
    shown = [i for i in range(n) if i % step == 0 or i == n - 1]
    body += frame.grid(y_unit=unit, x_ticks=shown, x_labels=dict(enumerate(labels)))
    body.append(f'<line x1="{_f(frame.left)}" x2="{_f(width - frame.right)}" y1="{_f(frame.y(frame.y0))}" '
                f'y2="{_f(frame.y(frame.y0))}" stroke="{AXIS}"/>')
    for s in series:
        body += _lines(frame, range(n), s.values, color=s.color, dash=s.dash, stroke=2, lone_dots=False)
        body += [f'<circle cx="{_f(frame.x(i))}" cy="{_f(frame.y(float(v)))}" r="3.5" fill="{s.color}">'
                 f'<title>{escape(s.name)} {escape(labels[i])}: {_f(float(v))}{escape(unit)}</title></circle>'
                 for i, v in enumerate(s.values) if v is not None and frame.contains(float(v))]
    if len(series) > 1:
        body += legend([(s.name, s.color, s.dash) for s in series], width=width, kind="line")
    desc = "; ".join(f"{s.name}: " + ", ".join(f"{labels[i]} {_f(float(v))}{unit}"
                                               for i, v in enumerate(s.values) if v is not None) for s in series)
    if band is not None:
        desc += f". Shaded: {band_title}."
    return figure(body, title=title, desc=desc, width=width, height=height)


MIN_TREND_POINTS = 3  # one or two values make a lonely dot or a line that means nothing: they are told in words
TOPIC_COLOURS = ("#1d4ed8", "#047857", "#b45309", "#7c3aed", "#be123c", "#0e7490")


def trend_sentence(*, name: str, labels: Sequence[str], values: Sequence[float | None], unit: str = "",
                   digits: int = 0, band: tuple[float | None, float | None] | None = None) -> str:
    """A series in words: the values with their labels when there are one or two, else first to latest; and, with a
    band, whether the latest is inside it. Shown under every trend, and instead of the chart below three points."""
    points = [(labels[i], float(v)) for i, v in enumerate(values) if v is not None]
    if not points:
        return f"{name}: nothing measured yet."

    def fmt(v: float) -> str:
        return f"{v:.{digits}f}" + (f" {unit}" if unit else "")

    (l0, v0), (l1, v1) = points[0], points[-1]
    if len(points) == 1:
        text = f"{name}: {fmt(v0)} on {l0}, your only measured interview so far."
    else:
        delta = round(v1 - v0, digits)
        move = "unchanged" if delta == 0 else f"{'up' if delta > 0 else 'down'} {abs(delta):.{digits}f}"
        span = (f"then {fmt(v1)} on {l1}" if len(points) == 2
                else f"{fmt(v1)} on {l1}, over {len(points)} interviews")
        text = f"{name}: {fmt(v0)} on {l0}, {span} ({move})."
    if band is not None:
        low, high = band
        inside = (low is None or v1 >= low) and (high is None or v1 <= high)
        text += f" The latest is {'inside' if inside else 'outside'} the target."
    if len(points) < MIN_TREND_POINTS:
        text += f" A chart appears from {MIN_TREND_POINTS} interviews."
    return text


def trend_chart(series: Sequence[Series], *, labels: Sequence[str], title: str, **options: Any) -> SafeString | None:
    """`line_chart` once some series has `MIN_TREND_POINTS` values; None before (the page says it in words)."""
    if max((sum(v is not None for v in s.values) for s in series), default=0) < MIN_TREND_POINTS:
        return None
    return line_chart(series, labels=labels, title=title, **options)


def sparkline(values: Sequence[float | None], *, label: str, lo: float = 0.0, hi: float = 100.0, width: int = 120,
              height: int = 28, zoom: int = 1, color: str = "currentColor") -> SafeString:
    """A small trend line (oldest first) on a fixed `lo`..`hi` scale, so sparklines compare across table rows; the
    latest value is dotted. Gaps are skipped; one value is a dot in the middle; no values draws nothing ('')."""
    points = [float(v) for v in values if v is not None]
    if not points:
        return mark_safe("")
    pad = 3
    frame = Frame(0, len(points) - 1, lo, hi, width=width, height=height, left=pad, right=pad, top=pad, bottom=pad)
    body = _lines(frame, range(len(points)), points, color=color, stroke=1.5)
    body.append(f'<circle cx="{_f(frame.x(len(points) - 1))}" cy="{_f(frame.y(points[-1]))}" r="2.5" '
                f'fill="{color}"/>')
    desc = f"{len(points)} value{'s' if len(points) != 1 else ''}: from {_f(points[0])} to {_f(points[-1])}."
    return figure(body, title=label, desc=desc, width=width, height=height, css_class="sparkline",
                  size=f'width="{width * zoom}" height="{height * zoom}"')


# --- bars --------------------------------------------------------------------------------------------------------

def column_chart(groups: Sequence[tuple[str, Mapping[str, float | None]]], *, series: Sequence[str], title: str,
                 unit: str, top: float, empty_message: str, band: tuple[float, float] | None = None,
                 band_title: str = "") -> SafeString:
    """Vertical bars per group (a question), one per series. With a `band`, it is shaded and each bar is green
    inside it and red outside; without, bars take their series colour and a legend is drawn."""
    if not groups:
        return empty(title, empty_message)
    frame = Frame(0, len(groups), 0, top)
    body = [_band(frame, band[0], band[1], band_title)] if band is not None else []
    body += frame.grid(y_unit=unit, x_ticks=[i + 0.5 for i in range(len(groups))],
                       x_labels={i + 0.5: label for i, (label, _) in enumerate(groups)})
    slot = (frame.width - frame.left - frame.right) / len(groups)
    bar = min(40.0 if len(series) == 1 else 22.0, slot * 0.8 / len(series))
    for i, (label, values) in enumerate(groups):
        start = frame.x(i + 0.5) - bar * len(series) / 2
        for k, name in enumerate(series):
            value = values.get(name)
            if value is None:  # typed answers have no delivery: a gap, not a zero
                continue
            value = float(value)
            y = frame.y(min(value, top))
            color = (OK if band[0] <= value <= band[1] else BAD) if band is not None else SCORE_COLOURS.get(name, INK)
            body.append(f'<rect x="{_f(start + k * bar)}" y="{_f(y)}" width="{_f(bar - 2)}" '
                        f'height="{_f(frame.y(0) - y)}" fill="{color}"><title>{escape(label)} {escape(name)}: '
                        f'{value:.0f} {escape(unit)}</title></rect>')
    if band is None:
        body += legend([(name, SCORE_COLOURS.get(name, INK), "") for name in series])
    desc = "; ".join(f"{label}: " + ", ".join(f"{n} {float(v[n]):.0f}" for n in series if v.get(n) is not None)
                     for label, v in groups)
    if band is not None:
        desc = f"{band_title}. {desc}"
    return figure(body, title=title, desc=desc)


def scores_chart(rows: Sequence[Mapping[str, Any]],
                 series: Sequence[str] = ("content", "delivery", "structure")) -> SafeString:
    """The report: each question's scores (0-100) as grouped bars."""
    groups = [(f"Q{r['position']}", r) for r in rows if r.get("answer_id")]
    return column_chart(groups, series=series, title="Scores per question", unit="score", top=100,
                        empty_message="No answered questions yet.")


def pace_chart(rows: Sequence[Mapping[str, Any]], *, low: float, high: float) -> SafeString:
    """The report: pace per spoken question (first word to last) against the pace band (the caller's)."""
    groups = [(f"Q{r['position']}", r) for r in rows if r.get("wpm") is not None]
    top = max([200.0] + [float(r["wpm"]) + 20 for _, r in groups])
    return column_chart(groups, series=["wpm"], title="Pace per question", unit="wpm", top=top,
                        empty_message="No spoken answers with a pace.", band=(low, high),
                        band_title=f"target {low:g}–{high:g} wpm")


@dataclass(frozen=True)
class Row:
    """One horizontal row: `value` on its own `scale`, an optional (low, high) `band` (None = open end)."""

    label: str
    value: float
    text: str
    color: str
    scale: tuple[float, float] = (0.0, 100.0)
    band: tuple[float | None, float | None] | None = None
    band_title: str = ""


def row_chart(rows: Sequence[Row], *, title: str, desc: str, mark: Literal["bar", "dot"], empty_message: str,
              ticks: Sequence[float] = (), tick_unit: str = "", label_width: float = 190) -> SafeString:
    """One row per item: a bar from the scale's start with the band as a whisker over it (mastery with its 80 %
    range), or a dot on a grey track with the band shaded under it (a measure against its target band)."""
    if not rows:
        return empty(title, empty_message)
    row_h, plot_right = 34, W - RIGHT - 80
    height = TOP + row_h * len(rows) + (16 if ticks else 8)
    body = []
    for tick in ticks:  # ticks only make sense when every row shares the scale (percent)
        x = label_width + (tick - rows[0].scale[0]) / (rows[0].scale[1] - rows[0].scale[0]) * (plot_right - label_width)
        body.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{TOP}" y2="{height - 16}" stroke="{GRID}"/>'
                    f'<text x="{_f(x)}" y="{height - 4}" text-anchor="middle" fill="{MUTED}">'
                    f'{_f(tick)}{escape(tick_unit)}</text>')
    for i, row in enumerate(rows):
        lo, hi = row.scale
        hi = hi if hi > lo else lo + 1

        def x(v: float, _lo: float = lo, _hi: float = hi) -> float:
            return label_width + (min(max(v, _lo), _hi) - _lo) / (_hi - _lo) * (plot_right - label_width)

        y = TOP + i * row_h
        label = row.label if len(row.label) <= 28 else row.label[:27] + "…"
        body.append(f'<text x="4" y="{y + 15}" fill="{INK}">{escape(label)}</text>')
        band = ""
        if row.band is not None:
            b_lo = x(row.band[0] if row.band[0] is not None else lo)
            b_hi = x(row.band[1] if row.band[1] is not None else hi)
            tip = f"<title>{escape(row.band_title)}</title>" if row.band_title else ""
            band = (f'<rect x="{_f(b_lo)}" y="{y + 6}" width="{_f(max(1.0, b_hi - b_lo))}" height="12" '
                    f'fill="{BAND_FILL}">{tip}</rect>' if mark == "dot" else
                    f'<line x1="{_f(b_lo)}" x2="{_f(b_hi)}" y1="{y + 12}" y2="{y + 12}" stroke="#111827" '
                    f'stroke-width="1.5" opacity=".55">{tip}</line>')
        extra = f", {row.band_title}" if row.band_title else ""
        tip = f"<title>{escape(row.label)}: {escape(row.text + extra)}</title>"
        if mark == "dot":
            body.append(f'<rect x="{label_width}" y="{y + 6}" width="{_f(plot_right - label_width)}" height="12" '
                        f'fill="{GRID}"/>{band}<circle cx="{_f(x(row.value))}" cy="{y + 12}" r="6" '
                        f'fill="{row.color}">{tip}</circle>')
        else:
            body.append(f'<rect x="{label_width}" y="{y + 1}" width="{_f(x(row.value) - label_width)}" height="22" '
                        f'rx="4" fill="{row.color}">{tip}</rect>{band}')
        body.append(f'<text x="{W - RIGHT}" y="{y + 15}" text-anchor="end" fill="{INK}">{escape(row.text)}</text>')
    return figure(body, title=title, desc=desc, height=height)


def bands_chart(bands: Sequence[Mapping[str, Any]]) -> SafeString:
    """The answer page and the report: each delivery measure as a dot on its scale, the target band shaded."""
    bands = [b for b in bands if b.get("value") is not None]
    rows = []
    for b in bands:
        value, low, high = float(b["value"]), b.get("low"), b.get("high")
        # The scale runs from 0 (or the value when negative) to a quarter past the band or the value.
        scale_hi = max(value, float(high if high is not None else (low or 1) * 2)) * 1.25 or 1.0
        rows.append(Row(label=b["label"], value=value, text=f"{_f(value)} {b.get('unit', '')}".strip(),
                        color=OK if b.get("ok") else BAD, scale=(min(0.0, value), scale_hi),
                        band=(low, high), band_title=f"target {b['target']}"))
    desc = "; ".join(f"{b['label']} {float(b['value']):g} {b.get('unit', '')} (target {b['target']}, "
                     f"{'inside' if b.get('ok') else 'outside'})" for b in bands)
    return row_chart(rows, title="Delivery against the target bands", desc=desc, mark="dot",
                     empty_message="No delivery measurements (typed or silent answers).", label_width=170)
