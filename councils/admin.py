"""The Japanese admin of councils, their members, meetings, agenda items and documents."""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.urls import path, reverse

from reoffense_portal.machinery import eras
from reoffense_portal.machinery.scoping.admin import (
    NextNumberInlineMixin,
    ScopedFieldsMixin,
    ScopedModelForm,
    StaffHistoryAdmin,
    StaffTabularInline,
    VersionedInlineFormSet,
)
from reoffense_portal.machinery.scoping.year_filters import FiscalYearFilter
from reoffense_portal.machinery.spreadsheets.admin import SpreadsheetAdminMixin

from .models import AgendaItem, Council, CouncilMember, Meeting, MeetingDocument
from .resources import CouncilMemberResource, MeetingResource


class CouncilInline(StaffTabularInline):
    model = Council
    fields = ["order", "name", "kind"]
    show_change_link = True


# What councils adds to the plan's page (reoffense_portal.composition.plan_admin).
PLAN_INLINES = [CouncilInline]


class CouncilMemberInline(StaffTabularInline):
    model = CouncilMember
    fields = ["order", "organization", "role", "representative", "term_start", "term_end"]
    autocomplete_fields = ["organization"]


class MeetingInline(StaffTabularInline):
    model = Meeting
    fields = ["fiscal_year", "sequence", "held_on", "status", "venue"]
    show_change_link = True


@admin.register(Council)
class CouncilAdmin(StaffHistoryAdmin):
    list_display = ["name", "kind", "plan"]
    list_filter = ["kind", "plan__municipality", "plan"]
    search_fields = ["name", "purpose", "plan__title"]
    autocomplete_fields = ["plan"]
    next_number = ("order", ("plan",))
    inlines = [CouncilMemberInline, MeetingInline]
    list_select_related = ["plan"]


@admin.register(CouncilMember)
class CouncilMemberAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
    resource_classes = [CouncilMemberResource]
    list_display = ["organization", "role", "representative", "council", "term_start", "term_end"]
    list_filter = ["role", "council__plan__municipality", "council__plan", "council"]
    search_fields = ["organization__name", "representative", "council__name"]
    autocomplete_fields = ["council", "organization"]
    next_number = ("order", ("council",))
    list_select_related = ["organization", "council"]


REVIEW_LINK_FIELDS = list(AgendaItem.REVIEW_LINKS)
LINK_AUTOCOMPLETE = "admin:councils_agendaitem_link_autocomplete"


class ReviewLinkAutocomplete(AutocompleteJsonView):
    """The admin's autocomplete for an agenda item's links, narrowed to the meeting's plan (?plan=…).

    The user's municipalities still bound every answer (the related admin's scoped queryset).
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        plan = self.request.GET.get("plan", "")
        if (
            self.source_field.model is AgendaItem
            and self.source_field.name in AgendaItem.REVIEW_LINKS
            and plan.isdigit()
        ):
            queryset = queryset.filter(**{AgendaItem.REVIEW_LINKS[self.source_field.name]: int(plan)})
        if self.source_field.name == "measures":
            queryset = queryset.select_related("area")
        return queryset

    def serialize_result(self, obj, to_field_name):
        """A measure with its area's number (1（2）…): plans number measures afresh in every area."""
        result = super().serialize_result(obj, to_field_name)
        if self.source_field.name == "measures":
            result["text"] = f"{obj.area.number}{obj.heading or obj.label}"
        return result


class AgendaItemForm(ScopedModelForm):
    """Links offered from the meeting's plan only, and refused server-side when they are not of it."""

    # Set by the admin on a subclass when the page knows the meeting (for_plan).
    plan_id: int | None = None

    @classmethod
    def for_plan(cls, plan_id: int | None) -> type["AgendaItemForm"]:
        return type(cls.__name__, (cls,), {"plan_id": plan_id}) if plan_id else cls

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        url = reverse(LINK_AUTOCOMPLETE) + (f"?plan={self.plan_id}" if self.plan_id else "")
        for name in REVIEW_LINK_FIELDS:
            if name in self.fields:
                widget = self.fields[name].widget
                widget = getattr(widget, "widget", widget)  # inside the admin's related-object wrapper
                if hasattr(widget, "get_url"):
                    widget.get_url = lambda url=url: url

    def clean(self):
        cleaned_data = super().clean()
        meeting = cleaned_data.get("meeting") or getattr(self.instance, "meeting", None)
        try:
            plan = meeting.council.plan if meeting is not None else None
        except ObjectDoesNotExist:
            plan = None
        if plan is None:
            return cleaned_data
        for name in REVIEW_LINK_FIELDS:
            chosen = cleaned_data.get(name)
            if name not in self.fields or name in self.errors or not chosen:
                continue
            outside = AgendaItem.links_outside(plan, name, list(chosen))
            if outside:
                kind = AgendaItem._meta.get_field(name).related_model._meta.verbose_name
                self.add_error(name, ValidationError(
                    "会議の計画「%(plan)s」の%(kind)sではないものは選べません：%(names)s。"
                    "この会議の計画の%(kind)sを選んでください。",
                    code="other_plan",
                    params={"plan": plan.title, "kind": kind, "names": "、".join(f"「{obj}」" for obj in outside)},
                ))
        return cleaned_data


class AgendaItemInline(NextNumberInlineMixin, ScopedFieldsMixin, admin.StackedInline):
    """Stacked, scoped like every inline: an item's four kinds of links do not fit on one table row."""

    model = AgendaItem
    form = AgendaItemForm
    formset = VersionedInlineFormSet
    extra = 0
    fields = [("order", "title"), "description", *REVIEW_LINK_FIELDS]
    autocomplete_fields = REVIEW_LINK_FIELDS

    def get_formset(self, request, obj=None, **kwargs):
        plan_id = obj.council.plan_id if obj is not None and obj.council_id else None
        return super().get_formset(request, obj, form=AgendaItemForm.for_plan(plan_id), **kwargs)


class MeetingDocumentInline(StaffTabularInline):
    model = MeetingDocument
    fields = ["order", "kind", "title", "file"]


class MeetingFiscalYearFilter(FiscalYearFilter):
    title = "開催年度"


@admin.register(Meeting)
class MeetingAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
    resource_classes = [MeetingResource]
    list_display = ["title", "fiscal_year_label", "held_on_label", "status", "venue"]
    list_filter = [MeetingFiscalYearFilter, "status", "council__plan__municipality", "council__plan", "council"]
    search_fields = ["council__name", "venue", "minutes", "agenda_items__title"]
    autocomplete_fields = ["council"]
    inlines = [AgendaItemInline, MeetingDocumentInline]
    list_select_related = ["council"]
    fieldsets = [
        (None, {"fields": ["council", ("fiscal_year", "sequence"), "status"]}),
        ("日時・会場", {"fields": ["held_on", ("starts_at", "ends_at"), "venue"]}),
        ("審議", {"fields": ["reviewed_fiscal_year", "minutes"]}),
    ]

    @admin.display(description="会議名", ordering="fiscal_year")
    def title(self, meeting):
        return meeting.title

    @admin.display(description="年度", ordering="fiscal_year")
    def fiscal_year_label(self, meeting):
        return eras.fiscal_year_full_label(meeting.fiscal_year)

    @admin.display(description="開催日", ordering="held_on")
    def held_on_label(self, meeting):
        return meeting.held_on_label


@admin.register(AgendaItem)
class AgendaItemAdmin(StaffHistoryAdmin):
    form = AgendaItemForm
    list_display = ["title", "order", "meeting"]
    list_filter = ["meeting__council__plan__municipality", "meeting__council", "areas", "measures"]
    search_fields = [
        "title", "description", "meeting__council__name", "measures__title", "programs__name", "indicators__name",
    ]
    autocomplete_fields = ["meeting", *REVIEW_LINK_FIELDS]
    next_number = ("order", ("meeting",))
    list_select_related = ["meeting__council"]
    fieldsets = [
        (None, {"fields": ["meeting", "order", "title", "description"]}),
        (
            "審議した項目",
            {
                "fields": REVIEW_LINK_FIELDS,
                "description": "この議題で審議した重点施策・施策・取組・事業・成果目標を、会議の計画の中から選びます。"
                "選んだ項目の公開ページに「この項目を審議した会議」として表示されます。",
            },
        ),
    ]

    def get_form(self, request, obj=None, **kwargs):
        plan_id = obj.meeting.council.plan_id if obj is not None else None
        return super().get_form(request, obj, form=AgendaItemForm.for_plan(plan_id), **kwargs)

    def get_urls(self):
        view = self.admin_site.admin_view(ReviewLinkAutocomplete.as_view(admin_site=self.admin_site))
        return [path("links/autocomplete/", view, name="councils_agendaitem_link_autocomplete"), *super().get_urls()]


@admin.register(MeetingDocument)
class MeetingDocumentAdmin(StaffHistoryAdmin):
    list_display = ["title", "kind", "size_label", "meeting"]
    list_filter = ["kind", "meeting__council__plan__municipality", "meeting__council"]
    search_fields = ["title", "meeting__council__name"]
    autocomplete_fields = ["meeting"]
    next_number = ("order", ("meeting",))
    list_select_related = ["meeting__council"]

    @admin.display(description="ファイル")
    def size_label(self, document):
        return document.size_label
