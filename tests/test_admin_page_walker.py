# ruff: noqa: F811 (pytest fixtures imported from tests.admin_walker)
"""What staff post beside the admin's forms, walked as each role: delete pages, history reverts, change-list
actions and the panel forms of a change page (the publishing panel). No server error, every refusal in Japanese;
each test fails when a registered model (an action, a panel form) was walked by no role.
"""

from __future__ import annotations

import time
from collections import defaultdict

import pytest
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from tests.admin_walker import (  # noqa: F401 (fixtures)
    ROLES,
    Coverage,
    Walker,
    admin_url,
    consultation,
    names_of,
    panel_posts,
    published_world,
    report,
    request_of,
    rows_for,
    typed,
    walk_actions,
    walk_delete,
    walk_history,
    walk_test,
    world,
)
from tests.form_walker import BrowserForm

pytestmark = pytest.mark.django_db


def test_every_delete_page_opened_and_confirmed_as_each_role_never_fails(client, published_world):
    """On the world with published plans: deleting a plan deletes its versions, their pages and files too."""
    started, coverage, world = time.perf_counter(), Coverage(), published_world
    problems = walk_test(client, world, walk_delete, coverage)
    report("delete pages", coverage, started)
    assert not problems, "\n".join(problems)
    superuser = request_of(world["superuser"])
    deletable = {m._meta.label for m, ma in admin.site._registry.items() if ma.has_delete_permission(superuser)}
    assert deletable <= {model for model, kind, _ in coverage.posts if kind == "delete"}


def test_every_history_revert_form_posted_as_each_role_never_fails(client, world):
    started, coverage = time.perf_counter(), Coverage()
    for model in {m for m, ma in admin.site._registry.items() if isinstance(ma, SimpleHistoryAdmin)}:
        for row in model._default_manager.all():  # a second version of every row: 「この版に戻す」 changes something
            row.save()
    problems = walk_test(client, world, walk_history, coverage)
    report("history revert forms", coverage, started)
    assert not problems, "\n".join(problems)
    with_history = {m._meta.label for m, ma in admin.site._registry.items() if isinstance(ma, SimpleHistoryAdmin)}
    assert with_history <= {model for model, kind, _ in coverage.posts if kind == "revert"}


def test_every_changelist_action_posted_as_each_role_never_fails(client, published_world):
    started, coverage, world = time.perf_counter(), Coverage(), published_world
    problems = walk_test(client, world, walk_actions, coverage)
    report("change list actions", coverage, started)
    assert not problems, "\n".join(problems)
    superuser = request_of(world["superuser"])
    actions = {
        (model._meta.label, f"action {name}")
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.get_actions(superuser)
    }
    assert actions <= {(model, kind) for model, kind, _ in coverage.posts}


def test_every_panel_form_of_a_change_page_posted_as_each_role_never_fails(client, published_world):
    """The forms of a change page beside the object's own: the plan's 承認申請, 承認／公開予約／差し戻し and
    公開終了, a comment period's 結果を公表する. Posted as shown; each form shown to one role is also sent
    by hand by the roles it is not shown to, on the rows they write and read, and must be refused."""
    started, coverage, problems = time.perf_counter(), Coverage(), []
    shown = defaultdict(dict)  # model → {form id: (form, its address with the row's id as {pk})}
    pages = {}  # (role, model, row) → the change page as it opened (every post is rolled back)
    world = published_world
    registry = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
    for role in ROLES:
        client.force_login(world[role])
        for model, model_admin in registry:
            walker = Walker(client, role, model, coverage)
            for row in rows_for(model_admin, world[role]):
                if row is None:
                    continue
                form_id = f"{model._meta.model_name}_form"
                response = client.get(admin_url(model, "change", row.pk))
                if response.status_code != 200:
                    continue
                pages[(role, model, row.pk)] = page = response.content.decode()
                for form in BrowserForm.posted_forms(page):
                    if form.form_id == form_id or not form.action:
                        continue
                    shown[model].setdefault(form.form_id, (form, form.action.replace(f"/{row.pk}/", "/{pk}/")))
                    for what, body in panel_posts(form):
                        walker.send(form.action, body, f"panel {form.form_id}", what, typed=names_of(row, world[role]))
            problems += walker.problems
    for role in ROLES:  # sent by hand where not shown
        client.force_login(world[role])
        for model, model_admin in registry:
            walker = Walker(client, role, model, coverage)
            for row in rows_for(model_admin, world[role]):
                if row is None:
                    continue
                page = pages.get((role, model, row.pk), "")
                for form_id, (form, action) in shown[model].items():
                    if f'id="{form_id}"' in page:
                        continue
                    for what, body in panel_posts(form):
                        walker.send(action.format(pk=row.pk), body, f"panel {form_id} (not shown)", what,
                                    expect_refusal=True, typed=names_of(row, world[role]))
            problems += walker.problems
    report("panel forms", coverage, started)
    assert not problems, "\n".join(problems)
    panels = {(model._meta.label, form_id) for model, forms in shown.items() for form_id in forms}
    expected = {("plans.Plan", "submit-form"), ("plans.Plan", "decide-form"), ("plans.Plan", "end-form"),
                ("consultation.CommentPeriod", "publish-result-form")}
    assert expected <= panels

