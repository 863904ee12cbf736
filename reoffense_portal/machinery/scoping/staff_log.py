"""Every add, change and delete in the admin, also as a line of the staff log."""

from reoffense_portal.machinery import audit
from reoffense_portal.machinery.scoping.querysets import municipality_id_of


class StaffLogMixin:
    """Every add, change and delete in the admin is also one line of the staff log (reoffense_portal.machinery.audit).

    Beside the admin's own LogEntry rows, not from them: Django bulk-creates the
    rows of a deletion of several objects, which sends no post_save.
    """

    def construct_change_message(self, request, form, formsets, add=False):
        """The changed fields named as the form shows them, Django's own too: 「有効 を変更しました。」.

        Django stores the fields' English names to translate them when shown, which misses the
        capitalised names of its own fields (「Active を変更しました。」).
        """
        message = super().construct_change_message(request, form, formsets, add)
        for entry in message:
            changed = entry.get("changed")
            if changed is not None and "name" not in changed:  # the object's own fields, not an inline row's
                changed["fields"] = [
                    str(form.fields[name].label or name) if name in form.fields else name for name in form.changed_data
                ]
        return message

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        audit.log_staff_action(request.user, "add", obj, municipality=municipality_id_of(obj))
        return entry

    def log_change(self, request, obj, message):
        return self.log_named_change(request, obj, message, "change")

    def log_named_change(self, request, obj, message, action: str):
        """log_change for a change with a name of its own in the staff log (publish, archive, …)."""
        entry = super().log_change(request, obj, message)
        audit.log_staff_action(
            request.user, action, obj, municipality=municipality_id_of(obj), detail=entry.get_change_message()
        )
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            audit.log_staff_action(request.user, "delete", obj, municipality=municipality_id_of(obj))
        return entries


