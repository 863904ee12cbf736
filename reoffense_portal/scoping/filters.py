"""Change-list filters and search that stay cheap at national scale (1,788 municipalities, 500,000 rows).

Django's related filters list every related row the change list refers to,
found by joining all of its rows (RelatedOnlyFieldListFilter), and a
superuser's side panel then holds 10,728 areas. `ScopedRelatedFilter` reads
the related rows the user may see instead (`readable_by`), at most LINKS + 1 of
them: a user with few (an editor of one city) gets the usual links, a user
with many (a superuser) a search box on Django's own autocomplete view, at
its address for filters (reoffense_portal.admin_site), which finds the same
rows (a form's autocomplete offers fewer to a prefecture's staff: only what
they may write), sent with a 「絞り込む」 button: choosing a row does not
reload the page by itself (JIS X 8341-3, 3.2.2 On Input). Django's widget, not a library: the
maintained ones render their own scripts, which the Content-Security-Policy
of the admin would have to allow.

Django's admin search joins every search field into one query (many-to-many
ones too, then DISTINCT) and ORs them, so no index can answer it, and on
PostgreSQL it compares UPPER(column), which costs five times a plain
comparison on Japanese text. `search_field_by_field` asks each field on its
own with ILIKE, which its trigram index (measures/migrations/0005) answers,
and unites the rows found.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import F, Lookup
from django.db.models.lookups import IContains
from django.utils.text import smart_split, unescape_string_literal

from .querysets import municipality_path

LINKS = 30


def related_choices(field, user):
    """The rows of the field's related model the user may read (all rows for a national model)."""
    related = field.related_model
    queryset = related._default_manager.complex_filter(field.get_limit_choices_to())
    return queryset.readable_by(user) if hasattr(queryset, "readable_by") else queryset


class FilterAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, asking the filters' address: a prefecture's staff find their municipalities' rows."""

    url_name = "%s:filter_autocomplete"


class ScopedRelatedFilter(admin.FieldListFilter):
    """A filter by a related row: links to the user's few rows, or a search box when they are many."""

    template = "admin/filter_related.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        related = field.related_model
        self.lookup_kwarg = f"{field_path}__{related._meta.pk.name}__exact"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = field.verbose_name
        self.field_path = field_path
        choices = related_choices(field, request.user)
        related_admin = model_admin.admin_site._registry.get(related)
        searchable = related_admin is not None and related_admin.get_search_fields(request)
        rows = list(choices[: LINKS + 1]) if searchable else list(choices)
        self.autocomplete = len(rows) > LINKS
        value = self.used_parameters.get(self.lookup_kwarg)
        self.value = str(value[-1] if isinstance(value, list) else value) if value else None
        if self.autocomplete:
            self.form = self._search_form(field, model_admin.admin_site, choices)
        else:
            from .admin import choice_labeller  # the same labels as the selects

            label = choice_labeller(request.user, readable=True) if municipality_path(related) == "municipality" else str
            self.links = [(str(row.pk), label(row)) for row in rows]

    def _search_form(self, field, admin_site, choices):
        choice = forms.ModelChoiceField(
            queryset=choices, required=False, label=self.title,
            widget=FilterAutocompleteSelect(field, admin_site, attrs={"data-width": "100%"}),
        )
        form = type("FilterForm", (forms.Form,), {self.lookup_kwarg: choice})()
        try:
            selected = choice.clean(self.value)
        except ValidationError:
            selected = None  # another municipality's row or no row: the change list answers it
        form.initial[self.lookup_kwarg] = selected.pk if selected else None
        return form

    def expected_parameters(self):
        return [self.lookup_kwarg]

    def has_output(self):
        return self.autocomplete or bool(self.links)

    def choices(self, changelist):
        # The other filters and the search, kept by the search box's form.
        self.kept = [
            (name, value)
            for name, values in changelist.params.items()
            if name not in (self.lookup_kwarg, PAGE_VAR)
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "selected": self.value is None,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": "すべて",
        }
        if not self.autocomplete:
            for pk, label in self.links:
                yield {
                    "selected": self.value == pk,
                    "query_string": changelist.get_query_string({self.lookup_kwarg: pk}),
                    "display": label,
                }

    @property
    def media(self):
        return self.form.media if self.autocomplete else forms.Media()


class ContainsAnyCase(IContains):
    """icontains; on PostgreSQL the column as stored, so that its trigram index applies.

    A word without letters that have a case (漢字, かな, digits) is compared with LIKE, the
    others with ILIKE. A word of one or two characters has no trigram: the index would be read
    whole, slower than the rows, so the column is compared through an expression it does not index.
    """

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = Lookup.process_lhs(self, compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        word = str(self.rhs)
        operator = "LIKE" if word.upper() == word.lower() else "ILIKE"
        if len(word) < 3:
            lhs = f"({lhs} || '')"
        return f"{lhs} {operator} {rhs}", (*lhs_params, *rhs_params)


def search_field_by_field(queryset, fields, search_term):
    """Django's admin search (every word in some field, quoted phrases kept whole), one subquery per field."""
    within = queryset.order_by()  # the user's rows as filtered: each field is searched there only
    for word in smart_split(search_term):
        if word.startswith(('"', "'")) and word[0] == word[-1]:
            word = unescape_string_literal(word)
        found = [within.filter(ContainsAnyCase(F(field), word)).values("pk") for field in fields]
        queryset = queryset.filter(pk__in=found[0].union(*found[1:]))
    return queryset
