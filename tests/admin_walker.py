"""The admin walker: what staff post, read from the page as a browser would, walked as each role.

The tests that use it are tests/test_admin_form_walker.py (add and change forms) and
tests/test_admin_page_walker.py (delete pages, history reverts, change-list actions, panel forms).
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from measures.models import EvaluationScale
from plans.models import Plan, StaffMembership
from reoffense_portal.composition.consultation.models import Comment, Commenter, CommentPeriod, CommentResponse
from reoffense_portal.composition.publishing import workflow
from reoffense_portal.composition.publishing.models import ApprovalRequest
from reoffense_portal.machinery.scoping.querysets import scoped
from tests.form_walker import JAPANESE, BrowserForm, Control, not_japanese, page_messages, refusal_messages
from tests.staff_world import make_prefecture_world, make_user

ROLES = ("editor", "publisher", "prefecture", "superuser")

# -- the world ---------------------------------------------------------------------------------


def consultation(city, today):
    """A comment period open now on the city's draft, a comment with its commenter, and an answer."""
    period = CommentPeriod.objects.create(
        plan=city.plan, starts_on=today - datetime.timedelta(days=5), ends_on=today + datetime.timedelta(days=20),
        explanation="趣旨", rules="郵送でも受け付けます。", proposal_title=f"{city.plan.title}（案）",
        sections=["計画全体", "就労支援"],
    )
    comment = Comment.objects.create(period=period, section="計画全体", opinion="就労支援を充実してください。",
                                     consents_to_publication=True)
    Commenter.objects.create(comment=comment, name="提出者", address="住所")
    response = CommentResponse.objects.create(period=period, order=1, section="計画全体", summary="概要",
                                              city_view="考え方", reflection="reference")
    response.comments.add(comment)


@pytest.fixture
def world():
    """熊本県 (its own rows and staff), its city 熊本市 (A), 山口市 (B); a row of every registered model."""
    prefecture, city_a, city_b = make_prefecture_world(duties=True)
    today = timezone.localdate()
    for city in (prefecture, city_a):
        EvaluationScale.objects.create(plan=city.plan, label_a="達成", label_b="概ね達成", label_c="一部", label_d="未達成")
        consultation(city, today)
    workflow.submit(city_a.plan, city_a.editor, "課題を追加しました。")
    AccessAttempt.objects.create(username="editor-a", ip_address="192.0.2.1", user_agent="Firefox",
                                 http_accept="*/*", path_info="/admin/login/", get_data="", post_data="",
                                 failures_since_start=1)
    AccessLog.objects.create(username="editor-a", ip_address="192.0.2.1", user_agent="Firefox",
                             http_accept="*/*", path_info="/admin/login/")
    AccessFailureLog.objects.create(username="editor-a", ip_address="192.0.2.1", user_agent="Firefox",
                                    http_accept="*/*", path_info="/admin/login/", locked_out=False)
    return {
        "editor": city_a.editor,
        "publisher": city_a.publisher,
        "prefecture": prefecture.editor,
        "superuser": make_user("root", is_staff=True, is_superuser=True),
    }


# -- typing into a form -------------------------------------------------------------------------


def typed(control: Control, serial: int) -> str:
    """What staff type into an empty box of this kind (a number, a date, a year, a time, an address, a word)."""
    name = control.name.rsplit("-", 1)[-1]
    if control.kind == "number" or control.attrs.get("inputmode") in ("numeric", "decimal"):
        low = control.attrs.get("min")
        return str(max(int(float(low)), 1)) if low not in (None, "") else "1"
    if control.kind == "email":
        return f"walker{serial}@example.jp"
    if control.kind == "url" or "vURLField" in control.classes:
        return "https://www.example.jp/"
    if "vDateField" in control.classes:
        return "2024/4/1"
    if "vTimeField" in control.classes:
        return "10:00"
    if name == "year" or name.endswith("_year"):
        return "2024"
    if control.kind in ("password",):
        return "walker-password-2026"
    text = f"歩行{serial}"
    limit = control.attrs.get("maxlength")
    return text[: int(limit)] if limit and limit.isdigit() else text


def fill(walker: Walker, controls: list[Control]) -> None:
    """Every empty box filled; every empty single autocomplete given its first choice; selects left as they are."""
    serial = 0
    for control in controls:
        if control.disabled:
            continue
        if control.tag == "textarea" or (control.tag == "input" and control.kind not in (
            "hidden", "checkbox", "radio", "file", "submit", "button", "image", "reset"
        )):
            if control.value == "":
                serial += 1
                control.value = typed(control, serial)
        elif control.kind == "select" and "admin-autocomplete" in control.classes and control.posted() in ([], [""]):
            choice = walker.first_choice(control)
            if choice is not None:
                control.options = [(choice, True)]


def blanked(control: Control) -> Control:
    """The control as a user leaves it empty."""
    if control.kind == "select":
        options = [(value, value == "") for value, _ in control.options]
        return Control(control.tag, control.name, control.kind, options=options, attrs=control.attrs)
    if control.kind == "select-multiple":
        return Control(control.tag, control.name, control.kind, options=[(v, False) for v, _ in control.options])
    if control.kind == "checkbox":
        return Control(control.tag, control.name, control.kind, control.value, checked=False)
    return Control(control.tag, control.name, control.kind, "", attrs=control.attrs, classes=control.classes)


def with_control(form: BrowserForm, replacement: Control) -> BrowserForm:
    return BrowserForm([replacement if c.name == replacement.name else c for c in form.controls])


def copy(form: BrowserForm) -> BrowserForm:
    return BrowserForm([
        Control(c.tag, c.name, c.kind, c.value, c.checked, c.disabled, c.classes, {**c.attrs}, [*c.options])
        for c in form.controls
    ])


# -- the walker ----------------------------------------------------------------------------------


@dataclass
class Coverage:
    """What the walker opened and posted: (model, role) → pages opened, (model, form, role) → posts."""

    opened: Counter = field(default_factory=Counter)
    posts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        forms = {(model, form) for model, form, _role in self.posts}
        lines = [
            f"{len({model for model, _ in self.opened})} models opened, {len(forms)} forms posted "
            f"as {len(self.posts)} (model, form, role), {sum(self.posts.values())} posts"
        ]
        lines += [f"  {model} {form} {role}: {posts}" for (model, form, role), posts in sorted(self.posts.items())]
        return "\n".join(lines)


@dataclass
class Walker:
    client: object
    role: str
    model: type
    coverage: Coverage
    problems: list[str] = field(default_factory=list)
    _choices: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.model._meta.label

    def first_choice(self, control: Control) -> str | None:
        """What a user picks first in an autocomplete box after opening it (the endpoint's first answer)."""
        url = control.attrs.get("data-ajax--url")
        key = (url, control.attrs.get("data-field-name"))
        if url and key not in self._choices:
            params = {
                "app_label": control.attrs.get("data-app-label"),
                "model_name": control.attrs.get("data-model-name"),
                "field_name": control.attrs.get("data-field-name"),
                "term": "",
            }
            joiner = "&" if "?" in url else "?"
            response = self.client.get(f"{url}{joiner}{urlencode(params)}")
            results = response.json().get("results", []) if response.status_code == 200 else []
            self._choices[key] = results[0]["id"] if results else None
        return self._choices.get(key)

    def open(self, url: str, what: str, form_id: str | None = None) -> BrowserForm | None:
        self.coverage.opened[(self.label, self.role)] += 1
        try:
            response = self.client.get(url)
        except Exception as error:  # noqa: BLE001 (every failure is reported with the page that raised it)
            self.problems.append(f"{what}: GET {url}: {type(error).__name__}: {error}")
            return None
        if response.status_code != 200:
            if response.status_code not in (302, 403):
                self.problems.append(f"{what}: GET {url} answered {response.status_code}")
            return None
        return BrowserForm.from_html(response.content.decode(), form_id or f"{self.model._meta.model_name}_form")

    def post(self, url: str, form: BrowserForm, form_kind: str, what: str, expect_refusal: bool = False):
        self.coverage.posts[(self.label, form_kind, self.role)] += 1
        try:
            with transaction.atomic():
                response = self.client.post(url, form.data())
                transaction.set_rollback(True)
        except Exception as error:  # noqa: BLE001
            self.problems.append(f"{self.label} {form_kind} ({self.role}) {what}: 500 {type(error).__name__}: {error}")
            return None
        self.judge(response, f"{self.label} {form_kind} ({self.role}) {what}", expect_refusal)
        return response

    def judge(self, response, where: str, expect_refusal: bool) -> None:
        status = response.status_code
        body = response.content.decode(errors="replace")
        if status == 302 and not expect_refusal:
            return
        if status == 403:
            if not JAPANESE.search(body) or "Forbidden" in body:
                self.problems.append(f"{where}: 403 without a Japanese page: {body[:120]!r}")
            return
        if status != 200 or expect_refusal:
            self.problems.append(f"{where}: answered {status}")
            return
        messages = refusal_messages(body)
        if not messages:
            self.problems.append(f"{where}: refused without a message")
        names = {f.name for f in self.model._meta.get_fields()}
        for message in messages:
            found = not_japanese(message, names)
            if found:
                self.problems.append(f"{where}: 「{message}」: {'、'.join(found)}")

    # -- the walks --------------------------------------------------------------------------

    def walk(self, url: str, form_kind: str, base: BrowserForm, *, fill_main: bool, add_rows: bool, seen: set) -> None:
        """Defaults; on an add form also filled in; with a row added to each inline group; each field blanked.

        `seen`, shared by the roles' walks of a model, holds what was posted already (the module's docstring).
        """
        self.post(url, base, form_kind, "defaults")
        if fill_main:
            base = copy(base)
            fill(self, base.main_controls())
            body = (form_kind, tuple(sorted(
                (name, tuple(values)) for name, values in base.data().items() if name != "csrfmiddlewaretoken"
            )))
            if body not in seen:  # another role's form, filled the same way, was posted already
                seen.add(body)
                self.post(url, base, form_kind, "filled")
        choices = (form_kind, tuple((c.name, tuple(c.options)) for c in base.controls if c.tag == "select"))
        if add_rows and choices not in seen:
            seen.add(choices)
            for prefix in base.inline_prefixes():
                with_row = copy(base)
                row = with_row.add_inline_row(prefix)
                if row:
                    fill(self, row)
                    self.post(url, with_row, form_kind, f"inline row: {prefix}")
        blankable = [c for c in base.main_controls() if c.may_be_blanked]
        for prefix in base.inline_prefixes():
            blankable += [c for c in base.row_controls(prefix, 0) if c.may_be_blanked]
        for control in blankable:
            if control.name not in seen:
                seen.add(control.name)
                self.post(url, with_control(base, blanked(control)), form_kind, f"blank: {control.name}")

    def walk_read_only(self, url: str, base: BrowserForm) -> None:
        self.post(url, base, "change (read)", "read-only", expect_refusal=True)

    def send(self, url: str, data: dict, form_kind: str, what: str, *, expect_refusal: bool = False,
             kept=None, typed=()):
        """POST `data` as a browser would, follow where it leads, judge the page reached; roll back.

        `kept`: a row that must still be there afterwards (a refused delete deletes nothing).
        `typed`: names of rows the page may quote (their str()), which are the users' words, not the portal's.
        """
        self.coverage.posts[(self.label, form_kind, self.role)] += 1
        where = f"{self.label} {form_kind} ({self.role}) {what}"
        try:
            with transaction.atomic():
                response = self.client.post(url, data, follow=True)
                survived = kept is None or type(kept)._default_manager.filter(pk=kept.pk).exists()
                transaction.set_rollback(True)
        except Exception as error:  # noqa: BLE001
            self.problems.append(f"{where}: 500 {type(error).__name__}: {error}")
            return None
        if not survived:
            self.problems.append(f"{where}: deleted a row the user may not delete")
        self.judge_reached(response, where, expect_refusal, typed)
        return response

    def judge_reached(self, response, where: str, expect_refusal: bool, typed=()) -> None:
        """The page a post led to: a Japanese refusal page, or a page whose every message is in Japanese."""
        status = response.status_code
        body = response.content.decode(errors="replace")
        if status in (403, 404):
            if not JAPANESE.search(body) or "Forbidden" in body or "Not Found" in body:
                self.problems.append(f"{where}: {status} without a Japanese page: {body[:120]!r}")
            return
        if status != 200:
            self.problems.append(f"{where}: answered {status}")
            return
        if expect_refusal and not refusal_messages(body):
            self.problems.append(f"{where}: not refused, or refused without a message")
        names = {f.name for f in self.model._meta.get_fields()}
        for message in dict.fromkeys(page_messages(body) + refusal_messages(body)):
            found = not_japanese(message, names, typed)
            if found:
                self.problems.append(f"{where}: 「{message}」: {'、'.join(found)}")


def admin_url(model, name, *args) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)
    except NoReverseMatch:
        return None


def rows_for(model_admin, user):
    """(a row the user writes, a row the user only reads), either None when there is none."""
    request = RequestFactory().get("/admin/")
    request.user = user
    readable = model_admin.get_queryset(request).order_by("pk")
    writable = scoped(readable, user)
    written = writable.first()
    read_only = readable.exclude(pk__in=writable.values("pk")).first()
    return written, read_only


def walk_model(walker: Walker, model_admin, user, seen: set) -> None:
    """The change form of a row the user writes, of one they only read, and the add form."""
    model, label, role = walker.model, walker.model._meta.label, walker.role
    written, read_only = rows_for(model_admin, user)
    if written is not None:
        change_url = admin_url(model, "change", written.pk)
        form = walker.open(change_url, f"{label} change ({role})")
        if form is not None:
            if model_admin.has_change_permission(request_of(user), written):
                walker.walk(change_url, "change", form, fill_main=False, add_rows=True, seen=seen)
            else:
                walker.walk_read_only(change_url, form)
    if read_only is not None:
        change_url = admin_url(model, "change", read_only.pk)
        form = walker.open(change_url, f"{label} change of a row read only ({role})")
        if form is not None:
            walker.walk_read_only(change_url, form)
    add_url = admin_url(model, "add")
    form = walker.open(add_url, f"{label} add ({role})") if add_url else None
    if form is not None:
        walker.walk(add_url, "add", form, fill_main=True, add_rows=True, seen=seen)


def request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# -- deleting, reverting, bulk actions, the publishing panel --------------------------------------
#
# Beyond the add and change forms, staff post four more kinds of form in the admin; each is walked
# here as each role, on a row the role writes and on one it only reads, the way a browser posts it:
#
# - 削除: the delete confirmation page, opened and confirmed (「はい」);
# - 変更履歴: the history page, and the revert form of the row's first version (「この版に戻す」);
# - 操作: each bulk action of the change list on one ticked row, 削除 confirmed on its second page;
# - 公開: the plan's 承認申請, 承認／公開予約／差し戻し and 公開終了 forms, left as they open, filled,
#   and with the times a date box lets a user pick.
#
# A refused post must show a Japanese refusal (a 403 or 404 page, or an error message) and delete
# nothing; every message a page shows must be Japanese. Each test asserts that every registered
# model (every action, every panel form) was walked by at least one role, and prints its coverage.


# What a date-and-time box (<input type="datetime-local">) lets a user pick: nothing, a time to come, the
# earliest and the latest moment it offers.
MOMENTS = ("", "2099-04-01T09:00", "0001-01-01T00:00", "9999-12-31T23:59")


@pytest.fixture
def published_world(world):
    """The world with its plans approved once: 熊本市's live and awaiting approval of its next change,
    熊本県's live with nothing pending; 熊本市's comment period over, its result ready to publish."""
    city_publisher = StaffMembership.objects.get(user=world["publisher"]).user
    pending = ApprovalRequest.objects.pending().get()
    workflow.approve(pending, city_publisher)
    workflow.submit(pending.plan, world["editor"], "令和6年度の進捗を追加しました。")
    prefecture_plan = Plan.objects.for_user(world["prefecture"]).get()
    workflow.submit(prefecture_plan, world["prefecture"], "策定しました。")
    prefecture_publisher = StaffMembership.objects.get(
        municipality=prefecture_plan.municipality, role=StaffMembership.Role.PUBLISHER
    ).user
    workflow.approve(ApprovalRequest.objects.pending().get(plan=prefecture_plan), prefecture_publisher)
    today = timezone.localdate()
    CommentPeriod.objects.filter(plan=pending.plan).update(
        starts_on=today - datetime.timedelta(days=40), ends_on=today - datetime.timedelta(days=10)
    )
    return world


def walk_test(client, world, walk, coverage: Coverage) -> list[str]:
    """`walk(walker, model_admin, user)` for every registered model as each role; the problems found."""
    problems = []
    for role in ROLES:
        user = world[role]
        client.force_login(user)
        for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
            walker = Walker(client, role, model, coverage)
            walk(walker, model_admin, user)
            problems += walker.problems
    return problems


def report(name: str, coverage: Coverage, started: float) -> None:
    print(f"\n{name}: {coverage.summary()}\n{time.perf_counter() - started:.1f} s")


def names_of(*rows) -> tuple[str, ...]:
    return tuple(str(row) for row in rows if row is not None)


def walk_delete(walker: Walker, model_admin, user) -> None:
    """The delete page of a row the user writes (opened, confirmed) and of one they only read (refused)."""
    for row, read_only, kind in zip(rows_for(model_admin, user), (False, True), ("delete", "delete (read)"),
                                    strict=True):
        url = admin_url(walker.model, "delete", row.pk) if row is not None else None
        if url is None:
            continue
        walker.coverage.opened[(walker.label, walker.role)] += 1
        try:
            response = walker.client.get(url)
        except Exception as error:  # noqa: BLE001
            walker.problems.append(f"{walker.label} {kind} ({walker.role}): GET {url}: {type(error).__name__}: {error}")
            continue
        forms = BrowserForm.posted_forms(response.content.decode()) if response.status_code == 200 else []
        may_delete = model_admin.has_delete_permission(request_of(user), row)
        if forms and may_delete and not read_only:
            walker.send(url, forms[0].data(button=""), kind, "confirmed", typed=names_of(row, user))
        else:
            # A page that refuses (403), or says what stops the deletion and offers no 「はい」 (rows that
            # still need the row): the same post crafted by hand must delete nothing.
            walker.judge_reached(response, f"{walker.label} {kind} ({walker.role}) opened", expect_refusal=False,
                                 typed=names_of(row))
            walker.send(url, {"post": "yes"}, kind, "crafted", kept=row, typed=names_of(row, user))


def walk_history(walker: Walker, model_admin, user) -> None:
    """The history page and the revert form of the first version of a row the user writes (「この版に戻す」
    posted as it opens) and of one they only read (the form shows no button; posted anyway, refused)."""
    if not isinstance(model_admin, SimpleHistoryAdmin):
        return
    model = walker.model
    for row, read_only in zip(rows_for(model_admin, user), (False, True), strict=True):
        if row is None:
            continue
        kind = "revert (read)" if read_only else "revert"
        where = f"{walker.label} {kind} ({walker.role})"
        history = admin_url(model, "history", row.pk)
        walker.coverage.opened[(walker.label, walker.role)] += 1
        try:
            response = walker.client.get(history)
        except Exception as error:  # noqa: BLE001
            walker.problems.append(f"{where}: GET {history}: {type(error).__name__}: {error}")
            continue
        if response.status_code != 200:
            walker.judge_reached(response, f"{where} history page", expect_refusal=False)
            continue
        first = model.history.filter(**{model._meta.pk.attname: row.pk}).order_by("history_id").first()
        if first is None:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
                      args=[row.pk, first.history_id])
        form = walker.open(url, f"{where} form", form_id=f"{model.history.model._meta.model_name}_form")
        if form is None:
            continue
        if read_only or not model_admin.has_change_permission(request_of(user), row):
            walker.post(url, form, kind, "read-only", expect_refusal=True)
        else:
            walker.post(url, form, kind, "この版に戻す")


def walk_actions(walker: Walker, model_admin, user) -> None:
    """Each bulk action of the change list (「操作」) on one ticked row, as a browser posts the change list's
    form; 削除 confirmed on its page. On a row the user only reads, an action changes and deletes nothing."""
    changelist = admin_url(walker.model, "changelist")
    walker.coverage.opened[(walker.label, walker.role)] += 1
    response = walker.client.get(changelist)
    if response.status_code != 200:
        walker.judge_reached(response, f"{walker.label} change list ({walker.role})", expect_refusal=False)
        return
    page = BrowserForm.from_html(response.content.decode(), "changelist-form")
    chooser = page.named("action") if page is not None else None
    if chooser is None:
        return
    actions = [value for value, _ in chooser.options if value]
    for row, read_only in zip(rows_for(model_admin, user), (False, True), strict=True):
        if row is None:
            continue
        for action in actions:
            kind = f"action {action}" + (" (read)" if read_only else "")
            form = copy(page)
            form.named("action").options = [(value, value == action) for value, _ in chooser.options]
            for box in form.controls:
                if box.name == "_selected_action":
                    box.checked = box.value == str(row.pk)
            if not any(box.name == "_selected_action" and box.checked for box in form.controls):
                form.controls.append(Control("input", "_selected_action", "checkbox", str(row.pk), checked=True))
            data = form.data(button="index", value="0")
            typed = names_of(row, user)
            kept = row if read_only else None
            if action != "delete_selected":
                walker.send(changelist, data, kind, "on one row", kept=kept, typed=typed)
                continue
            walker.coverage.posts[(walker.label, kind, walker.role)] += 1
            try:
                confirmation = walker.client.post(changelist, data)
            except Exception as error:  # noqa: BLE001
                walker.problems.append(f"{walker.label} {kind} ({walker.role}): 500 {type(error).__name__}: {error}")
                continue
            forms = BrowserForm.posted_forms(confirmation.content.decode()) if confirmation.status_code == 200 else []
            if not forms:
                walker.judge_reached(confirmation, f"{walker.label} {kind} ({walker.role}) confirmation", False, typed)
                continue
            walker.send(changelist, forms[0].data(button=""), kind, "confirmed", kept=kept, typed=typed)


def panel_posts(form: BrowserForm):
    """(what, body) a user may send from a panel form: each button as the form opens, then with its boxes
    filled, then with each time a date-and-time box offers."""
    buttons = [c for c in form.controls if c.kind == "submit" and c.attrs.get("name")] or [None]
    filled = copy(form)
    for control in filled.controls:
        if control.kind in ("text", "textarea") and control.value == "":
            control.value = "確認しました。"
    moments = [c for c in form.controls if c.kind == "datetime-local"]
    for button in buttons:
        name, value = (button.name, button.value) if button else ("", "")
        label = f"{name}={value}" if button else "button"
        yield f"{label} as opened", form.data(button=name, value=value)
        yield f"{label} filled", filled.data(button=name, value=value)
        for box in moments:
            for moment in MOMENTS[1:]:
                yield f"{label} {box.name}={moment}", {**filled.data(button=name, value=value), box.name: [moment]}


