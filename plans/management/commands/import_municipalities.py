"""Load every prefecture and municipality from 総務省「全国地方公共団体コード」 (XLSX or CSV).

    python manage.py import_municipalities 都道府県コード及び市区町村コード.xlsx

Safe to run again with a newer list: rows are matched by 団体コード, and nothing is written
if any row is wrong (each wrong row is reported in Japanese). See plans.municipal_codes.
"""

from django.core.management.base import BaseCommand, CommandError

from plans.municipal_codes import load_code_list
from reoffense_portal.machinery.spreadsheets.files import ImportFileError


class Command(BaseCommand):
    help = "総務省「全国地方公共団体コード」の一覧（XLSXまたはCSV）から都道府県・市区町村を登録・更新します。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="「都道府県コード及び市区町村コード」のファイル（.xlsx または .csv）")

    def handle(self, *args, path, **options):
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError as error:
            raise CommandError(f"ファイル「{path}」を開けません（{error.strerror}）。") from error
        try:
            result = load_code_list(data)
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        if result.errors:
            raise CommandError("\n".join([*result.messages(), "取り込みを中止しました。何も保存されていません。"]))
        self.stdout.write(self.style.SUCCESS(f"自治体を取り込みました（{result.summary()}）。"))
