"""The first hour of a new user, instructor or admin: a landing page that shows the product with local pictures, a
way for candidates to find "join a cohort", a branded admin with correct plural names, and a quiet start."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.apps import apps
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def test_landing_shows_the_product_with_local_pictures(client):
    page = client.get(reverse("landing")).content.decode()
    images = re.findall(r'<img src="([^"]+)"[^>]*alt="([^"]*)"', page)
    shots = [(src, alt) for src, alt in images if "landing-" in src]
    assert len(shots) == 2 and all(alt for _src, alt in shots)  # described for screen readers
    for src, _alt in shots:
        assert src.startswith("/static/")  # served locally, never from a CDN
        svg = finders.find(src.removeprefix("/static/"))
        assert svg and "<title" in open(svg, encoding="utf-8").read()  # noqa: PTH123, SIM115
    assert "How it works" in page


def test_candidates_find_join_a_cohort(client, candidate, instructor):
    client.force_login(candidate)
    join = reverse("cohorts:join")
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert dashboard.count(f'href="{join}"') == 2  # the navigation and the dashboard card
    client.force_login(instructor)  # instructors run cohorts instead
    assert f'href="{join}"' not in client.get(reverse("dashboard")).content.decode()


def test_admin_is_branded_and_says_masteries(client, admin):
    client.force_login(admin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Interview Prep administration" in index and "Django administration" not in index
    assert "Subtopic masteries" in index and "Topic masteries" in index and "masterys" not in index.lower()
    for model in apps.get_models():
        plural = str(model._meta.verbose_name_plural)
        assert not re.search(r"(?<![aeiou])ys$", plural), f"{model.__name__}: {plural}"


def test_a_healthy_start_logs_no_error_looking_lines():
    """Importing faiss logs each missing CPU-specific build with a ModuleNotFoundError at INFO; silenced."""
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'interviewprep.settings'); "
            "django.setup(); import logging; logging.getLogger().setLevel(logging.INFO); import faiss; "
            "logging.getLogger('interviewprep').info('started')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=True)
    output = result.stdout + result.stderr
    assert "started" in output  # INFO lines do reach the console
    assert "ModuleNotFoundError" not in output and "Could not load" not in output
