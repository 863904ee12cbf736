# ruff: noqa: F811 (pytest fixtures imported from tests.admin_walker)
"""Every admin form, posted as staff fill it: no server error, and every refusal in Japanese.

For each model of the admin site's registry (a model registered later is walked without a change
here) and each role (a city's 編集者 and 公開責任者, a prefecture's 編集者, a superuser), the walker
opens the add form and the change form of a row the role writes (and of a row it only reads) and
posts what a browser would send, read from the page's HTML (tests/form_walker.py):

1. the form as it opens (defaults left as they are);
2. on an add form, every text box filled and every autocomplete given its first choice, the selects
   left as they are;
3. for each inline group, the form with one row added by 「追加」 and the row's boxes filled;
4. each field left blank in turn (every box, every choice with 「---------」, every ticked box),
   of the object's form and of each inline group's first row;
5. on a form the role only reads, the form as it is: refused with a Japanese page.

1 and 5 are posted as every role. What would only repeat a post is left out: 2 when another role's
form filled the same way was posted, 3 when another role's form offered the same choices, and 4
once per field of a model (change forms first, so fields are blanked on real rows).

Each post is rolled back, so each starts from the same rows. A post may save (a redirect) or be
refused; a refusal must show at least one message, every message in Japanese, without an English
word or a field's English name. Any exception is reported with the post that raised it. With
`pytest -s` the test prints what it walked: models, forms and roles, and the number of posts.

Four more tests walk what staff post beside these forms (tests/test_admin_page_walker.py): delete
pages, history reverts, change-list actions and the panel forms of a change page. The walker itself is
tests/admin_walker.py.
"""

from __future__ import annotations

import time
from collections import defaultdict

import pytest
from django.contrib import admin

from tests.admin_walker import (  # noqa: F401 (fixtures)
    ROLES,
    Coverage,
    Walker,
    walk_model,
    world,
)

pytestmark = pytest.mark.django_db


def test_every_admin_form_posted_as_each_role_fills_it_never_fails_and_refuses_in_japanese(client, world):
    started, cpu = time.perf_counter(), time.process_time()
    coverage, problems = Coverage(), []
    seen = defaultdict(set)  # per model, what its walks posted already (the module's docstring)
    for role in ROLES:
        user = world[role]
        client.force_login(user)
        for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
            walker = Walker(client, role, model, coverage)
            walk_model(walker, model_admin, user, seen[model])
            problems += walker.problems
    print(f"\nform walker: {coverage.summary()}\n"
          f"{time.perf_counter() - started:.1f} s ({time.process_time() - cpu:.1f} s of processor time)")
    assert not problems, "\n".join(problems)
    assert {model._meta.label for model in admin.site._registry} == {model for model, _ in coverage.opened}
    # Staff's list of their jobs (処理の状況) has no form: jobs are started by the screens that need them.
    has_forms = {model._meta.label for model in admin.site._registry} - {"jobs.Job"}
    assert has_forms == {model for model, _, _ in coverage.posts}

