"""Uploaded documents: the kinds a city publishes, checked by content, labelled and served safely.

Staff upload plan documents and meeting materials, and residents download them from the public
site, on the same origin as the admin. So an upload is accepted only when its content is one of
the kinds below and its name says the same kind (a PDF named .docx or an HTML page named .txt is
refused), and a stored file goes out with the type of its checked kind, never sniffed by the
browser and never run as a page of the site. A zip-based document (.docx, .xlsx, .pptx, .odt, .ods,
.odp) is refused when its zip directory says it would expand too far (a zip bomb of a 1 GB member
compressed to 1 MB), by the check spreadsheet imports share.
"""

import codecs
import io
import logging
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
import olefile
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

logger = logging.getLogger(__name__)

MB = 1024 * 1024
HEAD_BYTES = 8192  # what a signature is read from
CHUNK_BYTES = 64 * 1024  # what is read, checked and sent at a time


@dataclass(frozen=True)
class Kind:
    label: str  # as in [PDFファイル／1.38MB]
    content_type: str
    inline: bool = False  # shown in the browser; every other kind is downloaded

    @property
    def is_text(self) -> bool:
        return self.content_type.startswith("text/")


WORD_97 = Kind("Word", "application/msword")
EXCEL_97 = Kind("Excel", "application/vnd.ms-excel")
POWERPOINT_97 = Kind("PowerPoint", "application/vnd.ms-powerpoint")
JPEG = Kind("JPEG", "image/jpeg", inline=True)

# The accepted kinds by the extension of the name; filetype and olefile report the same content types.
KINDS = {
    ".pdf": Kind("PDF", "application/pdf", inline=True),
    ".doc": WORD_97,
    ".docx": Kind("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xls": EXCEL_97,
    ".xlsx": Kind("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".ppt": POWERPOINT_97,
    ".pptx": Kind("PowerPoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ".odt": Kind("ODT", "application/vnd.oasis.opendocument.text"),
    ".ods": Kind("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    ".odp": Kind("ODP", "application/vnd.oasis.opendocument.presentation"),
    ".csv": Kind("CSV", "text/csv"),
    ".txt": Kind("テキスト", "text/plain"),
    ".png": Kind("PNG", "image/png", inline=True),
    ".jpg": JPEG,
    ".jpeg": JPEG,
}


def _accepted_kinds_text() -> str:
    """PDF（.pdf）、Word（.doc・.docx）、…: the kinds of KINDS with their extensions."""
    extensions: dict[str, list[str]] = {}
    for extension, kind in KINDS.items():
        extensions.setdefault(kind.label, []).append(extension)
    return "、".join(f"{label}（{'・'.join(names)}）" for label, names in extensions.items())


ACCEPTED_KINDS = _accepted_kinds_text()
# How a stored file of any other kind goes out: bytes to download, whatever its name says.
UNACCEPTED = Kind("", "application/octet-stream")
UPLOAD_HELP_TEXT = f"受け付けるファイル：{ACCEPTED_KINDS}。"

# The streams that make an Office 97-2003 compound file a document, workbook or presentation.
COMPOUND_DOCUMENT_STREAMS = {
    "WordDocument": WORD_97.content_type,
    "Workbook": EXCEL_97.content_type,
    "Book": EXCEL_97.content_type,  # Excel 5.0/95
    "PowerPoint Document": POWERPOINT_97.content_type,
}

# Office Open XML and OpenDocument files are zips of XML parts (and pictures).
ZIP_DOCUMENTS = {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"}
ZIP_MAX_RATIO = 100  # XML compresses 5 to 20 times, pictures hardly at all; a zip bomb thousands of times

TEXT_ENCODINGS = ("utf-8-sig", "cp932")  # UTF-8 (with or without BOM) and Shift_JIS as Japanese Excel saves CSV
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Anything a browser could take for markup: a tag (<p, </div, <svg/), a comment, a doctype, <?xml.
MARKUP = re.compile(r"<(?:[!?]|/?[a-z][a-z0-9-]*(?:[\s/>]|$))", re.IGNORECASE)
# Inside a text read in parts, a tag is markup only once what ends its name is read...
MARKUP_WITHIN = re.compile(r"<(?:[!?]|/?[a-z][a-z0-9-]*[\s/>])", re.IGNORECASE)
# ...and the end of a part that could still become one is read again with the next part.
MARKUP_UNFINISHED = re.compile(r"<(?:/?[a-z][a-z0-9-]*|/)?\Z", re.IGNORECASE)


def upload_max_bytes() -> int:
    return settings.UPLOAD_MAX_MB * MB


def size_text(size: int) -> str:
    """1447034 → 1.38MB, 250000 → 244KB."""
    if size >= MB:
        return f"{size / MB:.2f}MB"
    return f"{max(1, round(size / 1024))}KB"


def extension_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def file_label(name: str, size: int | None) -> str:
    """Attachment labels as Japanese municipal sites write them: [PDFファイル／1.38MB]."""
    if not name or size is None:
        return ""
    extension = extension_of(name)
    kind = KINDS[extension].label if extension in KINDS else extension.lstrip(".").upper()
    return f"[{kind}ファイル／{size_text(size)}]"


def stored_size(field_file) -> int | None:
    """The size of an uploaded file, or None where it is missing from storage."""
    if not field_file:
        return None
    try:
        return field_file.size
    except (FileNotFoundError, OSError):
        return None


def content_type_of(file) -> str | None:
    """The type the content shows by its signature, or None (plain text has none)."""
    file.seek(0)
    head = file.read(8192)
    if head.startswith(olefile.MAGIC):
        # filetype guesses the Office 97-2003 kinds from the bytes at one offset, which differ between
        # the programs that write them; the streams the compound file holds tell them apart.
        file.seek(0)
        try:
            with olefile.OleFileIO(file) as compound:
                return next(
                    (kind for stream, kind in COMPOUND_DOCUMENT_STREAMS.items() if compound.exists(stream)), None
                )
        except Exception:  # olefile raises many kinds of error on a damaged or hostile file
            return None
    guess = filetype.guess(head)
    return guess.mime if guess else None


def text_problem(file) -> str | None:
    """Why a file is not a plain text or CSV to publish, or None. It is read in parts, never whole into memory."""
    file.seek(0)
    start = file.read(2)
    encodings = ("utf-16",) if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else TEXT_ENCODINGS
    for encoding in encodings:
        file.seek(0)
        try:
            found = _text_found(file, encoding)
        except UnicodeDecodeError:
            continue
        if found == "control":
            break
        if found == "markup":
            return "テキストとCSVのファイルには、HTMLのタグ（<…>）を入れられません。タグを消すか、PDFにしてください。"
        return None
    return "テキストとCSVのファイルは、文字（UTF-8またはシフトJIS）だけのファイルにしてください。"


def _text_found(file, encoding: str) -> str | None:
    """What the file, read as `encoding`, holds that a text may not: "control" (a control character),
    "markup" (a tag), or None. Raises UnicodeDecodeError when it is not that encoding."""
    decoder = codecs.getincrementaldecoder(encoding)()
    markup, unfinished = False, ""
    while True:
        chunk = file.read(CHUNK_BYTES)
        text = unfinished + decoder.decode(chunk, final=not chunk)
        if CONTROL_CHARACTERS.search(text):
            return "control"
        if not chunk:
            return "markup" if markup or MARKUP.search(text) else None
        markup = markup or bool(MARKUP_WITHIN.search(text))
        tail = MARKUP_UNFINISHED.search(text)
        unfinished = tail.group() if tail else ""


def kind_problem(file, name: str) -> str | None:
    """Why a file is not an accepted kind, in Japanese; None when its content is the kind its name says."""
    extension = extension_of(name)
    kind = KINDS.get(extension)
    if kind is None:
        what = f"「{extension}」のファイル" if extension else "拡張子のないファイル"
        return f"{what}は受け付けていません。受け付けるファイルは{ACCEPTED_KINDS}です。"
    if kind.is_text:
        return text_problem(file)
    if content_type_of(file) != kind.content_type:
        return (
            f"ファイルの中身が{kind.label}（{extension}）ではありません。中身に合った拡張子のファイルにしてください。"
            f"受け付けるファイルは{ACCEPTED_KINDS}です。"
        )
    return None


def zip_expansion_problem(
    members: list[zipfile.ZipInfo], *, what: str, accepted: str, max_expanded_mb: int, max_ratio: int, resave: str
) -> str | None:
    """Why a zip would expand too far, in Japanese, judged from its directory alone (nothing is inflated), or None.

    Shared by uploads and spreadsheet imports. `what` names the file (「Excelファイル」), `accepted` what is done
    with it (「取り込める」), `resave` how to write it afresh. A member of up to 1 MB may compress any amount.
    """
    expanded = sum(member.file_size for member in members)
    if expanded > max_expanded_mb * MB:
        return (
            f"{what}の中身が大きすぎます（展開すると{expanded / MB:,.0f}MB）。"
            f"{accepted}のは展開して{max_expanded_mb}MBまでのファイルです。ファイルを分けてください。"
        )
    for member in members:
        if member.file_size > MB and member.file_size > max_ratio * member.compress_size:
            return (
                f"{what}の圧縮のされ方が異常です（展開すると{member.file_size // max(member.compress_size, 1):,}倍。"
                f"{max_ratio}倍までです）。{resave}"
            )
    return None


def archive_problem(file, name: str) -> str | None:
    """Why a zip-based document would expand too far (UPLOAD_MAX_EXPANDED_MB, ZIP_MAX_RATIO), or None."""
    extension = extension_of(name)
    if extension not in ZIP_DOCUMENTS:
        return None
    kind = KINDS[extension]
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except Exception:  # zipfile raises many kinds of errors on damaged archives
        return f"{kind.label}（{extension}）のファイルとして読めません。ファイルが壊れていないか確認してください。"
    return zip_expansion_problem(
        members, what=f"{kind.label}（{extension}）のファイル", accepted="アップロードできる",
        max_expanded_mb=settings.UPLOAD_MAX_EXPANDED_MB, max_ratio=ZIP_MAX_RATIO,
        resave="作成したアプリで開いて、保存し直してください。",
    )


def validate_upload(value) -> None:
    """The validator of every FileField: a new upload must be within UPLOAD_MAX_MB and an accepted kind."""
    # A file already in storage (a form saved without a new upload) was checked when it was uploaded,
    # and is checked again whenever it is served; the change history holds names only.
    if not isinstance(value, File) or not value or (isinstance(value, FieldFile) and value._committed):
        return
    if value.size > upload_max_bytes():
        raise ValidationError(
            f"ファイルの大きさは{settings.UPLOAD_MAX_MB}MBまでです（このファイルは{value.size / MB:.1f}MB）。",
            code="file_too_large",
        )
    problem = kind_problem(value, value.name) or archive_problem(value, value.name)
    value.seek(0)
    if problem:
        logger.info("Upload %r refused: %s", value.name, problem)
        raise ValidationError(problem, code="file_kind")


def open_stream(storage, name: str):
    """A stored file to read once from start to end, with its `size`: the file on disk, or an object of a
    bucket as it arrives (ObjectStorage.open_stream). Raises FileNotFoundError when there is no such file."""
    stream = getattr(storage, "open_stream", None)
    return stream(name) if stream else storage.open(name, "rb")


class _HeadThenRest:
    """The first bytes of a stored file, already read for its check, then the rest as it arrives."""

    def __init__(self, head: bytes, stored):
        self._head = head
        self._stored = stored

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._stored.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self._stored.read(), b""
        else:
            data, self._head = self._head[:size], self._head[size:]
        return data

    def close(self) -> None:
        self._stored.close()


def _read_up_to(stored, size: int) -> bytes:
    """Up to `size` bytes: a stream may give fewer than asked before its end."""
    parts, missing = [], size
    while missing > 0 and (part := stored.read(missing)):
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def checked_content(stored, name: str):
    """Why a stored file is not an accepted kind (or None), with its content to send on and the content's size.

    A signature is checked from the first bytes, and the file then goes out as it is read. Plain text is
    checked to its end, and an Office 97-2003 file by the streams it holds: those are first copied into a
    temporary file (in memory up to 1 MB, then on disk), never read whole into memory.
    """
    head = _read_up_to(stored, HEAD_BYTES)
    kind = KINDS.get(extension_of(name))
    if kind is not None and (kind.is_text or head.startswith(olefile.MAGIC)):
        copy = tempfile.SpooledTemporaryFile(max_size=MB)
        copy.write(head)
        shutil.copyfileobj(stored, copy, CHUNK_BYTES)
        stored.close()
        problem = kind_problem(copy, name)
        size = copy.seek(0, io.SEEK_END)
        copy.seek(0)
        return problem, copy, size
    return kind_problem(io.BytesIO(head), name), _HeadThenRest(head, stored), stored.size


def upload_response(field_file, title: str) -> FileResponse:
    """A stored file for residents, under the name `title`: 404 when it is missing from storage.

    It goes out with the content type of its checked kind and a sandbox policy, inline only for PDF
    and images. A file that is not an accepted kind (stored before uploads were checked) is
    downloaded as bytes (application/octet-stream), so the public page linking it still works
    but nothing in it is ever shown or run by the browser. It is read through the storage as it is
    sent, from the server's disk or a bucket alike (reoffense_portal/machinery/object_storage.py).
    """
    if not field_file:
        raise Http404("ファイルがありません。")
    try:
        stored = open_stream(field_file.storage, field_file.name)
    except OSError:  # FileNotFoundError, or a path that is not a readable file
        raise Http404("ファイルが見つかりません。") from None
    try:
        problem, content, size = checked_content(stored, field_file.name)
    except BaseException:
        stored.close()
        raise
    if problem:
        logger.warning("Stored file %s is not an accepted kind, served as a download: %s", field_file.name, problem)
    kind = UNACCEPTED if problem else KINDS[extension_of(field_file.name)]
    response = FileResponse(
        content,
        as_attachment=not kind.inline,
        filename=f"{title}{PurePosixPath(field_file.name).suffix}",
        content_type=kind.content_type,
    )
    response.block_size = CHUNK_BYTES
    response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Writes no more than UPLOAD_MAX_MB of an uploaded file to disk and drops the rest.

    The request parser still counts every byte into the file's size, so validate_upload refuses the
    file naming its real size, and an oversized upload cannot fill the server's disk.
    """

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) <= upload_max_bytes():
            self.file.write(raw_data)
