"""Attachment labels as Japanese municipal sites write them: [PDFファイル／1.38MB]."""

from pathlib import PurePosixPath

KINDS = {
    ".pdf": "PDF",
    ".doc": "Word",
    ".docx": "Word",
    ".xls": "Excel",
    ".xlsx": "Excel",
    ".csv": "CSV",
    ".ppt": "PowerPoint",
    ".pptx": "PowerPoint",
    ".txt": "テキスト",
    ".zip": "ZIP",
}


def size_text(size: int) -> str:
    """1447034 → 1.38MB, 250000 → 244KB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.2f}MB"
    return f"{max(1, round(size / 1024))}KB"


def file_label(name: str, size: int | None) -> str:
    if not name or size is None:
        return ""
    kind = KINDS.get(PurePosixPath(name).suffix.lower(), PurePosixPath(name).suffix.lstrip(".").upper())
    return f"[{kind}ファイル／{size_text(size)}]"


def stored_size(field_file) -> int | None:
    """The size of an uploaded file, or None where it is missing from storage."""
    if not field_file:
        return None
    try:
        return field_file.size
    except (FileNotFoundError, OSError):
        return None


def upload_response(field_file, title: str):
    """A stored file under a readable name; 404 when it is missing from storage."""
    from django.http import FileResponse, Http404

    if not field_file:
        raise Http404("ファイルがありません。")
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("ファイルが見つかりません。") from None
    suffix = "." + field_file.name.rsplit(".", 1)[-1] if "." in field_file.name else ""
    return FileResponse(handle, filename=f"{title}{suffix}")
