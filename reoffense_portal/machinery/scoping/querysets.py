"""The one door for staff code: querysets limited to a user's municipalities.

Every model that staff edit belongs to exactly one municipality, reached
through `municipality_path`. `for_user(user)` keeps only the rows of the
municipalities the user is a member of (all of them for a superuser): what
the user may write. `readable_by(user)` adds, for the staff of a prefecture
(a membership of a municipality of kind 都道府県), the rows of every
municipality of that prefecture: what the user may read, never write, so a
prefecture follows up its municipalities' plans without touching them.
"""

from functools import cache

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q


class MunicipalityScopedQuerySet(models.QuerySet):
    municipality_path = "municipality"

    def _prefix(self) -> str:
        # The Municipality model itself is its own municipality (path "pk").
        return "" if self.municipality_path == "pk" else f"{self.municipality_path}__"

    def for_user(self, user):
        """The rows the user may write."""
        if not user.is_active or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(**{f"{self._prefix()}memberships__user": user}).distinct()

    def readable_by(self, user):
        """The rows the user may read: for_user(), and for a prefecture's staff its municipalities' rows."""
        if not user.is_active or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(**{f"{self._prefix() or 'pk__'}in": readable_codes(user)})


def municipality_path(model) -> str | None:
    """The lookup path from `model` to its municipality ("pk" for Municipality); None for unscoped (national) models."""
    queryset_class = getattr(getattr(model, "_default_manager", None), "_queryset_class", None)
    if queryset_class and issubclass(queryset_class, MunicipalityScopedQuerySet):
        return queryset_class.municipality_path
    return None


@cache
def municipality_model():
    """The model that is its own municipality (its scoped queryset's path is "pk"): plans.Municipality.

    Found among the installed models, not imported: the machinery serves the apps and imports none of them.
    """
    return next(model for model in apps.get_models() if municipality_path(model) == "pk")


def readable_codes(user) -> list[str]:
    """The codes of the municipalities the user reads (their own, and a prefecture's municipalities).

    A list rather than a subquery: PostgreSQL then knows how few rows a
    prefecture's staff read (60 municipalities of 1,788) and plans for them;
    with the subquery it read the whole nation's rows for their searches.
    Asked once per user object, that is once per request (each request loads
    its user afresh), since a change list asks it for every filter and field.
    """
    codes = getattr(user, "_readable_codes", None)
    if codes is None:
        codes = user._readable_codes = list(municipality_model().objects.filter(
            Q(memberships__user=user) | Q(prefecture__memberships__user=user)
        ).values_list("pk", flat=True).distinct())
    return codes


def is_scoped(model) -> bool:
    return municipality_path(model) is not None


def scoped(queryset, user):
    """The rows of `queryset` the user may write; unscoped models (national data) stay whole."""
    return queryset.for_user(user) if hasattr(queryset, "for_user") else queryset


def readable(queryset, user):
    """The rows of `queryset` the user may read (a prefecture's staff: its municipalities' too)."""
    return queryset.readable_by(user) if hasattr(queryset, "readable_by") else queryset


def municipality_id_of(obj):
    """The municipality code a row belongs to, following its queryset's municipality_path."""
    path = municipality_path(type(obj)) if obj is not None else None
    if path is None:
        return None
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    try:
        for name in hops:
            obj = getattr(obj, name)
            if obj is None:
                return None
    except ObjectDoesNotExist:
        return None
    return getattr(obj, f"{last}_id", None)
