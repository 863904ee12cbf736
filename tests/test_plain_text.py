# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Invisible control characters never reach the database, from a staff form or an imported file.

ESC, backspace, DEL, C1 controls and the bidirectional overrides and
isolates (U+202E RIGHT-TO-LEFT OVERRIDE …) make text show differently from
what is stored; newline and tab are kept. (The page survey:
tests/test_public_feedback.py.)
"""

from measures.models import Measure, ProgramProgress
from measures.resources import ProgramProgressResource
from reoffense_portal.machinery.text import plain_text
from tests.import_export_factories import csv_bytes, editor, kumamoto, run_import  # noqa: F401 (fixtures)
from tests.test_staff_history import change_url, form_data

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"
TYPED = f"就労の{RLO}確保\x1b[2J\x08\x7f\x85\x9b{LRI}支援{PDI}\r\n2行目\tタブ"
STORED = "就労の確保[2J支援\n2行目\tタブ"


def test_plain_text_keeps_newline_and_tab_and_drops_every_other_control():
    assert plain_text(TYPED) == STORED
    assert plain_text("".join(map(chr, range(0x20)))) == "\t\n\n"
    assert plain_text("".join(map(chr, range(0x7F, 0xA0)))) == ""


def test_a_staff_edit_stores_the_text_without_controls(client, kumamoto, editor):
    client.force_login(editor)
    data = form_data(client, kumamoto.measure)
    data.update(title=f"就労の{RLO}確保 \x1b", description=TYPED)

    response = client.post(change_url(kumamoto.measure), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    measure = Measure.objects.get(pk=kumamoto.measure.pk)
    assert (measure.title, measure.description) == ("就労の確保", STORED)


def test_an_imported_cell_is_stored_without_controls(kumamoto, editor):
    header = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況", "実績・成果"]
    row = ["431001", "熊本市再犯防止推進計画", "1", "1", "協力雇用主の拡大", "令和7年度", "実施", TYPED]

    result = run_import(ProgramProgressResource, csv_bytes([header, row]), editor)

    assert not result.has_problems(), result.messages()
    assert ProgramProgress.objects.get(program=kumamoto.program, fiscal_year=2025).results == STORED
