"""The report explained and shared: each figure's meaning where it appears, the PDF's legend and repeated table
headers with the page's figures, and a mentor's share link (signed, read-only, expiring, revocable, rate-limited)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from sessions.models import InterviewSession, ReportShareLink, SessionStatus
from sessions.reporting import FIGURE_HELP, report_build
from sessions.selectors import share_token
from tests.sessions.test_report import interview  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _pdf_pages(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def _share(client, session) -> ReportShareLink:  # noqa: ANN001
    response = client.post(reverse("interviews:report_share", args=[session.pk]), {"note": "Sam", "days": ""})
    assert response.status_code == 302
    return ReportShareLink.objects.filter(session=session).latest("created_at")


def _shared_url(link: ReportShareLink) -> str:
    return reverse("interviews:report_shared", args=[share_token(link)])


def test_every_figure_is_explained_on_the_page_and_in_the_pdf_with_equal_values(client, candidate, interview) -> None:  # noqa: ANN001, F811
    report = report_build(session_id=interview.pk)
    client.force_login(candidate)
    html = unescape(client.get(reverse("interviews:report", args=[interview.pk])).content.decode())
    for key in ("content", "delivery", "structure", "confidence"):
        assert FIGURE_HELP[key] in html, key
    # A measured number is not quoted as if the candidate had said it; the candidate's words are.
    assert "words per minute over 40 s" in html and "“190 words per minute" not in html
    shown = {k: re.search(rf'data-score="{k}">([^<]+)<', html).group(1) for k in
             ("content", "delivery", "structure", "confidence")}
    assert shown["confidence"] == f"{report.data['scores']['confidence']:.0f}"
    pages = _pdf_pages(client.get(reverse("interviews:report_pdf", args=[interview.pk])).content)
    first = pages[0]
    assert "Content Delivery Structure Confidence " + " ".join(shown.values()) in first
    assert "How sure you sound" in first and "Words per minute from the first word" in first
    # The chart's legend names each bar colour.
    assert re.search(r"Q1 .*100 Content Delivery Structure # Question", first), first[first.find("Per question"):][:400]


def test_a_long_table_repeats_its_header_on_every_page(client, candidate, answer_factory) -> None:  # noqa: ANN001
    now = timezone.now()
    session = InterviewSession.objects.create(owner=candidate, status=SessionStatus.COMPLETED, started_at=now,
                                              finished_at=now)
    for i in range(60):
        answer_factory(user=candidate, session=session, input_mode="text", content_score=40.0 + i % 50,
                       structure_score=50.0, transcript="A typed answer.",
                       question=f"Question number {i + 1} about indexes, joins and the cost of each write?")
    report_build(session_id=session.pk)
    client.force_login(candidate)
    pages = _pdf_pages(client.get(reverse("interviews:report_pdf", args=[session.pk])).content)
    table_pages = [p for p in pages if "Question number" in p]
    assert len(table_pages) >= 3
    for page in table_pages:
        header = page.find("# Question Content Delivery Structure Pace")
        assert 0 <= header < page.find("Question number"), page[:300]


def test_a_mentor_opens_the_shared_report_without_logging_in_sees_nothing_else(client, candidate, interview) -> None:  # noqa: ANN001, F811
    report_build(session_id=interview.pk)
    other = InterviewSession.objects.create(owner=candidate, status=SessionStatus.COMPLETED,
                                            started_at=timezone.now(), finished_at=timezone.now())
    client.force_login(candidate)
    link = _share(client, interview)
    assert timedelta(days=13, hours=23) < link.expires_at - timezone.now() <= timedelta(days=14)  # the default
    page = client.get(reverse("interviews:report", args=[interview.pk])).content.decode()
    assert _shared_url(link) in page and "Revoke" in page
    client.logout()
    response = client.get(_shared_url(link))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    html = response.content.decode().split("<main", 1)[1]
    assert 'data-score="content"' in html and "data-shared" in html and "How sure you sound" in html
    assert "/interviews/answers/" not in html and "/audio" not in html and "data-share" not in html.replace(
        "data-shared", "")
    assert f"/interviews/{other.pk}/" not in html and reverse("interviews:report_pdf", args=[interview.pk]) not in html
    pdf = client.get(reverse("interviews:report_shared_pdf", args=[share_token(link)]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The link opens this report only: the owner's own pages still need a login.
    assert client.get(reverse("interviews:report", args=[interview.pk])).status_code == 302
    link.refresh_from_db()
    assert link.views == 1


def test_revoked_expired_and_forged_links_are_404(client, candidate, interview) -> None:  # noqa: ANN001, F811
    report_build(session_id=interview.pk)
    client.force_login(candidate)
    link = _share(client, interview)
    token = share_token(link)
    other = InterviewSession.objects.create(owner=candidate, status=SessionStatus.COMPLETED,
                                            started_at=timezone.now(), finished_at=timezone.now())
    # A token edited to name another link (or carrying the wrong nonce) fails its signature or the lookup.
    forged = token.replace(token.split(":")[0], token.split(":")[0][::-1])
    for bad in (forged, "nonsense", token + "x"):
        assert client.get(reverse("interviews:report_shared", args=[bad])).status_code == 404
    stolen = ReportShareLink.objects.create(session=other, expires_at=timezone.now() + timedelta(days=1))
    stolen.nonce = link.nonce + "x"
    assert client.get(_shared_url(stolen)).status_code == 404  # a nonce not stored is no link
    assert client.get(reverse("interviews:report_shared", args=[token])).status_code == 200
    assert client.post(reverse("interviews:report_share_revoke", args=[interview.pk, link.pk])).status_code == 302
    client.logout()
    assert client.get(reverse("interviews:report_shared", args=[token])).status_code == 404
    assert client.get(reverse("interviews:report_shared_pdf", args=[token])).status_code == 404
    expired = ReportShareLink.objects.create(session=interview, expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(_shared_url(expired)).status_code == 404


def test_only_the_owner_manages_links_and_bad_input_makes_none(client, candidate, other_candidate, interview) -> None:  # noqa: ANN001, F811
    report_build(session_id=interview.pk)
    client.force_login(candidate)
    link = _share(client, interview)
    client.force_login(other_candidate)
    assert client.post(reverse("interviews:report_share_revoke", args=[interview.pk, link.pk])).status_code == 404
    assert client.post(reverse("interviews:report_share", args=[interview.pk]), {"days": "3"}).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None and ReportShareLink.objects.count() == 1
    client.force_login(candidate)
    for days in ("abc", "0", "61", "-3"):
        response = client.post(reverse("interviews:report_share", args=[interview.pk]), {"days": days}, follow=True)
        assert response.status_code == 200 and "message error" in response.content.decode()
    assert ReportShareLink.objects.count() == 1
    open_session = InterviewSession.objects.create(owner=candidate, started_at=timezone.now())
    client.post(reverse("interviews:report_share", args=[open_session.pk]), {"days": "3"})
    assert not ReportShareLink.objects.filter(session=open_session).exists()
    assert client.get(reverse("interviews:report_share", args=[interview.pk])).status_code == 405


def test_opening_shared_reports_is_rate_limited(client, candidate, interview, settings) -> None:  # noqa: ANN001, F811
    report_build(session_id=interview.pk)
    client.force_login(candidate)
    link = _share(client, interview)
    client.logout()
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report_shared": "2/m"}
    cache.clear()
    codes = [client.get(_shared_url(link)).status_code for _ in range(3)]
    cache.clear()
    assert codes == [200, 200, 429]
