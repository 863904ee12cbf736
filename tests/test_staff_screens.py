"""What staff meet on their screens: a prefecture's export, the order of a new row, the support category,
and a year nobody has recorded yet."""

import csv
import io

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.staff_world import entry_url, make_prefecture_world, make_world

pytestmark = pytest.mark.django_db

# The exports of the plan's rows (the staff world holds no パブリックコメント).
EXPORTING = [
    model for model, model_admin in admin.site._registry.items()
    if hasattr(model_admin, "has_export_permission") and model._meta.app_label in ("plans", "measures", "councils")
]


def export_rows(client, model) -> list[list[str]]:
    """The CSV export of a change list as the user downloads it, header line first."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
    response = client.post(url, {"resource": "0", "format": "0"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("model", EXPORTING, ids=[model.__name__ for model in EXPORTING])
def test_a_prefectures_export_holds_its_municipalities_rows_it_reads(client, model):
    prefecture, city, other = make_prefecture_world()
    client.force_login(prefecture.editor)
    readable = model.objects.readable_by(prefecture.editor)
    assert readable.count() > model.objects.for_user(prefecture.editor).count(), "control: it reads 熊本市's rows"
    rows = export_rows(client, model)
    assert len(rows) - 1 == readable.count()
    text = "\n".join(",".join(row) for row in rows)
    assert "ビー秘" not in text, "nothing of 山口市, of another prefecture"


# --- a year nobody has recorded --------------------------------------------------------------------


def test_a_year_nobody_recorded_reads_not_recorded_on_the_yearly_screen_not_0_percent(client):
    city, _ = make_world()
    client.force_login(city.editor)
    page = client.get(entry_url(city.plan, 2024)).content.decode()
    assert '<span class="rate" id="plan-rate">未記録</span>' in page
    assert '<span class="rate area-rate">未記録</span>' in page
    assert "0.0%" not in page
    # A year with its programme recorded (実施) keeps its rate.
    page = client.get(entry_url(city.plan, 2023)).content.decode()
    assert '<span class="rate" id="plan-rate">100.0%</span>' in page
