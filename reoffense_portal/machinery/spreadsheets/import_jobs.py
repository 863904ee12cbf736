"""Spreadsheet imports as jobs: the preview (read the file, check every row, dry run) and the apply
(write every row, all or nothing), each run by the worker, never in a web request.

The request that receives a file stores it through Django's storage API (`store_upload`), so that
the worker may run on another machine, and starts the preview; the confirmation starts the apply.
Both jobs run the model admin's own import (its resources, formats, permissions and logs) for the
user who started them, as the admin's import page did in the request: `worker_request` stands in
for the request, with the user alone. The apply checks the user's permission again, and the
resource reads only the user's municipalities, row by row, as before.

A job's result (JSON) is what its page shows: the preview's counts, its first PREVIEW_ROWS changed
rows and first PREVIEW_MESSAGES problems (saying how many more there are), never every row of a
file of 100,000.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from import_export.results import RowResult
from import_export.signals import post_import

from reoffense_portal.machinery.jobs.queue import JobError, job_task

from .files import ImportFileError
from .resources import CONFIRMED, CREATION, PREVIEW_ROWS, RENAME

logger = logging.getLogger(__name__)

PREVIEW_KIND = "import_preview"
APPLY_KIND = "import_apply"
UPLOAD_FOLDER = "imports"
PREVIEW_MESSAGES = 1_000  # problems the preview lists
REFUSAL_MESSAGES = 30  # problems a refused apply names in its reason
RECORDING = "記録"  # the apply's last stage: the admin's history of the rows and the staff log

UNREADABLE = "ファイルを読み取れません。CSV（UTF-8またはShift_JIS）かExcel（.xlsx）のファイルを選んでください。"
REREAD = "取り込むファイルを読み直せませんでした。もう一度ファイルを選んでプレビューからやり直してください。何も保存されていません。"
TOO_MANY_CONFIRMATIONS = (
    "このファイルでは新しく作られる項目・名前が変わる項目が{count:,}件あり、一度に確認できる{limit:,}件を超えています。"
    "先に担当課や関係機関・団体を登録するか、ファイルを分けて取り込んでください。何も保存されていません。"
)
NOT_ALLOWED = "この取り込みを行う権限がありません。何も保存されていません。"
# Keyword arguments of the resources that an extra field of a form must never set.
RESERVED_OPTIONS = {"user", "open_data"}
# What a browser posts with every form, never an option of the import.
POSTED_ALWAYS = {"csrfmiddlewaretoken", "confirm"}


def extra_fields(form, known) -> dict:
    """What an import's form holds beyond the import's own fields, for the resource's keyword arguments.

    Fields the form declares, cleaned (as JSON: a date becomes its ISO text); fields posted without a
    declaration (e.g. ticks a preview template adds to the confirm form), each as its list of values.
    """
    extra = {name: value for name, value in form.cleaned_data.items() if name not in known}
    for name in form.data:
        if name not in form.fields and name not in known and name not in POSTED_ALWAYS:
            extra[name] = form.data.getlist(name)
    extra = {name: value for name, value in extra.items() if name not in RESERVED_OPTIONS}
    return json.loads(json.dumps(extra, cls=DjangoJSONEncoder))


# -- the stored file ------------------------------------------------------------------------------


def store_upload(upload, extension: str) -> str:
    """Keep an uploaded file where every app server and worker reads it; its name is never the user's."""
    return default_storage.save(f"{UPLOAD_FOLDER}/{uuid.uuid4().hex}.{extension}", upload)


def remove_upload(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("Stored import %s could not be removed", name, exc_info=True)


def remove_stale_uploads() -> int:
    """Files of previews never confirmed (or of killed workers), once their jobs have left staff's list."""
    limit = timezone.now() - timedelta(days=settings.JOBS_KEEP_DAYS)
    try:
        _folders, names = default_storage.listdir(UPLOAD_FOLDER)
    except (OSError, NotImplementedError):
        return 0
    removed = 0
    for name in names:
        path = f"{UPLOAD_FOLDER}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
                removed += 1
        except (OSError, NotImplementedError):
            continue
    return removed


# -- the admin, in the worker ----------------------------------------------------------------------


def worker_request(user) -> HttpRequest:
    """What the admin's import methods read of a request: the user (permissions, scope, logs)."""
    request = HttpRequest()
    request.method = "POST"
    request.user = user
    return request


def import_urls(model_admin) -> dict:
    info = model_admin.get_model_info()
    site = model_admin.admin_site.name
    return {
        "import": reverse("admin:%s_%s_import" % info, current_app=site),
        "confirm": reverse("admin:%s_%s_process_import" % info, current_app=site),
        "changelist": reverse("admin:%s_%s_changelist" % info, current_app=site),
    }


def model_admin_for(job, params):
    """The model admin of the import and a request of the job's owner, whose permission is checked again."""
    model_admin = admin.site.get_model_admin(apps.get_model(params["model"]))
    user = job.owner
    if user is None or not user.is_active:
        raise JobError(NOT_ALLOWED)
    request = worker_request(user)
    if not model_admin.has_import_permission(request):
        raise JobError(NOT_ALLOWED)
    return model_admin, request


def read_dataset(job, model_admin, params):
    """The stored file's rows, read one at a time with the progress bar moving (ImportFileError in Japanese)."""
    try:
        with default_storage.open(params["file"], "rb") as stored:
            data = stored.read()
    except OSError:
        raise JobError(REREAD) from None
    input_format = model_admin.get_import_formats()[params["format"]]()
    try:
        return input_format.create_dataset(data, report=job.report)
    except ImportFileError:
        raise
    except Exception as e:  # a reader's own errors on a file that is not what it claims
        logger.warning("Import of %r unreadable", params["file_name"], exc_info=e)
        raise ImportFileError(UNREADABLE) from e


def resource_for(model_admin, request, params):
    """The chosen resource, given the import's options (extra fields of its forms) and the user."""
    resource_class = model_admin.get_import_resource_classes(request)[params["resource"]]
    kwargs = {**params.get("options", {}), **model_admin.get_import_resource_kwargs(request)}
    return resource_class(**kwargs)


def run_import(job, model_admin, request, params, dataset, dry_run):
    resource = resource_for(model_admin, request, params)
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        file_name=params["file_name"],
        user=request.user,
        report=job.report,
        retain_instance_in_row_result=not dry_run,  # the admin's history of each row written
        **model_admin.get_import_data_kwargs(request=request),
    )
    return resource, result


# -- what the pages show -----------------------------------------------------------------------------


# The preview's lists of rows, apart: 新規, 変更 (and 削除, which no sheet of the portal does yet).
ROW_SECTIONS = (
    (RowResult.IMPORT_TYPE_NEW, "新規"),
    (RowResult.IMPORT_TYPE_UPDATE, "変更"),
    (RowResult.IMPORT_TYPE_DELETE, "削除"),
)


def preview_of(result, resource) -> dict:
    """The preview as JSON: the counts; the new and the changed rows apart, up to PREVIEW_ROWS each; the
    related items the rows would create or rename, each to be ticked (Confirmation); the problems up
    to PREVIEW_MESSAGES.

    Cells are stored as the HTML the preview shows (escaped here; a changed cell of an update in <ins>,
    a renamed area's or measure's title as <del>old</del> → <ins>new</ins>).
    """
    lines = resource.line_numbers
    sections = {kind: {"type": kind, "title": title, "rows": [], "count": 0} for kind, title in ROW_SECTIONS}
    for index, row in enumerate(result.rows):
        section = sections.get(row.import_type)
        if section is None:
            continue
        section["count"] += 1
        if len(section["rows"]) < PREVIEW_ROWS:
            section["rows"].append({
                "type": row.import_type,
                "line": lines[index] if index < len(lines) else index + 2,
                "cells": [str(conditional_escape(cell)) for cell in row.diff or []],
            })
    for section in sections.values():
        section["not_shown"] = section["count"] - len(section["rows"])
    confirmations = [item.as_json() for item in getattr(resource, "confirmations", {}).values()]
    messages = [str(message) for message in result.messages()]
    if result.has_errors():
        problem = "errors"
    elif result.has_validation_errors():
        problem = "invalid"
    else:
        problem = ""
    if len(confirmations) > PREVIEW_MESSAGES:  # more than one page can list, so more than anyone can tick
        problem = problem or "invalid"
        messages.insert(0, TOO_MANY_CONFIRMATIONS.format(count=len(confirmations), limit=PREVIEW_MESSAGES))
    return {
        "ready": not problem,
        "summary": result.summary(),
        "totals": counts(result),
        "headers": [str(header) for header in result.diff_headers],
        "sections": [section for section in sections.values() if section["count"]],
        "creations": [item for item in confirmations if item["kind"] == CREATION][:PREVIEW_MESSAGES],
        "renames": [item for item in confirmations if item["kind"] == RENAME][:PREVIEW_MESSAGES],
        "problem": problem,
        "invalid_rows": len(result.invalid_rows),
        "messages": messages[:PREVIEW_MESSAGES],
        "messages_not_shown": max(0, len(messages) - PREVIEW_MESSAGES),
    }


def unticked(preview: dict, posted) -> list[dict]:
    """The related items a preview lists that the confirmation leaves unticked (none may be)."""
    ticked = {kind: set(posted.getlist(name)) for kind, name in CONFIRMED.items()}
    return [
        item for item in (*preview.get("creations", ()), *preview.get("renames", ()))
        if item["key"] not in ticked[item["kind"]]
    ]


def confirmed_options(preview: dict, posted) -> dict:
    """The apply's resource's ticks: exactly the listed items the user ticked, whatever else was posted."""
    listed = {item["key"] for item in (*preview.get("creations", ()), *preview.get("renames", ()))}
    return {name: [key for key in posted.getlist(name) if key in listed] for name in CONFIRMED.values()}


def counts(result) -> dict:
    return {kind: result.totals[kind] for kind in ("new", "update", "delete", "skip")}


def related_summary(resource) -> str:
    """「、新しく作った関連項目 1件、名前を変えた項目 1件」 of an apply, or ""."""
    items = list(getattr(resource, "confirmations", {}).values())
    created = sum(item.kind == CREATION for item in items)
    renamed = sum(item.kind == RENAME for item in items)
    return (f"、新しく作った関連項目 {created}件" if created else "") + (f"、名前を変えた項目 {renamed}件" if renamed else "")


def refusal(result) -> str:
    """Why a confirmed import wrote nothing: what changed since the preview, with the first problems."""
    messages = [str(message) for message in result.messages()]
    lines = [
        "取り込みを中止しました。何も保存されていません。",
        "プレビューのあとで登録されている内容が変わり、次の誤りが見つかりました。"
        "ファイルを直して、もう一度プレビューからやり直してください。",
        *messages[:REFUSAL_MESSAGES],
    ]
    if len(messages) > REFUSAL_MESSAGES:
        lines.append(f"ほかに{len(messages) - REFUSAL_MESSAGES:,}件の誤りがあります。")
    return "\n".join(lines)


# -- the jobs ------------------------------------------------------------------------------------------


@job_task
def preview_import(job, params: dict):
    """Read the stored file and check every row in a dry run; keep the preview for the job's page.

    A preview that found problems (or a file that cannot be read) removes the file: only a clean
    preview can be confirmed.
    """
    remove_stale_uploads()
    model_admin, request = model_admin_for(job, params)
    stored = {"import": params, "urls": import_urls(model_admin)}
    try:
        dataset = read_dataset(job, model_admin, params)
    except ImportFileError as e:
        remove_upload(params["file"])
        job.stage = "読み込めません"
        return {**stored, "ready": False, "file_error": str(e)}
    resource, result = run_import(job, model_admin, request, params, dataset, dry_run=True)
    preview = preview_of(result, resource)
    if not preview["ready"]:
        remove_upload(params["file"])
    job.done = job.total = len(dataset)
    job.stage = "確認済み" if preview["ready"] else "誤りあり"  # what the list of jobs says of it
    return {**stored, **preview}


@job_task
def apply_import(job, params: dict):
    """Write every row of a previewed file in one transaction, with its history, or nothing.

    Rows found wrong now (the data changed since the preview) roll everything back and fail the job
    with the reasons. The job is marked done inside the transaction of the rows: a worker killed before
    the commit leaves neither, and the job is then marked failed (JobQuerySet.reap_stale).
    """
    try:
        model_admin, request = model_admin_for(job, params)
        try:
            dataset = read_dataset(job, model_admin, params)
        except ImportFileError:
            raise JobError(REREAD) from None
        urls = import_urls(model_admin)
        with transaction.atomic():
            resource, result = run_import(job, model_admin, request, params, dataset, dry_run=False)
            if not result.has_problems():
                job.report(job.done, job.total, RECORDING)
                model_admin.generate_log_entries(result, request)
                model_admin.log_import(request, "import", result)
                outcome = {
                    "import": params,
                    "urls": urls,
                    "message": f"{model_admin.model._meta.verbose_name_plural}を取り込みました"
                               f"（{result.summary()}{related_summary(resource)}）。",
                    "summary": result.summary(),
                    "totals": counts(result),
                }
                job.done, job.total, job.stage = len(dataset), len(dataset), "書き込み済み"
                job.succeed(outcome)
        if result.has_problems():
            model_admin.log_import(request, "import_refused", result)
            raise JobError(refusal(result))
        post_import.send(sender=None, model=model_admin.model)
        return outcome
    finally:
        remove_upload(params["file"])
