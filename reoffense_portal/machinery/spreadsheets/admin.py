"""Import and export on a staff admin page (django-import-export, in Japanese).

Mix `SpreadsheetAdminMixin` in first, before StaffHistoryAdmin, and name the
resources::

    class ProgramProgressAdmin(SpreadsheetAdminMixin, StaffHistoryAdmin):
        resource_classes = [ProgramProgressResource]

It adds: CSV (UTF-8 or CP932, detected) and XLSX both ways; the preview
(dry run) of rows to create, update and leave unchanged; per-row Japanese
errors; all-or-nothing imports recorded in the change history with the
user; exports of the user's municipalities only; blank templates with an
example row; and the permissions `import_<model>` / `export_<model>`
(settings IMPORT_EXPORT_IMPORT_PERMISSION_CODE / EXPORT_PERMISSION_CODE),
declared on the models and granted to the staff groups by plans/roles.py.

Imports run as jobs (reoffense_portal.machinery.spreadsheets.import_jobs): the request that
receives a file only checks the form, stores the file and starts the preview,
then shows the job's page; the preview's confirmation starts the apply job.
No request reads a file's rows, whatever its size.

A file larger than IMPORT_MAX_MB is refused by the form, before it is stored
or read; reoffense_portal.machinery.spreadsheets.files refuses the rest of what is too big (rows, an
XLSX's expanded size) in the preview job, before parsing rows. Filter parameters that the change
list cannot apply are dropped from an export page as the change list drops
them, never a server error.
"""

import logging
import re
from itertools import islice

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
from django.utils.timezone import localdate
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.forms import ExportForm, ImportForm

from reoffense_portal.machinery.audit import log_staff_action
from reoffense_portal.machinery.jobs.models import Job
from reoffense_portal.machinery.jobs.queue import start_job
from reoffense_portal.machinery.scoping.plan_paths import plan_path
from reoffense_portal.machinery.spreadsheets import import_jobs
from reoffense_portal.machinery.spreadsheets.files import FORMATS, ImportFileError, check_file_size

logger = logging.getLogger(__name__)

LOG_BATCH = 1_000  # LogEntry rows written at once
FORMAT_BY_EXTENSION = {fmt().get_extension(): fmt for fmt in FORMATS}
# Characters Windows and macOS refuse in a file name (a plan title may hold 「/」).
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


class SpreadsheetImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            check_file_size(upload.size)
        except ImportFileError as e:
            logger.warning("Import of %r refused: %s", upload.name, e)
            raise forms.ValidationError(str(e)) from None
        return upload


class ConfirmImportJobForm(forms.Form):
    """The confirmation of a finished preview: the preview's job; further fields go to the resource."""

    preview = forms.UUIDField(widget=forms.HiddenInput)


# The fields of the import's own forms; any other field is an option for the resource (import_jobs.extra_fields).
IMPORT_FORM_FIELDS = {"resource", "format", "import_file"}
CONFIRM_FORM_FIELDS = {"preview"}


UNTICKED = (
    "チェックのない項目があるため、取り込みませんでした。何も保存されていません。"
    "プレビューの「新しく作られる関連項目」「名前が変わる項目」は、すべてチェックを入れないと取り込めません。"
    "名前の誤りなら、ファイルを直して選び直してください。チェックのない項目："
)
UNTICKED_NAMED = 10  # unticked items the message names


def job_page(job) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))


class SpreadsheetAdminMixin(ImportExportMixin):
    import_template_name = "admin/import_export/portal_import.html"
    import_form_class = SpreadsheetImportForm
    confirm_form_class = ConfirmImportJobForm
    # Every column, always: an export is a file that import reads back.
    export_form_class = ExportForm
    import_error_display = ("message",)
    skip_import_confirm = False

    def init_change_list_template(self):
        """Keep a model's own change list template (e.g. the progress page's extra link) under the buttons."""
        if not getattr(self, "change_list_template", None):
            from django.template.loader import select_template

            opts = self.model._meta
            self.change_list_template = select_template([
                f"admin/{opts.app_label}/{opts.model_name}/change_list.html",
                f"admin/{opts.app_label}/change_list.html",
                "admin/change_list.html",
            ]).template.name
        super().init_change_list_template()

    @property
    def formats(self):
        return FORMATS

    @property
    def import_formats(self):
        return FORMATS

    @property
    def export_formats(self):
        return FORMATS

    def has_import_permission(self, request):
        """The explicit import permission, and the right to add and change the rows imported."""
        return (
            super().has_import_permission(request)
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def has_export_permission(self, request):
        return super().has_export_permission(request) and self.has_view_permission(request)

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        kwargs.pop("form", None)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def get_export_queryset(self, request):
        queryset = super().get_export_queryset(request)
        return queryset.filter(pk__in=self.model._default_manager.readable_by(request.user).values("pk"))

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        log_staff_action(request.user, "export", model=self.model._meta.label_lower, rows=len(data))
        return data

    def _create_log_entry(self, user_pk, rows, import_type, action_flag):
        """import-export's LogEntry per row written, in batches, from the ids a result keeps.

        Past its first rows a result keeps a row's id and name, not its object (SlimRow), so that
        100,000 objects are not held until the end; the entries are the ones log_actions writes.
        """
        if not rows:
            return
        content_type_id = ContentType.objects.get_for_model(self.model, for_concrete_model=False).id
        message = _("%s through import_export" % import_type)
        entries = (
            LogEntry(user_id=user_pk, content_type_id=sheet[0] if sheet else content_type_id, object_id=object_id,
                     object_repr=object_repr[:200], action_flag=action_flag, change_message=message)
            for object_id, object_repr, *sheet in rows  # (id, name[, the sheet's content type])
        )
        while batch := list(islice(entries, LOG_BATCH)):
            LogEntry.objects.bulk_create(batch)

    def _log_actions(self, result, request):
        """Rows by kind as (id, name): from the object where the result kept it, else as the row kept them."""
        # A page's second sheet (必須事務 on the progress page) writes rows of its own model.
        model = getattr(result, "model", None) or self.model
        sheet_type = ContentType.objects.get_for_model(model, for_concrete_model=False).id
        rows = {}
        for row in result:
            if row.instance is not None:
                rows.setdefault(row.import_type, []).append((row.instance.pk, str(row.instance), sheet_type))
            else:
                rows.setdefault(row.import_type, []).append((row.object_id, row.object_repr or "", sheet_type))
        self._create_log_entries(request.user.pk, rows)

    def log_import(self, request, action, result):
        """One line for the whole file, with its counts (import-export writes its LogEntry rows itself)."""
        totals = {f"rows_{kind}": result.totals[kind] for kind in ("new", "update", "delete", "skip")}
        log_staff_action(request.user, action, model=self.model._meta.label_lower, **totals)

    def export_action(self, request):
        """The export page applies the change list's filters; ones it cannot apply are dropped, as the change list does.

        (A lookup on a field this model lacks, e.g. municipality__code__exact
        on meetings, or a value of the wrong type.)
        """
        try:
            return super().export_action(request)
        except IncorrectLookupParameters as e:
            logger.warning("Export filters of %s refused: %s", request.get_full_path(), e)
            messages.warning(
                request, "URLの絞り込みの条件を読み取れなかったため、条件を外しました。書き出す範囲を確かめてください。"
            )
            return HttpResponseRedirect(request.path)

    def get_export_filename(self, request, queryset, file_format):
        """「熊本市再犯防止推進計画_取組・事業_2026-12-01.csv」 when the rows are one plan's, else 「取組・事業_2026-12-01.csv」."""
        parts = [self.model._meta.verbose_name_plural, f"{localdate():%Y-%m-%d}"]
        title = self.plan_title_of_rows(queryset)
        if title is not None:
            parts.insert(0, UNSAFE_IN_FILE_NAMES.sub("_", title))
        return f"{'_'.join(parts)}.{file_format.get_extension()}"

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """import-export writes the name raw into the header; a Japanese name needs RFC 6266's filename*."""
        response = super()._do_file_export(file_format, request, queryset, export_form=export_form)
        response["Content-Disposition"] = content_disposition_header(
            True, self.get_export_filename(request, queryset, file_format)
        )
        return response

    def plan_title_of_rows(self, queryset) -> str | None:
        """The title of the one plan all the exported rows hang below (e.g. chosen with the 計画 filter), or None."""
        path = plan_path(self.model)
        if path is None:
            return None
        plan = "__".join(path)
        plans = list(queryset.order_by().values_list(plan, f"{plan}__title").distinct()[:2])
        if len(plans) != 1 or plans[0][0] is None:
            return None
        return plans[0][1]

    # -- imports as jobs ------------------------------------------------------------

    def import_url(self):
        return reverse("admin:%s_%s_import" % self.get_model_info(), current_app=self.admin_site.name)

    def import_action(self, request, **kwargs):
        """The import page; a valid upload is stored and its preview started as a job, whose page follows.

        Only the form is checked here (its size limit): the rows are read by the preview job.
        """
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = request.import_form = self.create_import_form(request)
            if form.is_valid():
                return self.start_preview(request, form)
        return super().import_action(request, **kwargs)

    def create_import_form(self, request):
        """The form import_action has checked already (its errors shown, not checked and logged twice)."""
        form = getattr(request, "import_form", None)
        return form if form is not None else super().create_import_form(request)

    def start_preview(self, request, form):
        upload = form.cleaned_data["import_file"]
        format_index = int(form.cleaned_data["format"])
        extension = self.get_import_formats()[format_index]().get_extension()
        params = {
            "model": self.model._meta.label_lower,
            "resource": self.get_resource_index(form),
            "format": format_index,
            "file": import_jobs.store_upload(upload, extension),
            "file_name": upload.name,
            "options": import_jobs.extra_fields(form, IMPORT_FORM_FIELDS),
        }
        title = f"{self.model._meta.verbose_name_plural}の取り込みのプレビュー（{Truncator(upload.name).chars(80)}）"
        return job_page(self.start_import_job(request, import_jobs.preview_import, params, import_jobs.PREVIEW_KIND, title))

    def start_import_job(self, request, task, params, kind, title) -> Job:
        """Queue an import job; its result holds from the start where it came from, for its page's links."""
        with transaction.atomic():
            job = start_job(task, params, kind=kind, title=title, owner=request.user)
            job.result = {"import": params, "urls": import_jobs.import_urls(self)}
            job.save(update_fields=["result"])
        return job

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The confirmation of the user's own finished preview starts the apply job, once.

        The file and its options come from the preview's job, never from the form; fields the form
        adds (ticks of the preview) are passed on to the resource. Every related item the preview lists
        (a new department, a renamed area …) must be ticked: otherwise nothing starts, the preview
        stays to be ticked, and the user is told which are missing.
        """
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            messages.error(request, import_jobs.REREAD)
            return HttpResponseRedirect(self.import_url())
        with transaction.atomic():
            preview = (
                Job.objects.select_for_update()
                .filter(pk=form.cleaned_data["preview"], owner=request.user, kind=import_jobs.PREVIEW_KIND)
                .first()
            )
            stored = (preview.result or {}) if preview else {}
            if stored.get("import", {}).get("model") != self.model._meta.label_lower:
                raise Http404("この取り込みは見つかりません。")
            refused = self._not_to_apply(request, preview, stored)
            if refused is not None:
                return refused
            params = {
                **stored["import"],
                "options": {
                    **stored["import"]["options"],
                    **import_jobs.extra_fields(form, CONFIRM_FORM_FIELDS),
                    **import_jobs.confirmed_options(stored, request.POST),
                },
            }
            title = f"{self.model._meta.verbose_name_plural}の取り込み（{Truncator(params['file_name']).chars(80)}）"
            job = self.start_import_job(request, import_jobs.apply_import, params, import_jobs.APPLY_KIND, title)
            preview.result = {**stored, "apply_job": str(job.pk)}
            preview.save(update_fields=["result"])
        return job_page(job)

    def _not_to_apply(self, request, preview: Job, stored: dict):
        """Where to send the user instead of applying: the job already started, or the preview (unfinished,
        with errors, or with related items left unticked, named in the message); None to apply."""
        if stored.get("apply_job"):
            return job_page(Job(pk=stored["apply_job"]))
        if preview.status != Job.Status.DONE or not stored.get("ready"):
            messages.error(request, "このプレビューはまだ終わっていないか、誤りがあるため、取り込めません。")
            return job_page(preview)
        unticked = import_jobs.unticked(stored, request.POST)
        if unticked:
            named = "、".join(item["label"] for item in unticked[:UNTICKED_NAMED])
            more = f"ほか{len(unticked) - UNTICKED_NAMED:,}件" if len(unticked) > UNTICKED_NAMED else ""
            messages.error(request, UNTICKED + named + more)
            return job_page(preview)
        return None

    # -- blank templates --------------------------------------------------------

    def get_urls(self):
        info = self.get_model_info()
        return [
            path(
                "import/template/<bigint:index>/<str:extension>/",
                self.admin_site.admin_view(self.template_view),
                name="%s_%s_import_template" % info,
            ),
        ] + super().get_urls()

    def template_view(self, request, index, extension):
        """A blank template: the columns and one example row, as CSV or XLSX."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource_classes = self.get_import_resource_classes(request)
        fmt = FORMAT_BY_EXTENSION.get(extension)
        if fmt is None or not 0 <= index < len(resource_classes):
            raise Http404("ひな形がありません。")
        resource = resource_classes[index](user=request.user)
        response = HttpResponse(fmt().export_data(resource.template_dataset()), content_type=fmt().get_content_type())
        response["Content-Disposition"] = content_disposition_header(
            True, f"{resource.get_display_name()}_ひな形.{extension}"
        )
        return response

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["import_max_mb"] = settings.IMPORT_MAX_MB
        context["import_max_rows"] = settings.IMPORT_MAX_ROWS
        info = self.get_model_info()
        context["spreadsheet_templates"] = [
            {
                "name": resource_class.get_display_name(),
                "links": [
                    (fmt().get_title(), reverse(
                        "admin:%s_%s_import_template" % info,
                        args=[index, fmt().get_extension()],
                        current_app=self.admin_site.name,
                    ))
                    for fmt in FORMATS
                ],
            }
            for index, resource_class in enumerate(self.resource_classes)
        ]
        return context
