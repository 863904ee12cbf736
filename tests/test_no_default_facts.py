"""No default is published as a fact: what staff did not fill in stays blank wherever residents look.

A statistic whose source gives no period is not 「暦年」, a council member whose source names no post is not
「委員」, a target of 「100%」 is not 「100%以上」, a plan is not said to be based on a law its source does not
cite, and a meeting entered from a list of past meetings is not 「開催予定」.
"""

import io
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from pypdf import PdfReader

from councils.models import CouncilMember, Meeting
from councils.resources import CouncilMemberResource
from plans.models import Indicator, IndicatorValue, Plan
from tests.import_export_factories import csv_bytes, import_ticking_all
from tests.job_queue import run_queued_tasks
from tests.public_data import publish
from tests.staff_world import change_url, form_data, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    city_a, _ = make_world()
    return city_a


def page_text(client, url) -> str:
    html = re.sub(r"<svg\b.*?</svg>", "", client.get(url).content.decode(), flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def pdf_text(client, url) -> str:
    run_queued_tasks()  # the job worker typesets the 概要版 approval queued
    reader = PdfReader(io.BytesIO(client.get(url).getvalue()))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def blank_form_initials(user, model) -> dict:
    """The initial value of each field of the admin's add form, as a new row starts."""
    request = RequestFactory().get("/")
    request.user = user
    form = admin.site._registry[model].get_form(request)()
    return {name: form[name].value() for name in form.fields}


def test_new_rows_start_with_nothing_filled_in_for_staff_to_confirm(city):
    assert blank_form_initials(city.editor, Indicator)["period_kind"] in ("", None)
    assert blank_form_initials(city.editor, Indicator)["direction"] in ("", None)
    assert blank_form_initials(city.editor, CouncilMember)["role"] in ("", None)
    assert blank_form_initials(city.editor, Meeting)["status"] in ("", None)
    assert blank_form_initials(city.editor, Plan)["legal_basis"] in ("", None)


def test_a_statistic_without_a_stated_period_is_labelled_by_its_year_alone(client, city):
    statistic = Indicator.objects.create(plan=city.plan, kind=Indicator.Kind.STATISTIC, name="刑法犯認知件数",
                                         unit="件")
    IndicatorValue.objects.create(indicator=statistic, year=2022, value=Decimal(5210))
    publish(city.plan)
    text = page_text(client, city.plan.get_absolute_url())
    assert "刑法犯認知件数（単位：件） 年（年度） 熊本市" in text and "令和4 5,210件" in text
    assert "令和4年 5,210件" not in text


def test_a_target_of_100_percent_says_no_bound_the_source_did_not_state(client, city):
    rate = Indicator.objects.create(plan=city.plan, name="相談につながった割合", unit="%", baseline_value=80,
                                    baseline_year=2022, target_value=100)
    IndicatorValue.objects.create(indicator=rate, year=2023, value=90)
    publish(city.plan)
    text = page_text(client, city.plan.get_absolute_url())
    assert "目標値 100%" in text and "100%以上" not in text
    rate.direction = Indicator.Direction.HIGHER  # chosen: the source says 「100%以上」
    rate.save()
    publish(city.plan)
    assert "目標値 100%以上" in page_text(client, city.plan.get_absolute_url())


def test_a_member_without_a_post_in_the_source_has_none_on_the_page_and_in_the_pdf(client, city):
    assert city.member.role == ""  # created without one, as the world's source names none
    publish(city.plan)
    council = page_text(client, city.council.get_absolute_url())
    assert "委員" not in council.replace("委員の職名", "")
    assert "構成団体" in council and city.organization.name in council
    assert "国の機関委員" not in pdf_text(client, f"/plans/{city.plan.pk}/summary.pdf")


def test_an_imported_member_without_a_post_stays_without_one(city):
    member = CouncilMember.objects.get(council=city.council)
    rows = [["団体コード", "計画名", "会議名", "団体名", "分野", "役職", "委員の職名", "任期（開始）", "任期（終了）", "順番"],
            [city.municipality.code, city.plan.title, city.council.name, "熊本市社会福祉協議会", "民間非営利団体", "", "",
             "", "", "2"]]
    result, ticked = import_ticking_all(CouncilMemberResource, csv_bytes(rows), city.editor)
    assert not result.has_problems(), result.messages()
    assert ticked == [f"関係機関・団体“熊本市社会福祉協議会”（{city.municipality.name}、分野：民間非営利団体）"]
    new = CouncilMember.objects.exclude(pk=member.pk).get(council=city.council)
    assert new.role == "" and str(new) == "熊本市社会福祉協議会"


def test_a_meeting_whose_status_is_not_stated_is_not_announced_as_coming(client, city):
    city.meeting.status = ""
    city.meeting.save()
    publish(city.plan)
    text = page_text(client, city.plan.get_absolute_url())
    assert f"{city.meeting.title} （令和6年7月1日）" in text
    assert "開催予定" not in text
    assert "開催状況" not in page_text(client, city.meeting.get_absolute_url())


def test_a_plan_without_a_legal_basis_is_not_said_to_rest_on_one(client, city):
    assert city.plan.legal_basis == ""
    publish(city.plan)
    assert "根拠法令" not in page_text(client, city.plan.get_absolute_url())
    assert "に定める「地方再犯防止推進計画」として策定します" not in pdf_text(client, f"/plans/{city.plan.pk}/summary.pdf")


def test_a_target_added_on_the_plan_page_with_its_kind_as_offered_saves_without_a_direction(client, city):
    # The plan page's indicator rows have no 望ましい方向: a new 成果目標 there is saved, never a server error.
    client.force_login(city.editor)
    data = form_data(client, city.plan)
    data.update({"indicators-TOTAL_FORMS": "2", "indicators-1-name": "研修の受講率", "indicators-1-unit": "%",
                 "indicators-1-kind": "target"})
    response = client.post(change_url(city.plan), data)
    assert response.status_code == 302
    assert Indicator.objects.get(plan=city.plan, name="研修の受講率").direction == ""
