"""The portal's admin site: Django's, with autocomplete choices labelled like the selects.

A user who sees several municipalities reads 「地域福祉課（山口市）」 and 「地域福祉課（熊本市）」 in the
autocomplete list, as in every scoped select (reoffense_portal.machinery.scoping.choices.choice_labeller).

Two endpoints, as a prefecture's staff read more rows than they write: `autocomplete/` offers what a
form may choose, the rows the user may write, never those a prefecture's staff only read;
`autocomplete/filter/` serves the search boxes of the change lists' relation filters
(reoffense_portal.machinery.scoping.filters) and finds what the user may read, as the change list shows it.
A form given a row found there still refuses it (its choices are the rows the user may write).
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.urls import path

from reoffense_portal.machinery.scoping.choices import choice_labeller
from reoffense_portal.machinery.scoping.querysets import readable, scoped


class LabelledAutocompleteView(AutocompleteJsonView):
    """Rows labelled like the selects: a form field's choices, only the rows the user may write (for_user);
    without `writable_only` (the filters' search boxes) the rows the user may read (readable_by)."""

    writable_only = True

    def get(self, request, *args, **kwargs):
        self.label = choice_labeller(request.user, readable=not self.writable_only)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        scope = scoped if self.writable_only else readable
        return scope(super().get_queryset(), self.request.user)

    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": self.label(obj)}


class PortalAdminSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return LabelledAutocompleteView.as_view(admin_site=self)(request)

    def filter_autocomplete_view(self, request):
        return LabelledAutocompleteView.as_view(admin_site=self, writable_only=False)(request)

    def get_urls(self):
        # Before Django's own, whose last pattern answers every other address.
        return [
            path("autocomplete/filter/", self.admin_view(self.filter_autocomplete_view), name="filter_autocomplete"),
            *super().get_urls(),
        ]
