"""A version's 概要版: typeset by the job worker right after approval, from the HTML frozen then, and
kept in the file storage with the version's other downloads (VersionFile.store).

No request typesets. A resident who asks before the worker is done reads 「作成中です」 (503 with
Retry-After) and, if no job is waiting for the file (its worker was killed), queues it again. One
claim per file (`typeset_started_at`, taken by a conditional update) keeps two workers from ever
typesetting the same PDF.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from reoffense_portal.composition.summaries import typesetting
from reoffense_portal.composition.summaries.documents import static_roots
from reoffense_portal.machinery.jobs.queue import enqueue
from reoffense_portal.machinery.uploads import size_text

from . import pages as composed
from .models import PlanVersion, VersionFile, VersionPage

logger = logging.getLogger(__name__)

PDF_KEYS = ("summary.pdf",)
# Where the plan page's link to the 概要版 (public/plan.html) takes the PDF's size once it is typeset:
# 「[PDFファイル／1.21MB]」, as municipal sites label files.
SIZE_MARK = "<!--summary.pdf size-->"


def _claim_expired_before():
    """A claim older than this was left by a worker that was cut off: the render's own time limit has long passed."""
    return timezone.now() - timedelta(seconds=settings.PDF_RENDER_TIMEOUT * 3)


@task()
def typeset_files(file_ids: list[int]) -> None:
    """The job: typeset each untypeset file that no other worker is typesetting."""
    for pk in file_ids:
        typeset(pk)


def typeset(pk: int) -> bool:
    """Typeset one file if it has no content and this worker wins the claim; True if it did."""
    now = timezone.now()
    claimed = (
        VersionFile.objects.filter(pk=pk).untypeset()
        .filter(Q(typeset_started_at__isnull=True) | Q(typeset_started_at__lt=_claim_expired_before()))
        .update(typeset_started_at=now)
    )
    if not claimed:
        return False
    source = VersionFile.objects.values_list("source", flat=True).get(pk=pk)
    try:
        content = typesetting.render_pdf(
            source["html"], static_roots=static_roots(), charts=source["charts"], timeout=settings.PDF_RENDER_TIMEOUT,
        )
    except typesetting.PdfRenderError as error:
        logger.error("PDF %s could not be typeset: %s", pk, error)
        VersionFile.objects.filter(pk=pk).update(typeset_started_at=None, typeset_error=error.message)
        return False
    file = VersionFile.objects.only("pk", "version_id", "key").get(pk=pk)
    file.store(content)
    if VersionFile.objects.filter(pk=pk, content__isnull=True, stored_name="").update(
        stored_name=file.stored_name, digest=file.digest, size=file.size, typeset_error=""
    ):
        _label_links(file.version_id, len(content))
    else:
        default_storage.delete(file.stored_name)  # another worker's claim won after all
    return True


def _label_links(version_id: int, size: int) -> None:
    """Complete the version's pages that link the PDF with its size, known only now (their hash with them)."""
    linking = VersionPage.objects.filter(version_id=version_id, content__contains=SIZE_MARK)
    for page in linking.select_related("version__municipality").defer("version__rows"):
        page.content = page.content.replace(SIZE_MARK, f"／{size_text(size)}")
        page.digest = hashlib.sha256(page.content.encode()).hexdigest()
        composed.compose(page, page.version)  # the whole page residents get, with the size in it
        page.save(update_fields=["content", "digest", *composed.STORED])


def queue_typesetting(version: PlanVersion) -> None:
    """At approval: queue the version's PDFs, in the approval's transaction (both or neither)."""
    ids = list(version.files.filter(key__in=PDF_KEYS).untypeset().values_list("pk", flat=True))
    if ids:
        VersionFile.objects.filter(pk__in=ids).update(typeset_queued_at=timezone.now())
        enqueue(typeset_files, ids)


def requeue_if_lost(file) -> None:
    """A reader found no PDF: queue it again unless a job for it was queued or started lately."""
    now = timezone.now()
    recent = now - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    lost = (
        VersionFile.objects.filter(pk=file.pk).untypeset()
        .exclude(typeset_queued_at__gte=recent)
        .exclude(typeset_started_at__gte=_claim_expired_before())
        .update(typeset_queued_at=now)
    )
    if lost:
        enqueue(typeset_files, [file.pk])
