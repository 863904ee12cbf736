"""The path from a row to the plan it belongs to, read from the path to its municipality.

A model is "below a plan" when its scoped queryset reaches the municipality through a plan
(municipality_path ending in "plan__municipality"): a programme's progress through its
programme, area and plan. So plans learns which rows move its 更新日, the staff exports which
plan their rows hang below, and publishing what a version holds, without importing the apps
that declare those rows.
"""

from functools import cache

from django.core.exceptions import ObjectDoesNotExist

from reoffense_portal.machinery.scoping.querysets import municipality_path

PLAN_SUFFIX = "plan__municipality"


@cache
def plan_path(model) -> tuple[str, ...] | None:
    """("program", "area", "plan") for ProgramProgress; None for models not below a plan."""
    path = municipality_path(model)
    if path is None or not (path == PLAN_SUFFIX or path.endswith("__" + PLAN_SUFFIX)):
        return None
    return tuple(path.split("__")[:-1])


def plan_id_of(instance):
    """The id of the plan the row belongs to; None for a row not below a plan (or not yet attached to one)."""
    path = plan_path(type(instance))
    if path is None:
        return None
    obj = instance
    try:
        for name in path[:-1]:
            obj = getattr(obj, name)
    except ObjectDoesNotExist:
        return None
    return getattr(obj, f"{path[-1]}_id", None)
