"""Spreadsheet columns for council meetings and member organisations (django-import-export)."""

from django.core.exceptions import ValidationError

from plans.models import Organization
from plans.resources import MUNICIPALITY_CODE, PLAN_TITLE, PlanRowsMixin
from reoffense_portal.machinery.spreadsheets.resources import (
    CREATION,
    Confirmation,
    PortalResource,
    column,
    nearest,
    not_registered,
)
from reoffense_portal.machinery.spreadsheets.widgets import (
    SMALL_NUMBER,
    ChoiceWidget,
    DateWidget,
    PreciseDateColumn,
    TextWidget,
    TimeWidget,
    YearWidget,
)
from reoffense_portal.machinery.text import shown

from .models import Council, CouncilMember, Meeting

COUNCIL_NAME = "会議名"


class CouncilMixin:
    def council(self, row):
        plan = self.plan(row)
        name = self.required(row, "council")
        key = ("councils", plan.pk)
        if key not in self.cache:
            self.cache[key] = {c.name: c for c in Council.objects.filter(plan=plan)}
        council = self.cache[key].get(name)
        if council is None:
            raise self.problem(
                "council", f"計画{shown(plan.title)}に{shown(name)}という会議体はありません（会議体は管理画面で先に登録してください）"
                + nearest(name, self.cache[key]),
            )
        council.plan = plan
        return council


class MeetingResource(CouncilMixin, PlanRowsMixin, PortalResource):
    """会議: 1行に1回の会議（令和6年度第1回…）."""

    display_name = "会議の開催"
    key_fields = ("municipality", "plan", "council", "fiscal_year", "sequence")
    example = {
        MUNICIPALITY_CODE: "431001",
        PLAN_TITLE: "熊本市再犯防止推進計画",
        COUNCIL_NAME: "熊本市再犯防止推進連絡会",
        "年度": 2024,
        "回": 1,
        "開催日": "2024-07-18",
        "開始時刻": "14:00",
        "終了時刻": "15:30",
        "会場": "熊本市役所 本庁舎14階 大会議室",
        "開催状況": "開催済み",
        "審議の対象年度": 2023,
        "議事要旨": "令和5年度の取組状況を報告し、意見交換を行いました。",
    }

    municipality = column("council__plan__municipality__code", MUNICIPALITY_CODE)
    plan = column("council__plan__title", PLAN_TITLE)
    council = column("council__name", COUNCIL_NAME)
    fiscal_year = column("fiscal_year", "年度", YearWidget(fiscal=True))
    sequence = column("sequence", "回", SMALL_NUMBER)
    held_on = PreciseDateColumn("held_on", "開催日")  # 令和5年12月, 令和5年度 when the source says no more
    starts_at = column("starts_at", "開始時刻", TimeWidget())
    ends_at = column("ends_at", "終了時刻", TimeWidget())
    venue = column("venue", "会場")
    status = column(
        "status", "開催状況", ChoiceWidget(Meeting.Status.choices, default="")  # blank: not stated
    )
    reviewed_fiscal_year = column("reviewed_fiscal_year", "審議の対象年度", YearWidget(fiscal=True))
    minutes = column("minutes", "議事要旨", TextWidget())

    class Meta(PortalResource.Meta):
        model = Meeting
        use_bulk = True  # no many-to-many columns: saved in batches, history included
        fields = (
            "municipality", "plan", "council", "fiscal_year", "sequence", "held_on", "starts_at",
            "ends_at", "venue", "status", "reviewed_fiscal_year", "minutes",
        )
        import_order = export_order = fields

    def export_queryset(self, queryset):
        return queryset.select_related("council__plan__municipality").order_by(
            "council__plan__municipality", "council__plan", "council__order", "council__pk",
            "fiscal_year", "sequence",
        )

    def find_or_build(self, row):
        council = self.council(row)
        fiscal_year = self.required(row, "fiscal_year")
        sequence = self.required(row, "sequence")
        self.claim_key((council.pk, fiscal_year, sequence), f"{council.name}の{fiscal_year}年度第{sequence}回")
        key = ("meetings", council.pk)
        if key not in self.cache:
            self.cache[key] = {(m.fiscal_year, m.sequence): m for m in Meeting.objects.filter(council=council)}
        found = self.cache[key].get((fiscal_year, sequence))
        if found is not None:
            found.council = council
            return found, False
        return Meeting(council=council, fiscal_year=fiscal_year, sequence=sequence), True


class CouncilMemberResource(CouncilMixin, PlanRowsMixin, PortalResource):
    """会議体の構成団体: 1行に1団体.

    An organisation not registered is created with the row's 分野 only when the user ticks it in the
    preview (a typo must not quietly make a second 保護観察所). The 分野 of a registered organisation
    is not changed from here: it is shared by every council and programme, and changed on its own
    page or sheet (関係機関・団体); a blank 分野 keeps it.
    """

    display_name = "会議体の構成団体"
    key_fields = ("municipality", "plan", "council", "organization")
    resolved_fields = ("sector",)
    example = {
        MUNICIPALITY_CODE: "431001",
        PLAN_TITLE: "熊本市再犯防止推進計画",
        COUNCIL_NAME: "熊本市再犯防止推進連絡会",
        "団体名": "熊本保護観察所",
        "分野": "国の機関",
        "役職": "委員",
        "委員の職名": "所長",
        "任期（開始）": "2024-04-01",
        "任期（終了）": "2026-03-31",
        "順番": 1,
    }

    municipality = column("council__plan__municipality__code", MUNICIPALITY_CODE)
    plan = column("council__plan__title", PLAN_TITLE)
    council = column("council__name", COUNCIL_NAME)
    organization = column("organization__name", "団体名")
    sector = column("organization__sector", "分野", ChoiceWidget(Organization.Sector.choices))
    role = column("role", "役職", ChoiceWidget(CouncilMember.Role.choices, default=""))  # blank: not stated
    representative = column("representative", "委員の職名")
    term_start = column("term_start", "任期（開始）", DateWidget())
    term_end = column("term_end", "任期（終了）", DateWidget())
    order = column("order", "順番", SMALL_NUMBER)

    class Meta(PortalResource.Meta):
        model = CouncilMember
        use_bulk = True  # no many-to-many columns: saved in batches, history included
        fields = (
            "municipality", "plan", "council", "organization", "sector", "role", "representative",
            "term_start", "term_end", "order",
        )
        import_order = export_order = fields

    def export_queryset(self, queryset):
        return queryset.select_related("council__plan__municipality", "organization").order_by(
            "council__plan__municipality", "council__plan", "council__order", "council__pk", "order", "pk"
        )

    def organization_for(self, row, municipality):
        """The member organisation; a new one (with its 分野) only when ticked in the preview."""
        name = self.required(row, "organization")
        key = ("organizations", municipality.code)
        if key not in self.cache:
            self.cache[key] = {o.name: o for o in Organization.objects.filter(municipality=municipality)}
        organizations = self.cache[key]
        organization = organizations.get(name)
        given = row.get(self.fields["sector"].column_name)
        sector = self.value(row, "sector") if given not in (None, "") else None
        confirmation_key = f"organization:{municipality.code}:{name}"
        if organization is None:
            registered = [n for n in organizations if f"organization:{municipality.code}:{n}" not in self.confirmations]
            problem = not_registered(shown(name), f"{municipality.name}の関係機関・団体", name, registered)
            if sector is None:
                raise self.problem("sector", f"{problem}。登録するには分野を入力してください")
            organization = Organization(municipality=municipality, name=name, sector=sector)
            try:
                organization.full_clean(validate_unique=False)
            except ValidationError as e:
                raise self.problem("organization", "、".join(e.messages)) from None
            self.confirm("organization", Confirmation(
                CREATION, confirmation_key,
                f"関係機関・団体{shown(name)}（{municipality.name}、分野：{organization.get_sector_display()}）",
                self.fields["organization"].column_name, problem=problem,
            ))
            self.save_parent(organization)
            organizations[name] = organization
        elif sector is not None and organization.sector != sector:
            earlier = self.confirmations.get(confirmation_key)
            if earlier is not None:  # created by an earlier row of this file, with another 分野
                raise self.problem("sector", f"{shown(name)}の分野が{earlier.lines[0]}行目と異なります")
            raise self.problem(
                "sector",
                f"{shown(name)}は分野「{organization.get_sector_display()}」で登録されています"
                "（分野は「関係機関・団体」で変えてください。空欄なら登録どおりです）",
            )
        else:
            self.listed_again(confirmation_key)
        return organization

    def find_or_build(self, row):
        council = self.council(row)
        municipality = council.plan.municipality
        organization = self.organization_for(row, municipality)
        self.claim_key((council.pk, organization.pk), f"{council.name}の{shown(organization.name)}")
        key = ("members", council.pk)
        if key not in self.cache:
            self.cache[key] = {m.organization_id: m for m in CouncilMember.objects.filter(council=council)}
        found = self.cache[key].get(organization.pk)
        if found is not None:
            found.council, found.organization = council, organization
            return found, False
        return CouncilMember(council=council, organization=organization), True
