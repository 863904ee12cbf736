"""Every response carries a strict Content-Security-Policy: scripts and styles only from the site's own files.

tests/browser/test_content_security_policy.py checks in Chromium that the pages work under it.
"""

import re

import pytest

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def assert_strict(response):
    policy = policy_of(response)
    for directive in ["script-src", "style-src"]:
        assert policy[directive] == ["'self'"], directive
    assert policy["default-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_public_page_carries_the_policy_also_from_the_page_cache(client, seeded):
    first = client.get("/")
    cached = client.get("/")
    assert first.status_code == cached.status_code == 200
    assert_strict(first)
    assert_strict(cached)


def test_admin_login_carries_the_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_strict(response)


def test_not_found_page_carries_the_policy(client, seeded):
    response = client.get("/plans/999999/")
    assert response.status_code == 404
    assert_strict(response)


def test_pdf_and_csv_downloads_carry_the_policy(client, seeded, run_jobs):
    run_jobs()
    pdf = client.get("/plans/2001/summary.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert_strict(pdf)
    csv = client.get("/opendata/plans/2001/programs.csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert_strict(csv)


def test_kpi_chart_draws_without_inline_css_the_policy_would_refuse(client, seeded):
    html = client.get("/plans/2001/").content.decode()
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert re.search(r'<path [^>]*fill="#ffffff"', svg), "matplotlib's colours as presentation attributes"
    assert 'stroke-linejoin="round"' in svg.split(">", 1)[0]
    assert "<style" not in svg and " style=" not in svg
