"""Searching the admin's lists nationwide: a common word is listed at once and counted only up to a cap.

A word in 36,000 of a nation's progress rows (「就労」) once cost 1.6 s to
count and sort. The search now tells a rare word (found by its few row ids)
from a common one (listed in the list's order until the page is full), and
the list says 「1,000件以上」 rather than counting them. Here the cap is
lowered to 3 and a page holds 2 rows.
"""

import pytest
from django.urls import reverse

from measures.admin import ProgramProgressAdmin
from measures.models import Program, ProgramProgress
from reoffense_portal.machinery.scoping import filters
from tests.public_data import build_plan, municipality
from tests.staff_world import make_user

SEARCH_FIELDS = ProgramProgressAdmin.search_fields


@pytest.fixture
def progress(db):
    """Two cities' progress: every row says 就労, one row also says 住居, another NPO."""
    rows = []
    for code, name in (("352039", "山口市"), ("432016", "熊本市")):
        plan = build_plan(municipality(code=code, name=name), published=False)
        for program in Program.objects.of_plan(plan)[:3]:
            for year in (2023, 2024):
                rows.append(ProgramProgress(program=program, fiscal_year=year, status=ProgramProgress.Status.IMPLEMENTED,
                                            results=f"{year}年度は就労の相談に応じました。"))
    rows[0].results += "住居の相談もありました。"
    rows[1].results += "NPO法人と連携しました。"
    ProgramProgress.objects.bulk_create(rows)
    return ProgramProgress.objects.all()


@pytest.fixture
def low_cap(monkeypatch):
    monkeypatch.setattr(filters, "SEARCH_PROBE", 3)
    monkeypatch.setattr(filters.CappedPaginator, "cap", 3)
    monkeypatch.setattr(ProgramProgressAdmin, "list_per_page", 2)


def found(queryset, term, nationwide=True):
    rows, _ = filters.search_field_by_field(queryset, SEARCH_FIELDS, term, nationwide=nationwide)
    return sorted(rows.values_list("pk", flat=True))


# Two characters (就労, np) are found by their bigram index on PostgreSQL, three or more by the trigram one.
@pytest.mark.parametrize("term", ["就労", "相談", "福祉", "住居", "就労 住居", '"就労の相談"', "虹色", "np", "Npo法人"])
def test_a_word_finds_the_same_rows_nationwide_whether_it_is_common_or_rare(progress, monkeypatch, term):
    # 福祉 is in every row's department (地域福祉課), a to-many relation: each row once, not once per department.
    within_a_city = found(progress, term, nationwide=False)
    rare = found(progress, term)
    monkeypatch.setattr(filters, "SEARCH_PROBE", 1)
    common = found(progress, term)
    assert common == rare == within_a_city
    assert len(rare) == len(set(rare))
    expected = {"就労": 12, "相談": 12, "福祉": 12, "住居": 1, "就労 住居": 1, '"就労の相談"': 12, "虹色": 0,
                "np": 1, "Npo法人": 1}
    assert len(rare) == expected[term]


def test_a_nationwide_search_for_a_common_word_says_more_than_the_cap_and_lists_the_first_rows(
    client, progress, low_cap
):
    client.force_login(make_user("national-admin", is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:measures_programprogress_changelist"), {"q": "就労"})
    page = response.content.decode()
    assert "3件以上（はじめの3件を表示しています。検索語を増やすか、絞り込んでください）" in page
    first_two = progress.order_by("-fiscal_year", "program_id")[:2]
    assert [row.pk for row in response.context["cl"].result_list] == [row.pk for row in first_two]
    # Selecting every row found would act on rows nobody counted or saw.
    assert 'class="question' not in page


def test_a_search_with_fewer_rows_than_the_cap_counts_them(client, progress, low_cap):
    client.force_login(make_user("national-admin", is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:measures_programprogress_changelist"), {"q": "住居"})
    page = response.content.decode()
    assert "件以上" not in page
    assert response.context["cl"].result_count == 1
