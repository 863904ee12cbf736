"""The isolation matrix: an editor of city A against city B's rows, on every admin model.

For each of the 20 admin models of plans, measures and councils, six
operations are tried as an editor of 熊本市 (A) on the rows of 山口市 (B,
every name marked 「ビー秘」):

1. change list (also searched for B's marker): B's rows never listed, A's are;
2. change form of B's row by URL: no data (redirect to the admin index, 403 or
   404), and a POST changes nothing;
3. delete of B's row (GET and POST): no data, the row stays;
4. history of B's row and its revert view by history id (GET and POST): 404
   or 403, no data, nothing reverted;
5. add with a foreign reference to B's parent (or department, organisation,
   area): refused with a Japanese error and nothing created, while the same
   form with A's parent is accepted (so the check can fail);
6. autocomplete of every autocomplete field: B's rows never offered, A's are;

and, for the six models with a spreadsheet export (django-import-export), the
exported file holds A's rows and none of B's.

The same matrix runs over the three admin models of パブリックコメント
(reoffense_portal.composition.consultation), with a comment period, a comment whose
commenter's name is B's personal data, and an answer in each city.

The same matrix runs for an editor of a prefecture (熊本県) against 山口市 of
another prefecture; and against 熊本市, a municipality of its own prefecture,
whose rows the prefecture reads (change list, read-only change form, history)
but never writes (change, delete, bulk actions, revert, add below them,
autocomplete choices, import, approval).
"""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from councils.models import AgendaItem, Council, CouncilMember, Meeting, MeetingDocument
from measures.models import Measure, Practice, PriorityArea, Program, ProgramProgress, RegionalDuty, SupportKind
from plans.models import (
    Challenge,
    Department,
    Feedback,
    FormulationStep,
    Indicator,
    IndicatorValue,
    Municipality,
    NationalPriority,
    Organization,
    Plan,
    StaffMembership,
)
from reoffense_portal.composition.consultation.models import Comment, Commenter, CommentPeriod, CommentResponse
from reoffense_portal.composition.publishing import workflow
from reoffense_portal.composition.publishing.models import ApprovalRequest, PlanVersion
from reoffense_portal.machinery.jobs.models import Job
from tests.import_export_factories import preview_import
from tests.staff_world import B_MARK, City, change_url, form_data, make_prefecture_world, make_world

pytestmark = pytest.mark.django_db

MODELS = [
    Municipality,
    StaffMembership,
    Department,
    Organization,
    NationalPriority,
    Plan,
    FormulationStep,
    Challenge,
    Indicator,
    IndicatorValue,
    Feedback,
    PriorityArea,
    Measure,
    Program,
    ProgramProgress,
    RegionalDuty,
    Practice,
    SupportKind,
    Council,
    CouncilMember,
    Meeting,
    AgendaItem,
    MeetingDocument,
]
OPERATIONS = [
    "changelist",
    "change",
    "delete",
    "history",
    "add_with_foreign_reference",
    "autocomplete",
]
NO_DATA = (302, 403, 404)
# What an editor (of a city or of a prefecture) may not open at all, by design: a 403 anywhere else is a
# failure, not a skipped check. 所属職員 are managed by superusers; a city's editors add no 自治体.
EDITOR_HAS_NO_LIST = {StaffMembership}
EDITOR_HAS_NO_AUTOCOMPLETE = {(StaffMembership, "user")}


def second_organization(city):
    """An organisation of the city that is not yet on its council."""
    return Organization.objects.get_or_create(
        municipality=city.municipality,
        name=f"更生保護女性会（{city.municipality.name}）",
        defaults={"sector": "volunteer"},
    )[0]


def add_payload(model, city):
    """A valid add form of `model` below `city` (its references, its values)."""
    today = datetime.date(2024, 5, 1)
    return {
        Department: lambda: {"municipality": city.municipality.pk, "name": "新設課"},
        Organization: lambda: {
            "municipality": city.municipality.pk,
            "name": "新しい団体",
            "sector": "nonprofit",
        },
        Plan: lambda: {
            "municipality": city.municipality.pk,
            "title": "新しい計画",
            "period_start": "2028-04-01",
            "period_end": "2033-03-31",
            "legal_basis": "法第8条",
            "department": city.department.pk,
        },
        FormulationStep: lambda: {
            "plan": city.plan.pk,
            "order": 2,
            "date": today,
            "kind": "survey",
            "description": "追加調査",
        },
        Challenge: lambda: {"plan": city.plan.pk, "order": 2, "text": "追加の課題"},
        Indicator: lambda: {
            "plan": city.plan.pk,
            "kind": "statistic",
            "order": 2,
            "name": "刑法犯認知件数",
            "unit": "件",
            "period_kind": "calendar",
        },
        IndicatorValue: lambda: {"indicator": city.indicator.pk, "year": 2024, "value": "480"},
        PriorityArea: lambda: {"plan": city.plan.pk, "number": 2, "title": "居住支援"},
        RegionalDuty: lambda: {"plan": city.plan.pk, "fiscal_year": 2024, "kind": RegionalDuty.Kind.choices[0][0],
                               "title": "担当者会議", "held_on": "", "municipalities": "", "note": ""},
        Practice: lambda: {"plan": city.plan.pk, "program": city.program.pk, "order": 2, "title": "相談窓口",
                           "content": "相談を受けます。"},
        Measure: lambda: {"area": city.area.pk, "number": 2, "title": "住居の確保"},
        Program: lambda: {
            "area": city.area.pk,
            "measure": city.measure.pk,
            "order": 2,
            "name": "新しい事業",
            "departments": [city.department.pk],
            "partners": [city.organization.pk],
        },
        ProgramProgress: lambda: {
            "program": city.program.pk,
            "fiscal_year": 2024,
            "status": "partial",
        },
        Council: lambda: {"plan": city.plan.pk, "name": "庁内会議", "kind": "internal", "order": 2},
        CouncilMember: lambda: {
            "council": city.council.pk,
            "organization": second_organization(city).pk,
            "role": "member",
            "order": 2,
        },
        Meeting: lambda: {
            "council": city.council.pk,
            "fiscal_year": 2025,
            "sequence": 1,
            "status": "scheduled",
        },
        AgendaItem: lambda: {
            "meeting": city.meeting.pk,
            "order": 2,
            "title": "次年度の計画",
            "areas": [city.area.pk],
            "measures": [city.measure.pk],
            "programs": [city.program.pk],
            "indicators": [city.indicator.pk],
        },
        MeetingDocument: lambda: {
            "meeting": city.meeting.pk,
            "kind": "material",
            "order": 2,
            "title": "資料1",
            "file": SimpleUploadedFile("siryou.pdf", b"%PDF-1.4 x"),
        },
        Comment: lambda: {
            "period": city.period.pk,
            "received_at_0": "2026-12-02",
            "received_at_1": "10:00:00",
            "channel": "mail",
            "section": "計画全体",
            "opinion": "郵送で届いた意見",
            "opinion_count": 1,
        },
        CommentResponse: lambda: {
            "period": city.period.pk,
            "order": 2,
            "section": "計画全体",
            "summary": "意見の概要",
            "city_view": "市の考え方",
            "reflection": "reference",
            "comments": [city.comment.pk],
        },
    }[model]()


# Which references of an add form point into B in the refused variant.
FOREIGN_FIELDS = {
    Department: ["municipality"],
    Organization: ["municipality"],
    Plan: ["municipality", "department"],
    FormulationStep: ["plan"],
    Challenge: ["plan"],
    Indicator: ["plan"],
    IndicatorValue: ["indicator"],
    PriorityArea: ["plan"],
    Measure: ["area"],
    Program: ["area", "measure", "departments", "partners"],
    ProgramProgress: ["program"],
    RegionalDuty: ["plan"],
    Practice: ["plan", "program"],
    Council: ["plan"],
    CouncilMember: ["council", "organization"],
    Meeting: ["council"],
    AgendaItem: ["meeting", "areas", "measures", "programs", "indicators"],
    MeetingDocument: ["meeting"],
    Comment: ["period"],
    CommentResponse: ["period", "comments"],
}


def management_forms(client, url):
    """The inline management form values of an add page (so a POST fails only for the reason tested)."""
    page = client.get(url).content.decode()
    return {
        name: value
        for name, value in re.findall(
            r'name="([^"]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)" value="(\d*)"', page
        )
    }


def url(model, name, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


@pytest.fixture
def world():
    return make_world()


def assert_no_b(response, where):
    body = response.content.decode() if hasattr(response, "content") else ""
    assert B_MARK not in body, f"{where}: city B's data shown"


def check_changelist(client, model, city_a, city_b):
    response = client.get(url(model, "changelist"))
    if model in EDITOR_HAS_NO_LIST:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert_no_b(response, "changelist")
    listed = set(response.context["cl"].result_list.values_list("pk", flat=True))
    b_obj = city_b.objects().get(model)
    if b_obj is not None:
        assert b_obj.pk not in listed
        assert city_a.objects()[model].pk in listed, "control: A's row is listed"
    if model_has_search(model):
        searched = client.get(url(model, "changelist"), {"q": B_MARK})
        assert searched.context["cl"].result_count == 0
        assert B_MARK not in searched.content.decode().replace(f'value="{B_MARK}"', "")


def model_has_search(model):
    return bool(admin.site._registry[model].search_fields)


def check_change(client, model, b_obj):
    response = client.get(url(model, "change", b_obj.pk), follow=True)
    assert response.redirect_chain or response.status_code in NO_DATA
    assert_no_b(response, "change form")
    before = model.objects.filter(pk=b_obj.pk).values().first()
    response = client.post(
        url(model, "change", b_obj.pk), {"title": "乗っ取り", "name": "乗っ取り"}
    )
    assert response.status_code in NO_DATA
    assert model.objects.filter(pk=b_obj.pk).values().first() == before


def check_delete(client, model, b_obj):
    response = client.get(url(model, "delete", b_obj.pk), follow=True)
    assert response.redirect_chain or response.status_code in NO_DATA
    assert_no_b(response, "delete confirmation")
    response = client.post(url(model, "delete", b_obj.pk), {"post": "yes"})
    assert response.status_code in NO_DATA
    assert model.objects.filter(pk=b_obj.pk).exists()
    # the bulk action with B's id in the selection deletes nothing either
    response = client.post(
        url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [b_obj.pk], "post": "yes"},
    )
    assert model.objects.filter(pk=b_obj.pk).exists()


def check_history(client, model, b_obj):
    response = client.get(url(model, "history", b_obj.pk), follow=True)
    # 404 from the scoped history views; Django's own (Feedback has no history rows) redirects home
    assert response.status_code in (403, 404) or response.redirect_chain == [("/admin/", 302)]
    assert_no_b(response, "history")
    if not hasattr(model, "history"):
        return  # no history rows to revert to (residents' feedback is never edited)
    record = model.history.filter(**{model._meta.pk.attname: b_obj.pk}).first()
    assert record is not None
    revert_url = url(model, "simple_history", b_obj.pk, record.history_id)
    response = client.get(revert_url)
    assert response.status_code in (403, 404)
    assert_no_b(response, "revert form")
    before = model.objects.filter(pk=b_obj.pk).values().first()
    client.post(revert_url, {"title": "乗っ取り"})
    assert model.objects.filter(pk=b_obj.pk).values().first() == before


def check_add(client, model, city_a, city_b):
    add_url = url(model, "add")
    if model not in FOREIGN_FIELDS:
        response = client.get(add_url)
        assert response.status_code == 403, "models without a city reference: editors cannot add"
        return
    base = management_forms(client, add_url)
    for field in FOREIGN_FIELDS[model]:
        payload = {**base, **add_payload(model, city_a)}
        foreign = add_payload(model, city_b)[field]
        payload[field] = foreign
        count = model.objects.count()
        response = client.post(add_url, payload)
        assert response.status_code == 200, (
            f"add with B's {field} must be refused, got {response.status_code}"
        )
        errors = response.context["adminform"].form.errors
        assert field in errors, f"add with B's {field}: no error on the field ({errors})"
        assert "選" in " ".join(errors[field]), "a Japanese error"
        assert model.objects.count() == count
        assert_no_b(response, f"add form with B's {field}")
    # Control: the same form with A's references is accepted.
    payload = {**base, **add_payload(model, city_a)}
    response = client.post(add_url, payload)
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )


def check_autocomplete(client, model, city_a, city_b):
    model_admin = admin.site._registry[model]
    fields = list(model_admin.autocomplete_fields)
    if not fields:
        return
    for field_name in fields:
        params = {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field_name,
        }
        response = client.get(reverse("admin:autocomplete"), {**params, "term": ""})
        if (model, field_name) in EDITOR_HAS_NO_AUTOCOMPLETE:
            assert response.status_code == 403
            continue
        assert response.status_code == 200
        ids = {item["id"] for item in response.json()["results"]}
        assert B_MARK not in response.content.decode("unicode_escape")
        remote = model._meta.get_field(field_name).related_model
        b_remote = city_b.objects().get(remote)
        if b_remote is not None:
            assert str(b_remote.pk) not in ids
            # A's prefecture is not A's own municipality; A (a 市) is no 政令指定都市 a ward could belong to.
            if field_name not in ("prefecture", "parent"):
                assert str(city_a.objects()[remote].pk) in ids, f"control: A's {field_name} offered"
        response = client.get(reverse("admin:autocomplete"), {**params, "term": B_MARK})
        assert response.json()["results"] == []


@pytest.mark.parametrize("model", MODELS, ids=[model.__name__ for model in MODELS])
def test_editor_of_a_sees_and_touches_nothing_of_b(client, world, model):
    city_a, city_b = world
    client.force_login(city_a.editor)
    b_obj = city_b.objects().get(model)
    if model is StaffMembership:
        b_obj = city_b.editor.memberships.get()
    if model in (NationalPriority, SupportKind):
        b_obj = None  # national data: shared by every city
    check_changelist(client, model, city_a, city_b)
    if b_obj is not None:
        check_change(client, model, b_obj)
        check_delete(client, model, b_obj)
        check_history(client, model, b_obj)
    check_add(client, model, city_a, city_b)
    check_autocomplete(client, model, city_a, city_b)
    check_export(client, model, city_a)


def check_export(client, model, city_a):
    """Models with a spreadsheet export (django-import-export): only A's rows in the file."""
    if not hasattr(admin.site._registry[model], "has_export_permission"):
        return
    export_url = url(model, "export")
    response = client.post(export_url, {"resource": "0", "format": "0"})
    assert response.status_code == 200
    content = response.content.decode("utf-8-sig")
    assert B_MARK not in content, "export holds city B's rows"
    assert len(content.strip().splitlines()) >= 2, "control: A's rows are exported"


def test_matrix_covers_every_registered_model_of_the_three_apps():
    registered = {
        m for m in admin.site._registry if m._meta.app_label in ("plans", "measures", "councils")
    }
    assert registered == set(MODELS)
    assert len(MODELS) * len(OPERATIONS) == 138


def test_editor_of_a_cannot_edit_national_priorities_but_may_read_them(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    priority = NationalPriority.objects.first()
    assert client.get(url(NationalPriority, "changelist")).status_code == 200
    client.post(
        url(NationalPriority, "change", priority.pk),
        {"national_plan": 2, "number": 1, "title": "改ざん"},
    )
    priority.refresh_from_db()
    assert priority.title == "就労・住居の確保"


def test_superuser_cannot_tie_a_kumamoto_program_to_a_yamaguchi_department(admin_client, world):
    city_a, city_b = world
    payload = {
        **management_forms(admin_client, url(Program, "add")),
        **add_payload(Program, city_a),
    }
    payload["departments"] = [city_b.department.pk]
    response = admin_client.post(url(Program, "add"), payload)
    assert response.status_code == 200
    assert "他の自治体の担当課は選べません" in " ".join(
        response.context["adminform"].form.errors["departments"]
    )


def test_editor_of_two_cities_sees_both_but_cannot_mix_them(client, world):
    city_a, city_b = world
    StaffMembership.objects.create(user=city_a.editor, municipality=city_b.municipality)
    client.force_login(city_a.editor)
    response = client.get(url(Plan, "changelist"))
    assert response.context["cl"].result_count == 2
    payload = {
        **management_forms(client, url(CouncilMember, "add")),
        **add_payload(CouncilMember, city_a),
    }
    payload["organization"] = city_b.organization.pk
    response = client.post(url(CouncilMember, "add"), payload)
    assert response.status_code == 200
    assert "他の自治体" in str(response.context["adminform"].form.errors)


def test_a_tampered_inline_row_id_of_b_changes_nothing_of_b(client, world):
    """Posting A's measure with B's programme id in the inline: refused, B untouched."""
    city_a, city_b = world
    client.force_login(city_a.editor)
    change = url(Measure, "change", city_a.measure.pk)
    page = client.get(change)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(management_forms(client, change))
    data.update(
        {
            "programs-TOTAL_FORMS": "1",
            "programs-INITIAL_FORMS": "1",
            "programs-0-id": city_b.program.pk,
            "programs-0-measure": city_a.measure.pk,
            "programs-0-order": 1,
            "programs-0-name": "乗っ取り",
        }
    )
    response = client.post(change, data)
    assert response.status_code == 200
    assert Program.objects.get(pk=city_b.program.pk).name == f"協力雇用主の拡大{B_MARK}"
    assert B_MARK not in response.content.decode()


def test_choosing_another_citys_municipality_says_why_in_japanese(client, world):
    city_a, city_b = world
    client.force_login(city_a.editor)
    payload = {
        **management_forms(client, url(Department, "add")),
        **add_payload(Department, city_b),
    }
    response = client.post(url(Department, "add"), payload)
    assert response.context["adminform"].form.errors["municipality"] == [
        "選んだ自治体は選べません。担当する自治体を選んでください。"
    ]


def test_agenda_links_are_offered_from_the_meetings_plan_only(client, world):
    """The agenda item's own autocomplete, narrowed to the meeting's plan: B's plan id offers nothing."""
    city_a, city_b = world
    client.force_login(city_a.editor)
    page = client.get(url(Meeting, "change", city_a.meeting.pk)).content.decode()
    link_autocomplete = reverse("admin:councils_agendaitem_link_autocomplete")
    assert f'data-ajax--url="{link_autocomplete}?plan={city_a.plan.pk}"' in page
    for field_name, a_row in (
        ("areas", city_a.area), ("measures", city_a.measure),
        ("programs", city_a.program), ("indicators", city_a.indicator),
    ):
        params = {"app_label": "councils", "model_name": "agendaitem", "field_name": field_name, "term": ""}
        own = client.get(link_autocomplete, {**params, "plan": city_a.plan.pk}).json()["results"]
        assert [item["id"] for item in own] == [str(a_row.pk)]
        response = client.get(link_autocomplete, {**params, "plan": city_b.plan.pk})
        assert response.json()["results"] == []
        assert B_MARK not in response.content.decode("unicode_escape")


def test_an_editor_cannot_link_another_citys_programme_by_posting_its_id(client, world):
    """On A's meeting page, an agenda row posted with B's programme, measure and indicator ids: refused, nothing linked."""
    city_a, city_b = world
    client.force_login(city_a.editor)
    data = form_data(client, city_a.meeting)
    data["agenda_items-0-programs"] = [city_b.program.pk]
    data["agenda_items-0-measures"] = [city_b.measure.pk]
    data["agenda_items-0-indicators"] = [city_b.indicator.pk]
    response = client.post(url(Meeting, "change", city_a.meeting.pk), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert errors["programs"] == ["選んだ取組・事業は選べません。担当する自治体の取組・事業を選んでください。"]
    assert set(errors) >= {"measures", "indicators"}
    assert B_MARK not in response.content.decode()
    item = AgendaItem.objects.get(pk=city_a.agenda_item.pk)
    assert not item.programs.exists() and not item.measures.exists() and not item.indicators.exists()
    assert not city_b.program.agenda_items.exists()


# --- パブリックコメント --------------------------------------------------------------------------

CONSULTATION_MODELS = [CommentPeriod, Comment, CommentResponse]


@dataclass
class ConsultingCity:
    """A city of the world with a comment period on its draft, one comment (with its commenter) and an answer."""

    city: City
    period: CommentPeriod
    comment: Comment
    response: CommentResponse

    def __getattr__(self, name):
        return getattr(self.city, name)

    def objects(self):
        return {**self.city.objects(), CommentPeriod: self.period, Comment: self.comment,
                CommentResponse: self.response}


def consulting(city: City) -> ConsultingCity:
    mark = B_MARK if B_MARK in city.municipality.name else ""
    period = CommentPeriod.objects.create(
        plan=city.plan, starts_on=datetime.date(2026, 12, 1), ends_on=datetime.date(2026, 12, 28),
        explanation=f"趣旨{mark}", rules=f"提出方法{mark}", proposal_title=f"{city.plan.title}（案）",
        sections=["計画全体", f"就労支援{mark}"],
    )
    comment = Comment.objects.create(period=period, section="計画全体", opinion=f"意見{mark}",
                                     consents_to_publication=True)
    Commenter.objects.create(comment=comment, name=f"提出者{mark}", address=f"住所{mark}")
    response = CommentResponse.objects.create(period=period, order=1, section="計画全体", summary=f"概要{mark}",
                                              city_view=f"考え方{mark}", reflection="reference")
    response.comments.add(comment)
    return ConsultingCity(city, period, comment, response)


@pytest.mark.parametrize("model", CONSULTATION_MODELS, ids=[model.__name__ for model in CONSULTATION_MODELS])
def test_editor_of_a_sees_and_touches_none_of_bs_comment_periods_comments_and_answers(client, world, model):
    city_a, city_b = (consulting(city) for city in world)
    client.force_login(city_a.editor)
    b_obj = city_b.objects()[model]
    check_changelist(client, model, city_a, city_b)
    check_change(client, model, b_obj)
    check_delete(client, model, b_obj)
    check_history(client, model, b_obj)
    check_add(client, model, city_a, city_b)
    check_autocomplete(client, model, city_a, city_b)
    check_export(client, model, city_a)
    assert Commenter.objects.filter(name=f"提出者{B_MARK}").exists()


def test_the_consultation_matrix_covers_every_registered_model_of_the_app():
    registered = {m for m in admin.site._registry if m._meta.app_label == "consultation"}
    assert registered == set(CONSULTATION_MODELS)


def test_a_publisher_of_a_cannot_publish_bs_result_nor_open_a_period_on_bs_plan(client, world):
    city_a, city_b = (consulting(city) for city in world)
    city_b.period.delete()
    client.force_login(city_a.publisher)
    response = client.post(url(CommentPeriod, "add"), {
        "plan": city_b.plan.pk, "starts_on": "2026-12-01", "ends_on": "2099-12-28", "explanation": "乗っ取り",
        "rules": "乗っ取り", "ask_name": "optional", "ask_address": "optional",
    })
    assert response.status_code == 200
    assert "選" in " ".join(response.context["adminform"].form.errors["plan"])
    assert not CommentPeriod.objects.filter(plan=city_b.plan).exists()
    other = consulting(city_b.city)
    response = client.post(reverse("admin:consultation_commentperiod_publish_result", args=[other.period.pk]))
    assert response.status_code == 404
    other.period.refresh_from_db()
    assert not other.period.result_published


# --- a prefecture's staff: every municipality of the prefecture read-only, no other prefecture --------


@pytest.fixture
def prefecture_world():
    """熊本県 (its own rows and staff), its city 熊本市 (A) and 山口市 of 山口県 (B, marked 「ビー秘」)."""
    return make_prefecture_world(duties=True)


@pytest.mark.parametrize("model", MODELS, ids=[model.__name__ for model in MODELS])
def test_prefecture_editor_sees_and_touches_nothing_of_another_prefecture(client, prefecture_world, model):
    """The same six operations as for a city's editor, by an editor of 熊本県 on 山口市 (山口県)."""
    prefecture, _, city_b = prefecture_world
    client.force_login(prefecture.editor)
    b_obj = city_b.objects().get(model)
    if model is StaffMembership:
        b_obj = city_b.editor.memberships.get()
    if model in (NationalPriority, SupportKind):
        b_obj = None
    check_changelist(client, model, prefecture, city_b)
    if b_obj is not None:
        check_change(client, model, b_obj)
        check_delete(client, model, b_obj)
        check_history(client, model, b_obj)
    check_add(client, model, prefecture, city_b)
    check_autocomplete(client, model, prefecture, city_b)
    check_export(client, model, prefecture)


def check_read_only_change_form(client, model, obj):
    """The change form of a municipality's row opens for reading, with no button that saves."""
    response = client.get(url(model, "change", obj.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert str(obj) in page or model is MeetingDocument, "the row is shown"
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert not response.context["has_change_permission"]
    for inline in response.context["inline_admin_formsets"]:
        assert not inline.has_add_permission and not inline.has_change_permission, inline.opts


def check_no_write(client, model, obj):
    """Change, delete (one or in bulk) and revert of a municipality's row are refused; the row stays."""
    before = model.objects.filter(pk=obj.pk).values().first()
    response = client.post(url(model, "change", obj.pk), {"title": "乗っ取り", "name": "乗っ取り"})
    assert response.status_code == 403
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    client.post(url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    if model is ProgramProgress:
        client.post(url(model, "changelist"), {"action": "set_status_not_implemented", "_selected_action": [obj.pk]})
    if hasattr(model, "history"):
        record = model.history.filter(**{model._meta.pk.attname: obj.pk}).first()
        revert_url = url(model, "simple_history", obj.pk, record.history_id)
        assert client.get(url(model, "history", obj.pk)).status_code == 200, "the history is readable"
        assert client.post(revert_url, {"title": "乗っ取り", "name": "乗っ取り"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).values().first() == before


@pytest.mark.parametrize("model", MODELS, ids=[model.__name__ for model in MODELS])
def test_prefecture_editor_reads_its_municipalities_but_never_writes_them(client, prefecture_world, model):
    """An editor of 熊本県 on 熊本市's rows: listed and readable; change, delete, revert, add below them,
    bulk actions and autocomplete choices refused."""
    prefecture, city, _ = prefecture_world
    client.force_login(prefecture.editor)
    obj = city.objects().get(model)
    if model is StaffMembership:
        obj = city.editor.memberships.get()
    response = client.get(url(model, "changelist"))
    if model in EDITOR_HAS_NO_LIST:  # declared: no permission on the model at all (所属職員)
        assert response.status_code == 403
        assert client.get(url(model, "change", obj.pk)).status_code == 403
        return
    assert response.status_code == 200, "the prefecture's staff read the list"
    if model not in (NationalPriority, SupportKind):  # national data, shared by every city: no row is 熊本市's
        listed = set(response.context["cl"].result_list.values_list("pk", flat=True))
        assert obj.pk in listed, "the prefecture reads its municipality's rows"
        check_read_only_change_form(client, model, obj)
        check_no_write(client, model, obj)
    if model in FOREIGN_FIELDS:
        check_add(client, model, prefecture, city)  # a reference to 熊本市's row: refused
    check_autocomplete(client, model, prefecture, city)


def test_prefecture_editor_edits_its_own_prefecture_plan(client, prefecture_world):
    prefecture, _, _ = prefecture_world
    client.force_login(prefecture.editor)
    data = form_data(client, prefecture.plan)
    data["purpose"] = "県の目的を改めました"
    response = client.post(change_url(prefecture.plan), data)
    assert response.status_code == 302
    prefecture.plan.refresh_from_db()
    assert prefecture.plan.purpose == "県の目的を改めました"


def test_prefecture_publisher_can_neither_submit_nor_approve_a_municipality_plan(client, prefecture_world):
    prefecture, city, _ = prefecture_world
    client.force_login(prefecture.publisher)
    page = client.get(change_url(city.plan)).content.decode()
    assert 'id="submit-form"' not in page and 'id="progress-entry-link"' not in page
    response = client.post(url(Plan, "submit", city.plan.pk), {"comment": "県が申請"}, follow=True)
    assert "この計画の承認申請はできません。" in response.content.decode()
    assert not ApprovalRequest.objects.filter(plan=city.plan).exists()

    workflow.submit(city.plan, city.editor, "市の改訂")
    page = client.get(change_url(city.plan)).content.decode()
    assert 'id="approve-button"' not in page
    response = client.post(url(Plan, "decide", city.plan.pk), {"decision": "approve"}, follow=True)
    assert "承認できるのは、この自治体の公開責任者だけです。" in response.content.decode()
    assert not Job.objects.filter(kind="approval").exists() and not PlanVersion.objects.filter(plan=city.plan).exists()
    client.post(url(Plan, "decide", city.plan.pk), {"decision": "send_back", "reason": "県から差戻し"})
    assert ApprovalRequest.objects.get(plan=city.plan).state == ApprovalRequest.State.PENDING

    workflow.approve(ApprovalRequest.objects.get(plan=city.plan), city.publisher)
    client.post(url(Plan, "end_publication", city.plan.pk), {"at": ""})
    assert PlanVersion.objects.current(city.plan) is not None, "the prefecture cannot end a city's publication"


def test_prefecture_editor_cannot_import_into_a_municipality(client, prefecture_world):
    prefecture, city, _ = prefecture_world
    client.force_login(prefecture.editor)
    header = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況"]
    row = [city.municipality.pk, city.plan.title, "1", "1", city.program.name, "令和7年度", "実施"]
    data = "\r\n".join(",".join(map(str, line)) for line in (header, row)).encode("utf-8-sig")
    response = preview_import(client, "measures_programprogress", data)
    assert f"団体コード“{city.municipality.pk}”の自治体のデータを取り込む権限がありません" in response.content.decode()
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists()


def test_prefecture_editor_previews_a_municipality_draft_but_not_another_prefecture(client, prefecture_world):
    prefecture, city, city_b = prefecture_world
    client.force_login(prefecture.editor)
    page = client.get(city.plan.get_absolute_url(), {"preview": "1"})
    assert page.status_code == 200
    assert "【案】" in page.content.decode() and city.plan.purpose in page.content.decode()
    assert client.get(city_b.plan.get_absolute_url(), {"preview": "1"}).status_code == 404


def test_prefecture_editor_filters_and_searches_its_municipalities_rows(client, prefecture_world):
    prefecture, city, _ = prefecture_world
    client.force_login(prefecture.editor)
    response = client.get(url(Plan, "changelist"))
    assert f"?municipality__code__exact={city.municipality.pk}" in response.content.decode(), "熊本市 offered"
    response = client.get(url(Plan, "changelist"), {"municipality__code__exact": city.municipality.pk})
    assert list(response.context["cl"].result_list) == [city.plan]
    response = client.get(url(Plan, "changelist"), {"q": "熊本市"})
    assert city.plan in response.context["cl"].result_list
