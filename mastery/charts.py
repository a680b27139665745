"""Geometry for the inline SVG charts of the mastery pages: pure, no Django, no JavaScript.

Templates draw what these return (coordinates already computed), and every chart is also given as a table or a
text alternative in the template, so the numbers are readable without the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def _scale(value: float, lo: float, hi: float, out_lo: float, out_hi: float) -> float:
    if hi <= lo:
        return (out_lo + out_hi) / 2
    return out_lo + (value - lo) * (out_hi - out_lo) / (hi - lo)


def bar_chart(rows: Sequence[dict[str, Any]], *, width: int = 640, bar_height: int = 22, gap: int = 12,
              label_width: int = 190) -> dict[str, Any]:
    """Horizontal 0-100 bars, one per row ({"label", "percent", "low", "high"}), with the 80 % band as a whisker."""
    plot = width - label_width - 48
    items = []
    for i, row in enumerate(rows):
        y = 8 + i * (bar_height + gap)
        low, high = row.get("low", row["percent"]), row.get("high", row["percent"])
        items.append({
            **row, "y": y, "text_y": y + bar_height * 0.7, "mid_y": y + bar_height / 2,
            "x": label_width, "w": round(plot * row["percent"] / 100, 1),
            "band_x1": round(label_width + plot * low / 100, 1), "band_x2": round(label_width + plot * high / 100, 1),
            "value_x": round(label_width + plot * row["percent"] / 100 + 6, 1),
        })
    height = 16 + len(rows) * (bar_height + gap)
    ticks = [{"x": round(label_width + plot * t / 100, 1), "label": f"{t}%"} for t in (0, 50, 100)]
    return {"width": width, "height": height, "bar_height": bar_height, "items": items, "ticks": ticks,
            "axis_bottom": height - 6, "label_width": label_width}


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 28, lo: float = 0.0,
              hi: float = 100.0) -> dict[str, Any] | None:
    """A polyline of the values (oldest first) on a fixed 0-100 scale, so sparklines compare across rows."""
    if not values:
        return None
    pad = 3
    n = len(values)
    points = []
    for i, v in enumerate(values):
        x = pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)
        y = _scale(v, lo, hi, height - pad, pad)
        points.append((round(x, 1), round(y, 1)))
    return {"width": width, "height": height, "points": " ".join(f"{x},{y}" for x, y in points),
            "last_x": points[-1][0], "last_y": points[-1][1], "first": values[0], "last": values[-1]}


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: Sequence[float | None]
    dash: str = ""


def line_chart(series: Sequence[Series], *, labels: Sequence[str], band: tuple[float, float] | None = None,
               lo: float | None = None, hi: float | None = None, width: int = 640, height: int = 200,
               unit: str = "") -> dict[str, Any]:
    """Lines over interviews (x = interview index) with an optional target band shaded behind them.

    The y range covers the data and the band with a margin unless fixed by `lo`/`hi`; gaps (None) break a line.
    """
    left, right, top, bottom = 48, 28, 10, 28  # room for tick labels and the last centred x label
    finite = [v for s in series for v in s.values if v is not None]
    if band is not None:
        finite += [band[0], band[1]]
    y_lo = lo if lo is not None else (min(finite) if finite else 0.0)
    y_hi = hi if hi is not None else (max(finite) if finite else 1.0)
    if lo is None or hi is None:
        margin = (y_hi - y_lo) * 0.1 or 1.0
        y_lo = y_lo if lo is not None else max(0.0, y_lo - margin)
        y_hi = y_hi if hi is not None else y_hi + margin
    n = len(labels)

    def x_at(i: int) -> float:
        return round(left + (width - left - right) * (i / (n - 1) if n > 1 else 0.5), 1)

    def y_at(v: float) -> float:
        return round(_scale(v, y_lo, y_hi, height - bottom, top), 1)

    lines = []
    for s in series:
        segments: list[list[tuple[float, float]]] = [[]]
        dots = []
        for i, v in enumerate(s.values):
            if v is None:
                segments.append([])
                continue
            segments[-1].append((x_at(i), y_at(v)))
            dots.append({"x": x_at(i), "y": y_at(v), "value": v, "label": labels[i]})
        lines.append({"name": s.name, "color": s.color, "dash": s.dash, "dots": dots,
                      "paths": [" ".join(f"{x},{y}" for x, y in seg) for seg in segments if seg]})
    band_box = None
    if band is not None:
        b_lo, b_hi = max(band[0], y_lo), min(band[1], y_hi)
        band_box = {"x": left, "w": width - left - right, "y": y_at(b_hi), "h": round(y_at(b_lo) - y_at(b_hi), 1)}
    ticks = [{"y": y_at(v), "label": f"{v:.3g}{unit}"} for v in (y_lo, (y_lo + y_hi) / 2, y_hi)]
    x_labels = [{"x": x_at(i), "label": label} for i, label in enumerate(labels)]
    if n > 8:  # keep the axis readable: label about eight interviews
        step = -(-n // 8)
        x_labels = [lab for i, lab in enumerate(x_labels) if i % step == 0 or i == n - 1]
    return {"width": width, "height": height, "lines": lines, "band": band_box, "ticks": ticks,
            "x_labels": x_labels, "left": left, "right": width - right, "axis_y": height - bottom,
            "label_y": height - 8}
