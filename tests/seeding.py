"""The seeded cities' rows, kept by a test process after it first publishes them, and written again."""

from collections import defaultdict

from django.apps import apps
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection


class SeededRows:
    """Every row the seeding added, in the order Django's serializers give them back."""

    def __init__(self):
        self.rows = None
        self.files = {}  # the versions' downloads the seeding stored, by name: each test has its own MEDIA_ROOT

    @staticmethod
    def keys() -> dict:
        return {model: set(model._base_manager.values_list("pk", flat=True)) for model in apps.get_models()}

    def keep(self, before: dict) -> None:
        self.rows = []
        for model, keys in before.items():
            added = model._base_manager.exclude(pk__in=keys) if keys else model._base_manager.all()
            self.rows += serializers.serialize("python", added.order_by("pk"))
        from reoffense_portal.composition.publishing.models import VersionFile

        stored = VersionFile.objects.exclude(pk__in=before.get(VersionFile, ())).filter(stored_name__startswith="versions/")
        self.files = {file.stored_name: file.read() for file in stored}

    def write(self) -> None:
        """As loaddata writes a fixture, but a table at a time: no signals' side effects, constraints checked
        at the end. The search index's three thousand pairs made one INSERT a row most of a test's set-up."""
        objects, links = defaultdict(list), defaultdict(list)
        for row in serializers.deserialize("python", self.rows):
            objects[type(row.object)].append(row.object)
            for name, keys in (row.m2m_data or {}).items():
                field = row.object._meta.get_field(name)
                through = field.remote_field.through
                links[through] += [through(**{f"{field.m2m_field_name()}_id": row.object.pk,
                                              f"{field.m2m_reverse_field_name()}_id": key}) for key in keys]
        with connection.constraint_checks_disabled():
            for model, rows in [*objects.items(), *links.items()]:
                model._base_manager.bulk_create(rows)
        models = [*objects, *links]
        connection.check_constraints(table_names=[model._meta.db_table for model in models])
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        for name, content in self.files.items():
            if not default_storage.exists(name):
                default_storage.save(name, ContentFile(content))

seeded_rows = SeededRows()
