# ruff: noqa: F811 (the kumamoto_meeting fixture imported from tests.test_pdf_documents)
"""What a city prints and residents read: one mark per item, no empty headings, the whole 成果目標, headers
wrapped by word, and no 0 % for a year nobody reported."""

import pytest
from django.core.cache import cache

from reoffense_portal.summaries.documents import MeetingReport
from tests.test_pdf_documents import kumamoto_meeting, pdf_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_the_meeting_report_prints_an_area_with_nothing_reported_as_unreported_not_0_percent(kumamoto_meeting):
    """熊本市 reported 令和5年度 for one programme of area 1 only."""
    text = pdf_text(MeetingReport(kumamoto_meeting, draft=False).pdf())
    assert "1国・県・関係団体との連携強化と広報・啓発の推進425%" in text  # 4 programmes, 1 carried out
    assert "2住居の確保に関する支援4未報告" in text
    assert "住居の確保に関する支援実施率未報告" in text
    assert "住居の確保に関する支援40%" not in text and "実施率0%" not in text
