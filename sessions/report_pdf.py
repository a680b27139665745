"""The interview report as a PDF (reportlab), from the same `Report.data` the page renders, with the same figures
and the same explanation next to each (sessions/reporting.FIGURE_HELP). Charts carry a legend; tables repeat their
header row on every page they continue on, and a heading stays with what follows it."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pipeline.figures import figure_text
from sessions.models import InterviewSession, Report
from sessions.reporting import FIGURE_HELP

SCORE_SERIES = (("content", "Content", "#4f46e5"), ("delivery", "Delivery", "#0891b2"),
                ("structure", "Structure", "#d97706"))
HEADER_STYLE = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2ff")), ("FONTNAME", (0, 0), (-1, 0),
                                                                             "Helvetica-Bold")]


_n = figure_text  # half up, as the page's `floatformat` rounds, so a 32.5 reads 33 on both


def _scores_drawing(rows: list[dict[str, Any]]) -> Drawing | None:
    rows = [r for r in rows if r.get("answer_id")]
    if not rows:
        return None
    drawing = Drawing(170 * mm, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 8 * mm, 150 * mm, 42 * mm
    chart.data = [[float(r.get(k) or 0) for r in rows] for k, _, _ in SCORE_SERIES]
    chart.categoryAxis.categoryNames = [f"Q{r['position']}" for r in rows]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 25
    for i, (_, _, colour) in enumerate(SCORE_SERIES):
        chart.bars[i].fillColor = colors.HexColor(colour)
    drawing.add(chart)
    # The legend says which bar is which (a bar missing from a question means no score, drawn as 0).
    legend = Legend()
    legend.x, legend.y = 12 * mm, 59 * mm
    legend.alignment, legend.columnMaximum, legend.fontSize = "right", 1, 8
    legend.colorNamePairs = [(colors.HexColor(colour), label) for _, label, colour in SCORE_SERIES]
    drawing.add(legend)
    return drawing


def _table(rows: list[list[Any]], *, widths: list[float] | None = None, extra: list[Any] | None = None) -> Table:
    """A table whose header row repeats on each page it continues on (never split from its first data row)."""
    return Table(rows, colWidths=widths, repeatRows=1, style=TableStyle(
        [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"), *HEADER_STYLE,
         *(extra or [])]))


def _evidence(example: dict[str, Any]) -> str:
    """An example's evidence as the page shows it: quoted only when it is the candidate's words."""
    text = example.get("evidence")
    if not text:
        return ""
    quoted = example.get("evidence_kind", "quote") == "quote"
    return f" — “{escape(text)}”" if quoted else f" ({escape(text)})"


def report_pdf_render(*, report: Report, session: InterviewSession) -> bytes:
    data = report.data or {}
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    h2 = ParagraphStyle("Heading2Kept", parent=styles["Heading2"], keepWithNext=1)  # never last on a page
    note = ParagraphStyle("FigureNote", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#4b5563"))
    story: list[Any] = [
        Paragraph(f"Interview report · {escape(session.get_mode_display())} · "
                  f"{session.created_at:%d %b %Y}", styles["Title"]),
    ]
    counts = data.get("counts") or {}
    if counts:
        skipped = f", {counts['skipped']} skipped" if counts.get("skipped") else ""
        follow_ups = (f" (including {counts['follow_ups']} follow-up{'s' if counts['follow_ups'] != 1 else ''})"
                      if counts.get("follow_ups") else "")
        story.append(Paragraph(f"{counts.get('answered', 0)} of {counts.get('questions', 0)} questions answered"
                               f"{follow_ups}{skipped}", body))
    if data.get("pace_wpm") is not None:
        story.append(Paragraph(f"Mean pace {_n(data['pace_wpm'])} wpm ({escape(FIGURE_HELP['pace'])} "
                               f"Target {escape(data.get('pace_target', ''))}.)", body))
    scores = data.get("scores") or {}
    story.append(Table([["Content", "Delivery", "Structure", "Confidence"],
                        [_n(scores.get("content")), _n(scores.get("delivery")), _n(scores.get("structure")),
                         _n(scores.get("confidence"))]],
                       style=TableStyle([("FONTSIZE", (0, 1), (-1, 1), 18), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                                         ("TOPPADDING", (0, 1), (-1, 1), 8)])))
    # What each figure means, where it appears: the page shows the same sentences under its scores.
    story.append(KeepTogether([Paragraph(f"<b>{key.capitalize()}</b>: {escape(FIGURE_HELP[key])}", note)
                               for key in ("content", "delivery", "structure", "confidence")]
                              + [Paragraph(escape(FIGURE_HELP["means"]), note)]))
    for note in (data.get("trends") or {}).get("notes", []):
        story.append(Paragraph(escape(note), body))
    story.append(Paragraph("Per question", h2))
    drawing = _scores_drawing(data.get("questions") or [])
    if drawing is not None:
        story.append(drawing)
    table = [["#", "Question", "Content", "Delivery", "Structure", "Pace"]]
    for row in data.get("questions") or []:
        table.append([f"Q{row['position']}", Paragraph(escape(row["text"][:160]), body), _n(row.get("content")),
                      _n(row.get("delivery")), _n(row.get("structure")),
                      f"{_n(row.get('wpm'))} wpm" if row.get("wpm") is not None else "—"])
    story.append(_table(table, widths=[10 * mm, 90 * mm, 18 * mm, 18 * mm, 18 * mm, 20 * mm]))
    for title, key in (("Top strengths", "strengths"), ("Top improvements", "improvements")):
        groups = data.get(key) or []
        if groups:
            story.append(Paragraph(title, h2))
            for group in groups:
                example = group["examples"][0] if group.get("examples") else {}
                story.append(Paragraph(
                    f"<b>{escape(group['label'])}</b> ({group['count']} answer(s)): "
                    f"{escape(example.get('title', ''))}"
                    + _evidence(example), body))
    bands = [b for b in data.get("bands") or [] if b.get("value") is not None]
    if bands:
        story.append(Paragraph("Delivery against the target bands", h2))
        story.append(_table([["Measure", "You", "Target", "Inside the target?"]] + [
            [b["label"], f"{b['value']:g} {b['unit']}", b["target"], "inside" if b["ok"] else "outside"]
            for b in bands]))
    for note in (data.get("delivery_trend") or {}).get("notes", []):
        story.append(Paragraph(escape(note), body))
    if data.get("study_next"):
        story.append(Paragraph("What to study next", h2))
        for item in data["study_next"]:
            story.append(Paragraph(f"<b>{escape(item['topic'])} / {escape(item['subtopic'])}</b>: "
                                   f"{escape(item['reason'])}", body))
    story.append(Spacer(1, 6 * mm))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"Interview report {session.pk}", author="interviewprep",
                            leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)
    doc.build(story)
    return buffer.getvalue()
