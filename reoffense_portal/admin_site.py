"""The portal's admin site: Django's, with autocomplete choices labelled like the selects.

A user who sees several municipalities reads 「地域福祉課（山口市）」 and 「地域福祉課（熊本市）」 in the
autocomplete list, as in every scoped select (reoffense_portal.scoping.admin.choice_labeller). The list
offers what a form may choose: the rows the user may write, never those a prefecture's staff only read.
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

from reoffense_portal.scoping.admin import choice_labeller, scoped


class LabelledAutocompleteView(AutocompleteJsonView):
    def get(self, request, *args, **kwargs):
        self.label = choice_labeller(request.user)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return scoped(super().get_queryset(), self.request.user)

    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": self.label(obj)}


class PortalAdminSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return LabelledAutocompleteView.as_view(admin_site=self)(request)
