#!/usr/bin/env python
"""How long an import takes to refuse files beyond its limits, and to read the largest one it accepts.

    .venv/bin/python benchmarks/import_limits.py [--rows 2000000]

Writes, with zipfile and no spreadsheet library, then reads through
reoffense_portal.machinery.spreadsheets.files.read_spreadsheet (what the admin import view calls):

- declared: a few KB whose sheet declares <dimension ref="A1:G2000000"/>
  (refused before any row is read);
- every row: a sheet that really holds the 2,000,000 rows, deflated
  (refused by its size);
- 50 MB of repeated XML: one sheet of highly compressible rows (refused by
  its compression ratio before it is opened);
- no dimension: 2,000,000 empty rows and no declared size, which only
  reading can tell (refused at row IMPORT_MAX_ROWS + 2: never more work than
  the largest file accepted);
- accepted: 100,000 rows of 12 varied columns, the largest file the default
  IMPORT_MAX_ROWS allows (read, not imported: benchmarks/import_progress.py
  times the import itself).

Each line shows the file's size, its expanded size, the time and the message
staff read. Goal: refusals before reading well under 2 s.
"""

import argparse
import io
import os
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEADER = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況", "実績・成果",
          "支援件数", "予算額（円）", "決算額（円）", "補助率"]


def progress_values(line: int) -> list:
    return ["431001", "熊本市再犯防止推進計画", line % 6 + 1, line % 4 + 1, f"事業{line % 500}", 2020 + line % 8,
            "実施", f"説明会を{line % 9}回開催し、{line % 70}人が参加しました。", line % 40,
            (line % 30 + 1) * 100_000, (line % 30 + 1) * 90_000, "1/2"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the refused sheets")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reoffense_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from reoffense_portal.machinery.spreadsheets.files import ImportFileError, read_spreadsheet
    from tests.xlsx_files import repeated, row_xml, rows_xml, workbook

    accepted = settings.IMPORT_MAX_ROWS
    files = {
        f"declared {args.rows:,} rows": workbook(
            rows_xml([HEADER[:7], progress_values(2)[:7]]), dimension=f"A1:G{args.rows}"
        ),
        f"every row of {args.rows:,}": workbook(
            row_xml(line, [line]) for line in range(1, args.rows + 1)
        ),
        "50 MB of repeated XML": workbook(repeated(row_xml(2, progress_values(2)), megabytes=50)),
        f"no dimension, {args.rows:,} rows": workbook(f'<row r="{line}"/>' for line in range(1, args.rows + 1)),
        f"accepted: {accepted:,} rows": workbook(
            rows_xml([HEADER] + [progress_values(line) for line in range(2, accepted + 2)])
        ),
    }
    for label, data in files.items():
        expanded = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(data)).infolist())
        start = time.perf_counter()
        try:
            dataset = read_spreadsheet(data)
            outcome = f"read {len(dataset):,} rows"
        except ImportFileError as e:
            outcome = f"refused: {e}"
        elapsed = time.perf_counter() - start
        print(f"{label:30} {len(data) / 1e6:6.2f} MB → {expanded / 1e6:6.1f} MB  {elapsed:6.3f} s  {outcome}")


if __name__ == "__main__":
    main()
