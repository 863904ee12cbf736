"""XLSX files written by hand with zipfile: the few parts openpyxl needs, and a first sheet as given.

They stay small however many rows they declare or however far they expand,
which is what the import limits are tested (and benchmarked) with.
"""

import io
import itertools
import string
import zipfile
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        '<sheets><sheet name="データ" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        "</Relationships>"
    ),
}


def row_xml(line: int, values) -> str:
    """One <row> of text cells."""
    cells = "".join(
        f'<c r="{column}{line}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
        for column, value in zip(string.ascii_uppercase, values, strict=False)
    )
    return f'<row r="{line}">{cells}</row>'


def rows_xml(rows):
    """<row>s numbered from line 1."""
    return (row_xml(line, values) for line, values in enumerate(rows, 1))


def workbook(sheet_rows, dimension: str | None = None) -> bytes:
    """An XLSX whose one sheet declares `dimension` (e.g. "A1:Z2000000") and holds `sheet_rows`.

    `sheet_rows` is an iterable of XML strings, streamed into the zip, so that
    a sheet of many megabytes never sits in memory whole.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in PARTS.items():
            archive.writestr(name, xml)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for chunk in sheet_rows:
                sheet.write(chunk.encode())
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def repeated(xml: str, megabytes: int):
    """`xml` repeated to about `megabytes` MB, in chunks of about 1 MB."""
    chunk = xml * (1024 * 1024 // len(xml.encode()) + 1)
    return itertools.repeat(chunk, megabytes)
