"""サイト内検索: a resident types a word in the header's box and finds the live plans' passages that hold it,
named by municipality and linked into the page; never a draft, never an older version."""

import re

import pytest
from django.core.cache import cache

from measures.models import Program
from reoffense_portal.composition.publishing.models import SearchEntry
from tests.public_data import build_plan, municipality, publish, unpublish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def live_plan():
    """山口市's plan, live, one programme about 就労 (a two-character word) and 協力雇用主."""
    plan = build_plan(municipality())
    program = Program.objects.of_plan(plan).first()
    program.name = "協力雇用主への就労支援"
    program.description = "刑務所出所者等の就労を支えます。"
    program.save()
    publish(plan, summary="就労支援を追加")
    return plan, program


def results(client, query, page=None):
    params = {"q": query, **({"page": page} if page else {})}
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response, response.content.decode()


def result_links(html: str) -> list[str]:
    listing = re.search(r'<ol class="search-results".*?</ol>', html, re.S)
    return re.findall(r'<a href="([^"]+)">', listing.group(0)) if listing else []


def test_a_two_character_word_finds_the_programme_and_links_to_its_place_on_the_page(client, live_plan):
    plan, program = live_plan
    response, html = results(client, "就労")
    assert f"{plan.get_absolute_url()}#program-{program.pk}" in result_links(html)
    assert "山口市" in html and plan.title in html
    assert "<mark>就労</mark>" in html


def test_full_width_letters_and_several_words_find_what_holds_them_all(client, live_plan):
    plan, program = live_plan
    _, html = results(client, "協力雇用主　就労")  # a full-width space between the words
    assert result_links(html) == [f"{plan.get_absolute_url()}#program-{program.pk}"]
    _, html = results(client, "就労 存在しない言葉")
    assert result_links(html) == [] and "見つかりませんでした" in html


def test_a_word_only_in_a_draft_is_not_found(client, live_plan):
    _plan, program = live_plan
    program.description = "下書きだけの秘密の語句"
    program.save()
    draft = build_plan(municipality(code="352012", name="下関市"), published=False, title="下関市の下書き計画")
    draft.purpose = "下書きだけの秘密の語句"
    draft.save()
    _, html = results(client, "秘密の語句")
    assert result_links(html) == [] and "下関市" not in html


def test_a_new_version_replaces_the_old_entries(client, live_plan):
    plan, program = live_plan
    program.name = "住まいの確保"
    program.description = "住居の確保を支えます。"
    program.save()
    assert result_links(results(client, "住居")[1]) == []  # approved only now
    publish(plan, summary="第2版")
    assert f"{plan.get_absolute_url()}#program-{program.pk}" in result_links(results(client, "住居")[1])
    assert result_links(results(client, "協力雇用主")[1]) == []
    assert not SearchEntry.objects.filter(version__plan=plan, version__number=1).exists()


def test_an_empty_or_one_character_query_gets_a_japanese_message(client, live_plan):
    for query in ("", "　", "就"):
        response, html = results(client, query)
        assert ("検索する言葉を入力してください" in html) or ("2文字以上で入力してください" in html)
        assert result_links(html) == []


def test_the_header_of_every_page_has_the_search_form(client, live_plan):
    plan, _ = live_plan
    html = client.get(plan.get_absolute_url()).content.decode()
    assert re.search(r'<form class="site-search" role="search" action="/search/" method="get">', html)
    assert 'name="q"' in html


def test_many_results_come_in_pages(client):
    plan = build_plan(municipality())
    for program in Program.objects.of_plan(plan):
        program.description = "就労の場を広げます。"
        program.save()
    publish(plan)
    response, html = results(client, "就労")
    count = response.context["page_obj"].paginator.count
    assert count > 20 and len(result_links(html)) == 20 and "次のページ" in html
    _, second = results(client, "就労", page=2)
    assert len(result_links(second)) == min(count - 20, 20) and "前のページ" in second
    assert set(result_links(html)).isdisjoint(result_links(second))


def test_a_plan_whose_publication_ended_is_no_longer_found(client, live_plan):
    plan, program = live_plan
    assert result_links(results(client, "協力雇用主")[1])
    unpublish(plan)
    assert result_links(results(client, "協力雇用主")[1]) == []
