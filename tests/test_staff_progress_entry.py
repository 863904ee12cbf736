"""The yearly progress screen: every programme and indicator of a plan for one fiscal year on one page."""

import re

import pytest
from django.forms.renderers import get_default_renderer
from django.urls import reverse

from measures.models import Measure, PriorityArea, Program, ProgramProgress
from plans.models import Indicator, IndicatorValue, StaffMembership
from tests.staff_world import entry_data, entry_url, make_user, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    city_a, city_b = make_world()
    # A second programme in the same measure and a second area, so the page groups them.
    Program.objects.create(measure=city_a.measure, order=2, name="職場体験の受入れ")
    area = PriorityArea.objects.create(plan=city_a.plan, number=2, title="居住支援")
    measure = Measure.objects.create(area=area, number=1, title="住居の確保")
    Program.objects.create(measure=measure, name="市営住宅の情報提供")
    Indicator.objects.create(
        plan=city_a.plan, kind="statistic", order=2, name="刑法犯認知件数", unit="件"
    )
    return city_a, city_b


def program(name):
    return Program.objects.get(name=name)


def test_the_pick_screen_offers_own_plans_and_opens_the_entry_page(client, world):
    city_a, city_b = world
    client.force_login(city_a.editor)
    response = client.get(reverse("admin:measures_programprogress_entry_pick"))
    assert response.status_code == 200
    plans = list(response.context["form"].fields["plan"].queryset)
    assert plans == [city_a.plan]
    assert "令和6年度（2024年度）" in response.content.decode()
    response = client.get(
        reverse("admin:measures_programprogress_entry_pick"),
        {"plan": city_a.plan.pk, "fiscal_year": 2024},
    )
    assert response.status_code == 302 and response.url == entry_url(city_a.plan, 2024)
    response = client.get(
        reverse("admin:measures_programprogress_entry_pick"),
        {"plan": city_b.plan.pk, "fiscal_year": 2024},
    )
    assert response.status_code == 200
    assert "担当する自治体の計画を選んでください" in response.content.decode()
    response = client.get(
        reverse("admin:measures_programprogress_entry_pick"),
        {"plan": city_a.plan.pk, "fiscal_year": 2028},
    )
    # The choice again, saying why: only the years of the user's plans are offered (令和5年度～令和9年度).
    assert response.status_code == 200
    assert "正しく選択してください。 2028 は候補にありません。" in response.content.decode()


def test_the_admin_index_and_plan_page_lead_to_the_screen(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:measures_programprogress_entry_pick") in index
    response = client.get(
        reverse("admin:measures_programprogress_entry_plan", args=[city_a.plan.pk])
    )
    assert response.status_code == 302 and response.url.startswith(
        entry_url(city_a.plan, 2020)[:-5]
    )


def test_another_citys_plan_and_years_outside_the_period_are_not_found(client, world):
    city_a, city_b = world
    client.force_login(city_a.editor)
    assert client.get(entry_url(city_b.plan, 2024)).status_code == 404
    assert client.post(entry_url(city_b.plan, 2024), {}).status_code == 404
    assert client.get(entry_url(city_a.plan, 2030)).status_code == 404


def test_the_page_groups_programmes_by_area_and_measure_and_prefills_from_last_year(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = client.get(entry_url(city_a.plan, 2024))
    assert response.status_code == 200
    areas = response.context["areas"]
    assert [group["area"].title for group in areas] == ["就労支援", "居住支援"]
    rows = areas[0]["measures"][0]["rows"]
    assert [p.name for p, _ in rows] == ["協力雇用主の拡大", "職場体験の受入れ"]
    prefilled = rows[0][1]
    assert prefilled.prefilled and prefilled["status"].value() == "implemented"
    assert prefilled["results"].value() in (None, "")  # the year's own results are not copied
    page = response.content.decode()
    assert "前年度の値" in page and "前年度：実績" in page
    assert "刑法犯認知件数" in page and "令和6年" in page


def row_forms(response):
    return [form for group in response.context["areas"] for item in group["measures"] for _, form in item["rows"]] + [
        form for _, _, form in response.context["indicator_rows"]
    ]


def assert_written_as_djangos_widgets(response):
    """Each field and its errors as Django's own templates write them (the screen writes them in Python)."""

    def compact(html):
        return re.sub(r">\s+<", "><", str(html))

    django = get_default_renderer()
    for form in row_forms(response):
        ours = [(str(form[name]), str(form[name].errors)) for name in form.fields]
        screen_renderer, form.renderer = form.renderer, django
        theirs = [(str(form[name]), form[name].errors.render(renderer=django)) for name in form.fields]
        form.renderer = screen_renderer
        assert [tuple(map(compact, pair)) for pair in ours] == [tuple(map(compact, pair)) for pair in theirs]


def test_what_was_recorded_comes_back_as_typed_in_the_fields_django_would_write(client, world):
    city_a, _ = world
    ProgramProgress.objects.filter(pk=city_a.progress.pk).update(
        results='<b>"12社"</b> & 面談', rating="B", budget=300000
    )
    client.force_login(city_a.editor)
    response = client.get(entry_url(city_a.plan, 2023))
    page = response.content.decode()
    assert "&lt;b&gt;&quot;12社&quot;&lt;/b&gt; &amp; 面談</textarea>" in page
    assert '<option value="B" selected>B</option>' in page
    assert f'name="program-{city_a.program.pk}-budget" value="300,000"' in page  # grouped as staff write it
    assert_written_as_djangos_widgets(response)

    # Sent back with a wrong count: the count is marked invalid, its error shown, the rest kept.
    field = f"program-{city_a.program.pk}-support_count"
    response = client.post(entry_url(city_a.plan, 2023), {**entry_data(response), field: "-3"})
    page = response.content.decode()
    assert re.search(rf'name="{field}" value="-3"[^>]*aria-invalid="true"', page)
    assert f'<ul class="errorlist" id="id_{field}_error"><li>' in page
    assert "&lt;b&gt;&quot;12社&quot;&lt;/b&gt; &amp; 面談</textarea>" in page
    assert_written_as_djangos_widgets(response)


def test_saving_records_every_programme_and_indicator_and_updates_the_rates(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = client.get(entry_url(city_a.plan, 2024))
    assert response.context["areas"][0]["rate"] is None  # nothing recorded for the year yet: no rate
    data = entry_data(response)
    first, second, housing = (
        program(n) for n in ("協力雇用主の拡大", "職場体験の受入れ", "市営住宅の情報提供")
    )
    data.update(
        {
            f"program-{first.pk}-results": "協力雇用主を12社開拓",
            f"program-{first.pk}-support_count": "12",
            f"program-{first.pk}-actual_cost": "150000",
            f"program-{second.pk}-status": "partial",
            f"program-{housing.pk}-status": "not_implemented",
            f"indicator-{city_a.indicator.pk}-value": "470",
            f"indicator-{city_a.indicator.pk}-national_value": "90000",
        }
    )
    response = client.post(entry_url(city_a.plan, 2024), data, follow=True)
    page = response.content.decode()
    assert "令和6年度（2024年度）の進捗を保存しました（取組・事業 3件、指標の値 1件）" in page
    saved = {p.program.name: p for p in ProgramProgress.objects.filter(fiscal_year=2024)}
    assert saved["協力雇用主の拡大"].status == "implemented"
    assert (
        saved["協力雇用主の拡大"].support_count == 12
        and saved["協力雇用主の拡大"].actual_cost == 150000
    )
    assert saved["職場体験の受入れ"].status == "partial"
    assert saved["市営住宅の情報提供"].status == "not_implemented"
    assert saved["協力雇用主の拡大"].history.first().history_user == city_a.editor
    value = IndicatorValue.objects.get(indicator=city_a.indicator, year=2024)
    assert value.value == 470 and value.national_value == 90000
    assert not IndicatorValue.objects.filter(
        indicator__name="刑法犯認知件数"
    ).exists()  # left empty
    rates = [group["rate"] for group in response.context["areas"]]
    assert rates == [100, 0]
    assert "100.0%" in page


def test_one_wrong_row_saves_nothing_and_says_so_in_japanese(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    data = entry_data(client.get(entry_url(city_a.plan, 2024)))
    second = program("職場体験の受入れ")
    housing = program("市営住宅の情報提供")
    data.update(
        {
            f"program-{second.pk}-status": "partial",
            f"program-{housing.pk}-support_count": "-3",
            f"indicator-{city_a.indicator.pk}-value": "多い",
        }
    )
    response = client.post(entry_url(city_a.plan, 2024), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "何も保存していません" in page
    assert "0 以上" in page or "0以上" in page
    assert "実施状況を選んでください" in page
    assert "“多い” は数値として読めません（「49,653」「49653件」のように数字で入力してください）。" in page
    assert not ProgramProgress.objects.filter(fiscal_year=2024).exists()
    assert not IndicatorValue.objects.filter(year=2024).exists()
    assert 'value="多い"' in page  # the input is kept


def test_a_recorded_status_cannot_be_emptied(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    data = entry_data(client.get(entry_url(city_a.plan, 2023)))
    data[f"program-{city_a.program.pk}-status"] = ""
    response = client.post(entry_url(city_a.plan, 2023), data)
    assert "登録済みの進捗の実施状況は空にできません" in response.content.decode()
    assert ProgramProgress.objects.get(pk=city_a.progress.pk).status == "implemented"


def test_a_row_saved_by_a_colleague_meanwhile_is_overwritten_only_when_confirmed(client, world):
    city_a, _ = world
    colleague = make_user("suzuki")
    StaffMembership.objects.create(user=colleague, municipality=city_a.municipality)
    client.force_login(city_a.editor)
    data = entry_data(client.get(entry_url(city_a.plan, 2023)))
    progress = ProgramProgress.objects.get(pk=city_a.progress.pk)
    progress.results = "同僚が書いた実績"
    progress._history_user = colleague
    progress.save()
    results = f"program-{city_a.program.pk}-results"

    response = client.post(entry_url(city_a.plan, 2023), {**data, results: "私の実績"})
    page = response.content.decode()
    assert "上書きせずに保存を中止しました" in page
    assert "現在の保存内容：同僚が書いた実績（suzukiさんが" in page
    assert "私の実績" in page and "他の人の変更を確認し、自分の入力で上書きする" in page
    assert ProgramProgress.objects.get(pk=progress.pk).results == "同僚が書いた実績"

    # Saving the page again as shown is still refused.
    response = client.post(entry_url(city_a.plan, 2023), entry_data(response))
    assert "上書きせずに保存を中止しました" in response.content.decode()
    assert ProgramProgress.objects.get(pk=progress.pk).results == "同僚が書いた実績"

    # With the confirmation ticked, the editor's value is saved and the history says who.
    response = client.post(
        entry_url(city_a.plan, 2023), {**entry_data(response), "_confirm_overwrite": "1"}
    )
    assert response.status_code == 302
    progress.refresh_from_db()
    assert progress.results == "私の実績"
    assert progress.history.first().history_user == city_a.editor


def test_a_year_recorded_by_a_colleague_meanwhile_is_not_duplicated(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    data = entry_data(client.get(entry_url(city_a.plan, 2024)))
    ProgramProgress.objects.create(program=city_a.program, fiscal_year=2024, status="partial")
    response = client.post(entry_url(city_a.plan, 2024), data)
    assert response.status_code == 200
    assert "上書きせずに保存を中止しました" in response.content.decode()
    assert ProgramProgress.objects.get(program=city_a.program, fiscal_year=2024).status == "partial"


def test_untouched_page_of_a_recorded_year_saves_nothing_new(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    before = city_a.progress.history.count()
    data = entry_data(client.get(entry_url(city_a.plan, 2023)))
    response = client.post(entry_url(city_a.plan, 2023), data, follow=True)
    assert "取組・事業 0件、指標の値 0件" in response.content.decode()
    assert city_a.progress.history.count() == before


def test_the_page_cost_does_not_grow_with_the_number_of_programmes(
    client, world, django_assert_max_num_queries
):
    city_a, _ = world
    client.force_login(city_a.editor)
    client.get(entry_url(city_a.plan, 2024))
    for n in range(3, 23):
        Program.objects.create(measure=city_a.measure, order=n, name=f"追加事業{n}")
    with django_assert_max_num_queries(40):
        client.get(entry_url(city_a.plan, 2024))
    # The same with every programme recorded for the year (each row carries its version).
    for program_ in Program.objects.of_plan(city_a.plan):
        ProgramProgress.objects.get_or_create(
            program=program_, fiscal_year=2023, defaults={"status": "partial"}
        )
    with django_assert_max_num_queries(40):
        response = client.get(entry_url(city_a.plan, 2023))
    assert all(
        form["edit_version"].value()
        for group in response.context["areas"]
        for item in group["measures"]
        for _, form in item["rows"]
    )
