"""{{ plan.download_labels|download_label:"programs.csv" }}: a download's [CSVファイル／2KB], as municipal sites label files.

`download_labels` is set on the plan when a version is built (publishing.snapshot), from the files it stores;
without it (the staff preview, which lists no downloads) the label names the kind alone.
"""

from django import template

register = template.Library()

KINDS = {".csv": "CSV", ".json": "JSON", ".pdf": "PDF"}


@register.filter
def download_label(labels, key: str) -> str:
    known = (labels or {}).get(key)
    if known:
        return known
    kind = next((kind for extension, kind in KINDS.items() if key.endswith(extension)), "")
    return f"[{kind}ファイル]"
