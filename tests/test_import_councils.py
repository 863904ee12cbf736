# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Meetings, council members (with their organisations), organisations and indicator values from spreadsheets."""

import datetime
from decimal import Decimal

from councils.models import CouncilMember, Meeting
from councils.resources import CouncilMemberResource, MeetingResource
from plans.models import IndicatorValue, Organization
from plans.resources import IndicatorValueResource, OrganizationResource
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    csv_bytes,
    editor,
    import_ticking_all,
    kumamoto,
    run_import,
    yamaguchi,
)

PLAN = "熊本市再犯防止推進計画"
COUNCIL = "熊本市再犯防止推進連絡会"
MEETING_HEADER = ["団体コード", "計画名", "会議名", "年度", "回", "開催日", "開始時刻", "終了時刻", "会場", "開催状況",
                  "審議の対象年度", "議事要旨"]
MEMBER_HEADER = ["団体コード", "計画名", "会議名", "団体名", "分野", "役職", "委員の職名", "任期（開始）", "任期（終了）", "順番"]


def test_meetings_with_japanese_dates_and_times(kumamoto, editor):
    rows = [MEETING_HEADER,
            ["431001", PLAN, COUNCIL, "令和7年度", "1", "令和7年7月10日", "14時", "15:30", "市役所", "開催済み", "R6年度", "報告"],
            ["431001", PLAN, COUNCIL, "R7", "2", "", "", "", "", "開催予定", "", ""]]
    result = run_import(MeetingResource, csv_bytes(rows, "cp932"), editor)
    assert not result.has_problems(), result.messages()
    first = Meeting.objects.get(fiscal_year=2025, sequence=1)
    assert (first.held_on, first.starts_at, first.reviewed_fiscal_year) == (datetime.date(2025, 7, 10), datetime.time(14), 2024)
    assert Meeting.objects.get(fiscal_year=2025, sequence=2).status == Meeting.Status.SCHEDULED


def test_a_meeting_date_outside_its_fiscal_year_is_the_models_japanese_error(kumamoto, editor):
    rows = [MEETING_HEADER, ["431001", PLAN, COUNCIL, "2025", "1", "2025-03-31", "", "", "", "開催済み", "", ""]]
    messages = run_import(MeetingResource, csv_bytes(rows), editor).messages()
    assert messages == ["2行目『開催日』: 開催日が年度の期間に入っていません。"]


def test_unknown_council_is_named(kumamoto, editor):
    rows = [MEETING_HEADER, ["431001", PLAN, "架空の会議", "2025", "1", "", "", "", "", "", "", ""]]
    messages = run_import(MeetingResource, csv_bytes(rows), editor).messages()
    assert messages[0].startswith("2行目『会議名』: 計画“熊本市再犯防止推進計画”に“架空の会議”という会議体はありません")


def test_council_members_register_ticked_new_organisations_with_their_sector(kumamoto, editor):
    rows = [MEMBER_HEADER,
            ["431001", PLAN, COUNCIL, "保護観察所", "", "会長", "所長", "2024-04-01", "2026-03-31", "1"],
            ["431001", PLAN, COUNCIL, "熊本県弁護士会", "専門職団体", "委員", "会長", "", "", "2"]]
    result, ticked = import_ticking_all(CouncilMemberResource, csv_bytes(rows), editor)
    assert [r.import_type for r in result.rows] == ["update", "new"], result.messages()
    assert ticked == ["関係機関・団体“熊本県弁護士会”（熊本市、分野：専門職団体）"]
    lawyers = Organization.objects.get(municipality=kumamoto.city, name="熊本県弁護士会")
    assert lawyers.sector == Organization.Sector.PROFESSIONAL
    assert CouncilMember.objects.get(organization=lawyers).order == 2
    assert CouncilMember.objects.get(organization=kumamoto.probation).role == CouncilMember.Role.CHAIR
    assert Organization.history.get(name="熊本県弁護士会").history_user == editor


def test_a_new_member_organisation_needs_its_sector(kumamoto, editor):
    rows = [MEMBER_HEADER, ["431001", PLAN, COUNCIL, "新しい団体", "", "委員", "", "", "", "1"]]
    messages = run_import(CouncilMemberResource, csv_bytes(rows), editor).messages()
    assert messages == ["2行目『分野』: “新しい団体”は熊本市の関係機関・団体に登録されていません。登録するには分野を入力してください"]
    assert not Organization.objects.filter(name="新しい団体").exists()


def test_organisations_by_name_within_the_users_municipality(kumamoto, yamaguchi, editor):
    rows = [["団体コード", "団体名", "分野", "ウェブサイト"],
            ["431001", "保護司会", "更生保護ボランティア", "https://example.jp/"],
            ["431001", "協力雇用主会", "民間事業者", ""],
            ["352039", "保護司会", "更生保護ボランティア", ""]]
    messages = run_import(OrganizationResource, csv_bytes(rows), editor).messages()
    assert messages == ["4行目『団体コード』: 団体コード“352039”の自治体のデータを取り込む権限がありません"]
    result = run_import(OrganizationResource, csv_bytes(rows[:3]), editor)
    assert [r.import_type for r in result.rows] == ["update", "new"]
    assert Organization.objects.get(municipality=kumamoto.city, name="保護司会").website == "https://example.jp/"
    assert Organization.objects.get(municipality=yamaguchi.city, name="保護司会").website == ""


def test_indicator_values_by_indicator_name_and_year(kumamoto, editor):
    rows = [["団体コード", "計画名", "指標名", "年", "値", "都道府県の値", "全国の値", "備考"],
            ["431001", PLAN, "刑法犯検挙人員中の再犯者数", "令和6年", "455", "1,107", "", ""],
            ["431001", PLAN, "刑法犯検挙人員中の再犯者数", "2023", "478", "", "", ""],
            ["431001", PLAN, "存在しない指標", "2023", "1", "", "", ""]]
    messages = run_import(IndicatorValueResource, csv_bytes(rows), editor).messages()
    assert messages == ["4行目『指標名』: “存在しない指標”という指標は計画“熊本市再犯防止推進計画”にありません"]
    result = run_import(IndicatorValueResource, csv_bytes(rows[:3]), editor)
    assert [r.import_type for r in result.rows] == ["new", "skip"]
    value = IndicatorValue.objects.get(year=2024)
    assert (value.value, value.prefecture_value) == (Decimal("455"), Decimal("1107"))


def test_an_indicator_value_needs_a_value(kumamoto, editor):
    rows = [["団体コード", "計画名", "指標名", "年", "値"], ["431001", PLAN, "刑法犯検挙人員中の再犯者数", "2024", ""]]
    messages = run_import(IndicatorValueResource, csv_bytes(rows), editor).messages()
    assert len(messages) == 1 and messages[0].startswith("2行目『値』: ")
