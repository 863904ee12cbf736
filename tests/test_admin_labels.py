"""Every box of a change form has a name a screen reader reads: its <label>, or for a table row's box
(which only has its column's header) 「指標（2行目）の種類」."""

import re

import pytest

from tests.form_walker import BrowserForm
from tests.staff_world import change_url, make_world

pytestmark = pytest.mark.django_db


def unnamed(html: str, form_id: str) -> list[str]:
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    form = BrowserForm.from_html(html, form_id)
    return [
        control.name for control in form.controls
        if control.kind not in ("hidden", "submit", "button")
        and control.attrs.get("id") not in labelled and not control.attrs.get("aria-label")
    ]


def test_every_box_of_the_plan_page_and_its_table_rows_is_named(client):
    city, _ = make_world()
    client.force_login(city.editor)
    html = client.get(change_url(city.plan)).content.decode()
    assert unnamed(html, "plan_form") == []
    assert 'aria-label="指標（1行目）の種類"' in html
    assert 'aria-label="指標（追加する行）の望ましい方向"' in html  # the row 「追加」 copies
    assert 'aria-label="課題（1行目）の削除"' in html
