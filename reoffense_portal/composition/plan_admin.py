"""The plan's admin, composed in one place and registered once.

plans knows only its own fields and inlines; the apps above it add to the plan's page here, in the
order the page shows them, and nowhere else: measures' and councils' inlines, the 公開 panel and the
steps of the approval flow (publishing), the パブリックコメント panel (consultation, which reads what the
公開 panel put in the page's context, so it comes first in the class's bases).
"""

from django.contrib import admin

from councils import admin as councils_admin
from measures import admin as measures_admin
from plans.admin import PlanAdmin as PlanFieldsAdmin
from plans.models import Plan
from reoffense_portal.composition.consultation.admin import CommentPeriodsPanel
from reoffense_portal.composition.publishing.admin import PublicationPanel


class PlanAdmin(CommentPeriodsPanel, PublicationPanel, PlanFieldsAdmin):
    list_display = [*PlanFieldsAdmin.list_display, "publication_state"]
    inlines = [*PlanFieldsAdmin.inlines, *measures_admin.PLAN_INLINES, *councils_admin.PLAN_INLINES]
    change_form_template = "admin/plan_change_form.html"
    # Below the change form's tools, top to bottom.
    plan_panels = [PublicationPanel.panel, CommentPeriodsPanel.panel]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["plan_panels"] = self.plan_panels
        return super().render_change_form(request, context, add, change, form_url, obj)


admin.site.register(Plan, PlanAdmin)
