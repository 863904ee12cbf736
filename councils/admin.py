"""The Japanese admin of councils, their members, meetings, agenda items and documents."""

from django.contrib import admin

from plans.admin import PlanAdmin
from reoffense_portal import eras
from reoffense_portal.scoping.admin import FiscalYearFilter, StaffHistoryAdmin, StaffTabularInline
from reoffense_portal.spreadsheets.admin import SpreadsheetAdminMixin

from .models import AgendaItem, Council, CouncilMember, Meeting, MeetingDocument
from .resources import CouncilMemberResource, MeetingResource


class CouncilInline(StaffTabularInline):
    model = Council
    fields = ["order", "name", "kind"]
    show_change_link = True


PlanAdmin.add_inline(CouncilInline)


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
    inlines = [CouncilMemberInline, MeetingInline]
    list_select_related = ["plan"]


@admin.register(CouncilMember)
class CouncilMemberAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
    resource_classes = [CouncilMemberResource]
    list_display = ["organization", "role", "representative", "council", "term_start", "term_end"]
    list_filter = ["role", "council__plan__municipality", "council__plan", "council"]
    search_fields = ["organization__name", "representative", "council__name"]
    autocomplete_fields = ["council", "organization"]
    list_select_related = ["organization", "council"]


class AgendaItemInline(StaffTabularInline):
    model = AgendaItem
    fields = ["order", "title", "areas"]
    autocomplete_fields = ["areas"]


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
    list_display = ["title", "order", "meeting"]
    list_filter = ["meeting__council__plan__municipality", "meeting__council", "areas"]
    search_fields = ["title", "description", "meeting__council__name"]
    autocomplete_fields = ["meeting", "areas"]
    list_select_related = ["meeting__council"]


@admin.register(MeetingDocument)
class MeetingDocumentAdmin(StaffHistoryAdmin):
    list_display = ["title", "kind", "size_label", "meeting"]
    list_filter = ["kind", "meeting__council__plan__municipality", "meeting__council"]
    search_fields = ["title", "meeting__council__name"]
    autocomplete_fields = ["meeting"]
    list_select_related = ["meeting__council"]

    @admin.display(description="ファイル")
    def size_label(self, document):
        return document.size_label
