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
comparison on Japanese text. `search_field_by_field` first asks each field on
its own, within the user's rows, with LIKE or ILIKE for at most SEARCH_PROBE
rows, which its trigram index (measures/migrations/0005) answers, or for a
two-character word its bigram index (0011): a rare word is then found by its
few row ids, and the list reads those rows by id rather than the user's rows
again. A common word (「就労」 is in 36,000 of a nation's progress rows) stops a
probe early and is then searched as one condition on the listed rows, which
the change list reads until its page is full, instead of gathering every
match; its count stops at CappedPaginator.cap.
"""

from functools import reduce
from operator import or_

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, Lookup, OuterRef, Q
from django.db.models.constants import LOOKUP_SEP
from django.db.models.lookups import IContains
from django.utils.functional import cached_property
from django.utils.text import smart_split, unescape_string_literal

from .choices import choice_labeller  # the same labels as the selects
from .querysets import municipality_path

LINKS = 30
SEARCH_PROBE = 1_000  # rows a field is asked for, nationwide, before its word counts as common
# The same within a municipality's or prefecture's rows, which are few enough to list by id: the
# condition on each row instead let PostgreSQL join whole tables (1.9 s for a prefecture's 1,200 rows).
SCOPED_PROBE = 10_000


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


# Columns with a GIN index of their two-character pieces (measures/migrations/0011), as (table, column).
BIGRAM_INDEXED = {
    ("measures_program", "name"),
    ("measures_program", "description"),
    ("measures_programprogress", "results"),
    ("measures_programprogress", "issues"),
    ("plans_department", "name"),
    ("plans_organization", "name"),
    ("plans_indicator", "name"),
    ("plans_plan", "title"),
}


class ContainsAnyCase(IContains):
    """icontains; on PostgreSQL the column as stored, so that its trigram or bigram index applies.

    A word without letters that have a case (漢字, かな, digits) is compared with LIKE, the
    others with ILIKE. A word of two characters has no trigram: a column with a bigram index is
    asked whether the word is one of its pieces (portal_bigrams, measures/migrations/0011).
    Otherwise a word of one or two characters is compared through an expression no index holds:
    the trigram index would be read whole, slower than the rows.
    """

    by_index = True  # False: a condition PostgreSQL asks of each row it reads anyway (in_some_field)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = Lookup.process_lhs(self, compiler, connection)
        word = str(self.rhs)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "LIKE" if word.upper() == word.lower() else "ILIKE"
        if len(word) >= 3:
            return f"{lhs} {operator} {rhs}", (*lhs_params, *rhs_params)
        condition = f"({lhs} || '') {operator} {rhs}"
        if len(word) == 2 and self.by_index and self._column() in BIGRAM_INDEXED:
            # The index's condition, and LIKE for PostgreSQL to ask first of the rows it reads
            # otherwise (a city's or prefecture's): the function costs 50 µs a row, LIKE a fraction.
            bigram = f"portal_bigrams({lhs}) @> ARRAY[lower(%s)]::text[]"
            return f"({bigram} AND {condition})", (*lhs_params, word, *lhs_params, *rhs_params)
        return condition, (*lhs_params, *rhs_params)

    def _column(self):
        target = getattr(self.lhs, "target", None)
        return (target.model._meta.db_table, target.column) if target is not None else None


class ContainsInRow(ContainsAnyCase):
    """ContainsAnyCase as a condition on rows already read: no bigram function, 50 µs a row on 536,400 rows."""

    by_index = False


def search_field_by_field(queryset, fields, search_term, *, nationwide=False):
    """Django's admin search (every word in some field, quoted phrases kept whole), one query per field.

    Each field is asked on its own within the user's rows, for at most SEARCH_PROBE row ids, which
    its index finds; the list is then those rows by id, so the user's scope is not walked again.
    A word found in more rows than that (SEARCH_PROBE nationwide, SCOPED_PROBE in a user's
    municipalities) is searched as one condition on the listed rows instead. Also says whether more
    than the probe's rows are known to be found, so that they need not be counted.
    """
    within = queryset.order_by()  # the user's rows as filtered: each field is searched there only
    words = list(smart_split(search_term))
    common = False
    for word in words:
        if word.startswith(('"', "'")) and word[0] == word[-1]:
            word = unescape_string_literal(word)
        found = probe(within, fields, word, SEARCH_PROBE if nationwide else SCOPED_PROBE, by_index=nationwide)
        if found is None and nationwide:
            queryset, common = queryset.filter(in_some_field(queryset.model, fields, word)), True
        elif found is None:
            queryset, common = queryset.filter(pk__in=in_each_field(within, fields, word)), True
        else:
            queryset = queryset.filter(pk__in=sorted(found))
    return queryset, common and len(words) == 1


def in_each_field(within, fields, word):
    """The rows with the word in some field as one subquery, a union of one per field within the user's rows.

    For a word in most of a municipality's or prefecture's rows: PostgreSQL walks those rows once a
    field, where the same condition on each row let it join whole tables.
    """
    found = [within.filter(ContainsInRow(F(field), word)).values("pk") for field in fields]
    return found[0].union(*found[1:])


def probe(within, fields, word, cap, *, by_index=True):
    """The ids of the rows with the word in some field, or None when they are more than `cap`.

    Without `by_index`, the word is asked of the user's rows as they are read (a municipality's or
    prefecture's, a few thousand): a bigram index would first gather the word's rows nationwide, all
    536,400 progress rows for a word such as 「年度」.
    """
    contains = ContainsAnyCase if by_index else ContainsInRow
    found = set()
    for field in fields:
        found.update(within.filter(contains(F(field), word)).values_list("pk", flat=True)[: cap + 1])
        if len(found) > cap:
            return None
    return found


def in_some_field(model, fields, word):
    """The word in one of the fields, as a condition on each row.

    A field across a to-many relation asks EXISTS of the last row before it
    (a progress row's programme for its departments), so no duplicates.
    """
    conditions = []
    for field in fields:
        names = field.split(LOOKUP_SEP)
        path = get_fields_from_path(model, field)
        many = next((n for n, step in enumerate(path) if step.many_to_many or step.one_to_many), None)
        if many is None:
            conditions.append(Q(ContainsInRow(F(field), word)))
            continue
        owner = path[many - 1].related_model if many else model
        outer = OuterRef(LOOKUP_SEP.join(names[:many]) if many else "pk")
        rest = LOOKUP_SEP.join(names[many:])
        conditions.append(Q(Exists(owner._default_manager.filter(pk=outer).filter(ContainsInRow(F(rest), word)))))
    return reduce(or_, conditions)


class CappedPaginator(Paginator):
    """Counts the rows found up to `cap`, then says 「1,000件以上」: a nationwide search need not count 36,000 rows.

    The change list's pages reach the first `cap` rows; a user who needs the
    rest narrows the search or filters, as the page suggests.
    """

    cap = SEARCH_PROBE  # a search that found more than its probe needs no count
    capped = False  # set by count: more rows than `cap` were found

    def __init__(self, *args, known_capped=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.known_capped = known_capped  # the search found more than `cap` rows already

    @cached_property
    def count(self):
        # The first cap + 1 rows in the list's order: its index reads them first.
        # In no order: which rows the first cap + 1 are does not change how many there are, and sorting them
        # first would gather every match.
        rows = self.object_list.order_by() if hasattr(self.object_list, "order_by") else self.object_list
        found = self.cap + 1 if self.known_capped else rows[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)
