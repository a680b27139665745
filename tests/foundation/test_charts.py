"""The one chart module (interviewprep/charts.py): robust axes, readable degenerate series, accessible output."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from interviewprep import charts

NS = "{http://www.w3.org/2000/svg}"


def y_labels(svg: str) -> list[float]:
    return [float(v) for v in re.findall(r'text-anchor="end"[^>]*>(-?\d+(?:\.\d+)?)<', svg)]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output; also proves it is well-formed XML
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{NS}title").text and root.find(f"{NS}desc").text
    return root


def test_an_octave_spike_does_not_squash_a_100_hz_contour():
    t = [0.01 * k for k in range(300)]
    pitch: list[float | None] = [100.0 + 4 * ((k % 20) - 10) / 10 for k in range(300)]
    pitch[150] = 400.0  # an octave error (doubled twice) for one frame
    svg = str(charts.pitch_chart(contour={"t": t, "pitch_hz": pitch, "dbfs": [-20.0] * 300}, duration=3.0))
    root = parse(svg)
    labels = y_labels(svg)
    assert labels and min(labels) >= 80 and max(labels) <= 120  # the axis hugs the voice, not 400 Hz
    # The spike is beyond the axis and left out of the line: every drawn point lies inside the plot.
    ys = [float(p.split(",")[1]) for line in root.iter(f"{NS}polyline") for p in line.get("points").split()]
    assert ys and all(charts.TOP <= y <= charts.H - charts.BOTTOM for y in ys)
    # The replay player's playhead reads the time axis: x0 x1 duration top bottom.
    x0, x1, duration, top, bottom = map(float, root.get("data-timeline").split())
    assert x0 == charts.LEFT and x1 == charts.W - charts.RIGHT and duration == 3 and top < bottom


def test_the_same_series_without_the_spike_has_the_same_axis():
    t = [0.01 * k for k in range(300)]
    pitch = [100.0 + 4 * ((k % 20) - 10) / 10 for k in range(300)]
    clean = y_labels(str(charts.pitch_chart(contour={"t": t, "pitch_hz": pitch, "dbfs": [-20.0] * 300})))
    pitch[150] = 400.0
    spiked = y_labels(str(charts.pitch_chart(contour={"t": t, "pitch_hz": pitch, "dbfs": [-20.0] * 300})))
    assert spiked == clean


def test_a_one_point_series_renders_readably():
    one = str(charts.line_chart([charts.Series("Pace", "#b45309", [142.0])], labels=["Dec 3"], title="Pace",
                                band=(120, 160)))
    root = parse(one)
    dots = list(root.iter(f"{NS}circle"))
    assert len(dots) == 1 and "142" in dots[0].find(f"{NS}title").text
    x, y = float(dots[0].get("cx")), float(dots[0].get("cy"))
    assert abs(x - (48 + (charts.W - 48 - 28) / 2)) < 1  # centred, not squeezed against the axis
    assert 10 <= y <= 200 - 28  # inside the plot
    assert "nan" not in one.lower() and "inf" not in one.lower() and len(set(y_labels(one))) >= 2
    assert "Dec 3" in one and "target band" in one

    contour = str(charts.loudness_chart(contour={"t": [0.5], "pitch_hz": [None], "dbfs": [-18.0]}, duration=1.0))
    root = parse(contour)
    assert len(list(root.iter(f"{NS}circle"))) == 1 and "nan" not in contour.lower()

    spark = str(charts.sparkline([70.0], label="Trend over 1 answer"))
    root = parse(spark)
    assert root.get("width") == "120" and len(list(root.iter(f"{NS}circle"))) >= 1


def test_nothing_to_draw_says_so():
    assert "No pitch contour was recorded." in charts.pitch_chart(contour=None)
    assert "No answered questions yet." in charts.scores_chart([])
    assert charts.sparkline([None, None], label="x") == ""
    parse(str(charts.bands_chart([])))


def test_text_is_escaped_and_missing_scores_leave_gaps():
    rows = [{"answer_id": 1, "position": 1, "content": 80, "delivery": None, "structure": 60}]
    svg = str(charts.scores_chart(rows))
    root = parse(svg)
    bars = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [b.find(f"{NS}title").text for b in bars] == ["Q1 content: 80 score", "Q1 structure: 60 score"]
    row = charts.Row(label="<script>", value=50, text="50%", color="#000")
    svg = str(charts.row_chart([row], title="a & b", desc="<d>", mark="bar", empty_message=""))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)


def test_pace_bars_are_judged_by_the_band_given():
    rows = [{"position": 1, "wpm": 140}, {"position": 2, "wpm": 230}]
    root = parse(str(charts.pace_chart(rows, low=120, high=160)))
    fills = {r.find(f"{NS}title").text: r.get("fill") for r in root.iter(f"{NS}rect")
             if r.find(f"{NS}title") is not None and r.find(f"{NS}title").text.startswith("Q")}
    assert fills == {"Q1 wpm: 140 wpm": charts.OK, "Q2 wpm: 230 wpm": charts.BAD}
