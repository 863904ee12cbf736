"""A version's 概要版: typeset once from the HTML frozen at approval, then kept as bytes with the version."""

import logging

from django.conf import settings

from reoffense_portal.summaries import typesetting
from reoffense_portal.summaries.documents import static_roots

from .models import PlanVersion, VersionFile

logger = logging.getLogger(__name__)


def typeset(file: VersionFile) -> bytes:
    """The PDF's bytes, typeset now if this is the first request for them. Raises PdfRenderError."""
    if file.content is None:
        content = typesetting.render_pdf(
            file.source["html"], static_roots=static_roots(), charts=file.source["charts"],
            timeout=settings.PDF_RENDER_TIMEOUT,
        )
        VersionFile.objects.filter(pk=file.pk, content__isnull=True).update(content=content)
        file.content = content
    return bytes(file.content)


def ensure_summary_pdf(version: PlanVersion) -> None:
    """Typeset the version's 概要版 ahead of its first reader; a failure is logged and left to that request."""
    file = version.files.filter(key="summary.pdf").first()
    if file is None:
        return
    try:
        typeset(file)
    except typesetting.PdfRenderError as error:
        logger.error("Summary PDF of %s could not be typeset: %s", version, error)
