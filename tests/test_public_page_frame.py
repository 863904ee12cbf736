"""What every public page carries, as on Japanese municipal sites: 更新日 from the data it shows, one breadcrumb
pattern (ホーム › 都道府県から探す › 県 › 市 › 計画 › …, this page last and not a link), 「ページの先頭へ」, the
display settings' script from the site itself, and file links labelled with their kind and size."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from reoffense_portal.composition.publishing import pdf
from reoffense_portal.composition.publishing.models import PlanVersion, VersionFile
from tests.public_data import municipality

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def site(seeded, settings, tmp_path):
    settings.ACCESSIBILITY_RECORD = str(tmp_path / "accessibility.json")
    (tmp_path / "accessibility.json").write_text(
        '{"tested_at": "2026-12-01T10:00:00+09:00", "tool": {}, "browser": {}, "runner": {}, "tags": [],'
        ' "viewports": [], "pages": [], "criteria": []}', encoding="utf-8")
    call_command("loaddata", "prefectures", verbosity=0)
    municipality(code="352012", name="下関市")


def html_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def crumbs_of(html: str) -> list[str]:
    trail = re.search(r'<nav class="breadcrumbs[^>]*>(.*?)</nav>', html, flags=re.DOTALL).group(1)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", trail, flags=re.DOTALL)]


def updated_of(html: str) -> str:
    return re.search(r'<p class="updated">更新日：<time datetime="([\d-]+)">', html).group(1)


def test_every_page_shows_its_update_day_from_what_it_shows(client, site):
    yamaguchi = timezone.localdate(PlanVersion.objects.get(plan_id=1001).live_from).isoformat()
    kumamoto = timezone.localdate(PlanVersion.objects.get(plan_id=2001).live_from).isoformat()
    newest = max(yamaguchi, kumamoto)
    expected = {
        "/": newest, "/prefectures/": newest, "/prefectures/status/": newest,
        "/prefectures/350001/": yamaguchi, "/prefectures/350001/comparison/": yamaguchi,
        "/prefectures/430005/": kumamoto, "/municipalities/352039/": yamaguchi,
        "/municipalities/352012/": newest,  # no plan: the day the site's 策定状況 last changed
        "/prefectures/010006/": newest,
        "/plans/1001/": yamaguchi, "/plans/1001/versions/": yamaguchi, "/councils/1001/": yamaguchi,
        "/meetings/1024/": yamaguchi, "/accessibility/": "2026-12-01",
    }
    assert {url: updated_of(html_of(client, url)) for url in expected} == expected


def test_every_page_has_one_breadcrumb_pattern(client, site):
    assert crumbs_of(html_of(client, "/plans/1001/")) == ["ホーム", "都道府県から探す", "山口県", "山口市",
                                                         "第二次山口市再犯防止推進計画"]
    assert crumbs_of(html_of(client, "/meetings/1024/")) == [
        "ホーム", "都道府県から探す", "山口県", "山口市", "第二次山口市再犯防止推進計画", "山口市再犯防止推進協議会",
        "令和6年度第1回"]
    assert crumbs_of(html_of(client, "/plans/1001/versions/")) == [
        "ホーム", "都道府県から探す", "山口県", "山口市", "第二次山口市再犯防止推進計画", "改訂履歴"]
    assert crumbs_of(html_of(client, "/prefectures/430005/comparison/")) == [
        "ホーム", "都道府県から探す", "熊本県", "熊本県内の市区町村の計画の比較"]
    assert crumbs_of(html_of(client, "/municipalities/352039/")) == ["ホーム", "都道府県から探す", "山口県", "山口市"]
    assert crumbs_of(html_of(client, "/prefectures/350001/")) == ["ホーム", "都道府県から探す", "山口県"]
    for url in ["/plans/1001/", "/plans/1001/versions/", "/prefectures/430005/comparison/", "/accessibility/",
                "/prefectures/", "/municipalities/352039/"]:
        html = html_of(client, url)
        trail = re.search(r'<nav class="breadcrumbs[^>]*>(.*?)</nav>', html, flags=re.DOTALL).group(1)
        last = re.findall(r"<li>(.*?)</li>", trail, flags=re.DOTALL)[-1]
        assert last.startswith('<span aria-current="page">'), url
        assert 'href="/"' in trail and "<a" not in last, url


def test_every_page_leads_back_to_its_top_and_loads_the_display_settings_from_the_site(client, site):
    for url in ["/", "/plans/1001/", "/prefectures/status/", "/accessibility/", "/meetings/1024/"]:
        html = html_of(client, url)
        assert '<header class="site-header" id="top">' in html
        assert '<a href="#top">ページの先頭へ</a>' in html
        assert '<script src="/static/js/display-settings.js"></script>' in html
        assert re.search(r"<script>|<script [^s]|\son[a-z]+=", html) is None  # nothing inline (CSP)
        assert 'id="display-settings" hidden' in html  # shown by the script only, never a dead button


def test_download_links_say_the_files_kind_and_size(client, site):
    html = html_of(client, "/plans/1001/")
    sizes = {file.key: file.size for file in VersionFile.objects.filter(
        version__plan_id=1001, key__in=["plan.json", "programs.csv"]).order_by()}
    assert f"計画のデータ一式 [JSONファイル／{max(1, round(sizes['plan.json'] / 1024))}KB]" in html
    assert f"重点施策・施策・取組（事業） [CSVファイル／{max(1, round(sizes['programs.csv'] / 1024))}KB]" in html
    assert "[CSVファイル]" not in html and "[JSONファイル]" not in html
    # The 概要版 is typeset after approval: its link gets the size once the PDF exists.
    assert "概要版 [PDFファイル<!--summary.pdf size-->]" in html
    summary = VersionFile.objects.get(version__plan_id=1001, key="summary.pdf")
    VersionFile.objects.filter(pk=summary.pk).update(content=None)
    pdf._label_links(summary.version_id, 1268777)
    assert "第二次山口市再犯防止推進計画 概要版 [PDFファイル／1.21MB]" in html_of(client, "/plans/1001/")
