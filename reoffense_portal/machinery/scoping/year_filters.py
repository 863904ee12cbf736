"""The change lists' filters by year (年度), which ignore a parameter that is no year."""

import re

from django.contrib import admin
from django.db import models

from reoffense_portal.machinery import eras


class YearListFilter(admin.SimpleListFilter):
    """A filter by year: a parameter that is no year from 1900 to 2099 (“²”, 10**400) is ignored, like no filter."""

    def year(self) -> int | None:
        value = self.value()
        return int(value) if value and re.fullmatch(r"(19|20)[0-9]{2}", value) else None

    def year_range(self, request, model_admin, field_name) -> range:
        """From the user's first to their last year, newest first: two index reads, not a DISTINCT of every row."""
        span = (
            model_admin.get_queryset(request)
            .order_by()
            .aggregate(first=models.Min(field_name), last=models.Max(field_name))
        )
        if span["first"] is None:
            return range(0)
        return range(span["last"], span["first"] - 1, -1)


class FiscalYearFilter(YearListFilter):
    """年度 as 「令和6年度（2024年度）」, newest first, from the user's first recorded year to their last."""

    title = "年度"
    parameter_name = "fiscal_year"
    field_name = "fiscal_year"

    def lookups(self, request, model_admin):
        return [
            (year, eras.fiscal_year_full_label(year))
            for year in self.year_range(request, model_admin, self.field_name)
        ]

    def queryset(self, request, queryset):
        year = self.year()
        return queryset if year is None else queryset.filter(**{self.field_name: year})


