"""The one door for staff code: querysets limited to a user's municipalities.

Every model that staff edit belongs to exactly one municipality, reached
through `municipality_path`. `for_user(user)` keeps only the rows of the
municipalities the user is a member of (all of them for a superuser).
"""

from django.db import models


class MunicipalityScopedQuerySet(models.QuerySet):
    municipality_path = "municipality"

    def for_user(self, user):
        if not user.is_active or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        # The Municipality model itself is its own municipality (path "pk").
        prefix = "" if self.municipality_path == "pk" else f"{self.municipality_path}__"
        return self.filter(**{f"{prefix}memberships__user": user}).distinct()

    def for_municipality(self, municipality):
        return self.filter(**{self.municipality_path: municipality})
