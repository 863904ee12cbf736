"""Signal handlers that keep derived facts right wherever a change comes from
(admin forms, the yearly progress screen, bulk actions, imports, the shell).

- 更新日: residents see a plan's last update, so any change to a row below a
  plan (area, measure, programme, progress, indicator value, council,
  meeting, …) moves Plan.updated_at. plans never imports measures or
  councils: a model counts as "below a plan" when its scoped queryset reaches
  the municipality through a plan (municipality_path ending in
  "plan__municipality").
- Roles: a StaffMembership puts its user into the permission group of its
  role (編集者 or 公開責任者) and lets the user into the admin.
- Loading (loaddata, restore): rows are saved raw and change nothing else.
  Django then sets each loaded row's many-to-many fields, which sends
  m2m_changed without a raw flag; so a raw save marks its row, and neither
  simple-history (a version with no user per row) nor 更新日 react to it.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from reoffense_portal.machinery.scoping.plan_paths import plan_id_of, plan_path
from reoffense_portal.machinery.spreadsheets.bulk import rows_saved_in_bulk

from .models import Plan, StaffMembership
from .roles import EDITOR_GROUP, PUBLISHER_GROUP


@receiver(pre_save, dispatch_uid="plans_mark_loaded_rows")
def mark_loaded_rows(sender, instance, raw=False, **kwargs):
    """A row saved raw is being loaded: its many-to-many fields, set next, are loaded too."""
    if raw:
        instance.loaded_raw = True
        instance.skip_history_when_saving = True  # simple-history's switch, read by its m2m_changed


@receiver(post_save, dispatch_uid="plans_touch_plan_on_save")
@receiver(post_delete, dispatch_uid="plans_touch_plan_on_delete")
def touch_plan(sender, instance, raw=False, **kwargs):
    if raw or plan_path(sender) is None:
        return
    Plan.touch(plan_id_of(instance))


@receiver(rows_saved_in_bulk, dispatch_uid="plans_touch_plans_on_bulk_save")
def touch_plans_on_bulk_save(sender, instances, **kwargs):
    """An import saves its rows in batches, which sends no post_save: their plans move here."""
    if plan_path(sender) is None:
        return
    for plan_id in {plan_id_of(instance) for instance in instances}:
        Plan.touch(plan_id)


@receiver(m2m_changed, dispatch_uid="plans_touch_plan_on_m2m")
def touch_plan_on_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or getattr(instance, "loaded_raw", False):
        return
    if not reverse:
        if plan_path(type(instance)) is not None:
            Plan.touch(plan_id_of(instance))
        return
    path = plan_path(model)
    if path is not None and pk_set:
        plan_ids = model._default_manager.filter(pk__in=pk_set).values_list(
            "__".join(path), flat=True
        )
        for plan_id in set(plan_ids):
            Plan.touch(plan_id)


@receiver(post_save, sender=StaffMembership, dispatch_uid="plans_membership_saved")
@receiver(post_delete, sender=StaffMembership, dispatch_uid="plans_membership_deleted")
def sync_staff_groups(sender, instance, raw=False, **kwargs):
    """The user's groups follow their memberships: 編集者 with any, 公開責任者 with a publisher one."""
    origin = kwargs.get("origin")
    origin_model = origin.model if isinstance(origin, QuerySet) else type(origin)
    if raw or origin_model is get_user_model():
        return  # fixtures, or the user is being deleted with their memberships
    user = instance.user
    roles = set(StaffMembership.objects.filter(user=user).values_list("role", flat=True))
    editor, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    publisher, _ = Group.objects.get_or_create(name=PUBLISHER_GROUP)
    if roles:
        user.groups.add(editor)
    else:
        user.groups.remove(editor)
    if StaffMembership.Role.PUBLISHER in roles:
        user.groups.add(publisher)
    else:
        user.groups.remove(publisher)
    if bool(roles) != user.is_staff and not user.is_superuser:
        user.is_staff = bool(roles)
        user.save(update_fields=["is_staff"])
