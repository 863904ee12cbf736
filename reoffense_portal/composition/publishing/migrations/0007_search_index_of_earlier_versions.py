"""Versions approved before site search existed are searched by their stored pages' text.

Only what the version stores is read (its pages), never the working rows, which may hold a draft;
the plan's next approval writes the finer entries (one per area, measure, programme …, with anchors).
"""

import re
import unicodedata

from django.db import migrations
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags


def _fold(text):
    return unicodedata.normalize("NFKC", text).casefold()


def _grams(folded):
    return {folded[i:i + 2] for i in range(len(folded) - 1) if not any(c.isspace() for c in folded[i:i + 2])}


def index_stored_pages(apps, schema_editor):
    PlanVersion = apps.get_model("publishing", "PlanVersion")
    VersionPage = apps.get_model("publishing", "VersionPage")
    SearchEntry = apps.get_model("publishing", "SearchEntry")
    SearchGram = apps.get_model("publishing", "SearchGram")
    versions = PlanVersion.objects.filter(Q(live_until__isnull=True) | Q(live_until__gt=timezone.now()))
    for version in versions.only("pk"):
        pages = VersionPage.objects.filter(version=version).order_by("pk")
        entries = []
        for order, page in enumerate(pages, start=1):
            text = re.sub(r"\s+", " ", strip_tags(page.content)).strip()
            entries.append(SearchEntry(version=version, order=order, kind="plan", title=page.title[:400],
                                       url=page.path, text=text, folded=_fold(f"{page.title}\n{text}")))
        SearchEntry.objects.bulk_create(entries)
        SearchGram.objects.bulk_create(
            (SearchGram(entry=entry, gram=gram) for entry in entries for gram in _grams(entry.folded)),
            batch_size=5000,
        )


class Migration(migrations.Migration):
    dependencies = [("publishing", "0006_search_index")]

    operations = [migrations.RunPython(index_stored_pages, migrations.RunPython.noop)]
