"""Saving a batch of imported rows that have many-to-many columns (a programme's 担当課 and 連携団体).

Saving such a row one at a time costs a dozen queries (the row, its history, each relation's
set(), a history row per change, each with its relations read back): 6–20 ms a row. Here a batch
of rows costs a handful of queries whatever its size: the rows, their relation rows (only those that
change), one history row per row written with the relations it now has, as django-simple-history
records them.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import ManyToManyField
from django.dispatch import Signal

# Sent with `instances` after an import saved a batch of rows of `sender` (a model) in bulk, which
# sends no post_save: plans moves the 更新日 of the plans they belong to (plans.signals).
rows_saved_in_bulk = Signal()


def _relation(model, attribute: str):
    """The through model and the attnames of its two keys (program_id, department_id)."""
    field = model._meta.get_field(attribute)
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    return field, through, source, target


def update_rows(model, instances, fields: list[str]) -> None:
    """UPDATE each row's `fields` by its primary key, one statement sent with executemany.

    Django's bulk_update builds one CASE WHEN per field over the whole batch, whose compiling cost
    about a millisecond a row; like it, this calls neither save() nor pre_save (auto_now).
    """
    if not instances or not fields:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in dict.fromkeys(fields)]  # once each (PostgreSQL insists)
    pk = model._meta.pk
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET "
        + ", ".join(f"{quote(field.column)} = %s" for field in columns)
        + f" WHERE {quote(pk.column)} = %s"
    )
    params = [
        [field.get_db_prep_save(getattr(instance, field.attname), connection) for field in columns]
        + [pk.get_db_prep_save(instance.pk, connection)]
        for instance in instances
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def save_relations(model, instances, created: bool) -> dict:
    """Set each instance's relations to `instance._import_m2m[attribute]`, as set() would.

    Relation rows that stay are kept (with their ids); the others are deleted, the missing ones
    created. Returns {attribute: {instance pk: [through rows]}} as they now are, for the history.
    """
    now = {}
    attributes = sorted({a for instance in instances for a in getattr(instance, "_import_m2m", {})})
    for attribute in attributes:
        _field, through, source, target = _relation(model, attribute)
        wanted = {
            instance.pk: {related.pk for related in instance._import_m2m[attribute]}
            for instance in instances if attribute in getattr(instance, "_import_m2m", {})
        }
        kept = {pk: [] for pk in wanted}
        stale = []
        if not created:
            for row in through._default_manager.filter(**{f"{source}__in": list(wanted)}):
                owner, related = getattr(row, source), getattr(row, target)
                if related in wanted[owner]:
                    kept[owner].append(row)
                else:
                    stale.append(row.pk)
        if stale:
            through._default_manager.filter(pk__in=stale).delete()
        have = {pk: {getattr(row, target) for row in rows} for pk, rows in kept.items()}
        new_rows = [
            through(**{source: pk, target: related})
            for pk, targets in wanted.items() for related in sorted(targets - have[pk])
        ]
        for row in through._default_manager.bulk_create(new_rows):
            kept[getattr(row, source)].append(row)
        now[attribute] = kept
    return now


def record_history(model, instances, created: bool, relations: dict, user, reason: str) -> None:
    """One history row per instance, with the relations it now has (django-simple-history's m2m history)."""
    manager = model.history
    history_model = manager.model
    records = manager.bulk_history_create(
        instances, update=not created, default_user=user, default_change_reason=reason,
    )
    if not records:
        return
    for field in history_model._history_m2m_fields:
        if not isinstance(field, ManyToManyField):
            continue
        m2m_history_model = getattr(history_model, field.name).model
        _field, through, source, target = _relation(model, field.name)
        by_instance = relations.get(field.name)
        if by_instance is None:  # a column the sheet does not have: the stored relations
            by_instance = {}
            for row in through._default_manager.filter(**{f"{source}__in": [i.pk for i in instances]}):
                by_instance.setdefault(getattr(row, source), []).append(row)
        m2m_history_model._default_manager.bulk_create(
            m2m_history_model(history_id=record.pk, id=row.pk, **{source: getattr(row, source), target: getattr(row, target)})
            for instance, record in zip(instances, records, strict=True)
            for row in sorted(by_instance.get(instance.pk, []), key=lambda r: r.pk)
        )
