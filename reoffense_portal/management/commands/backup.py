"""backup: the database and the uploaded files in one dated archive (see reoffense_portal.backups)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from reoffense_portal.backups import create_backup


class Command(BaseCommand):
    help = "データベースとアップロードされたファイルを、日時入りの1つのファイル（.tar.gz）にバックアップします。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=settings.BASE_DIR / "backups",
            help="バックアップを書き出すフォルダ（既定：backups/）。",
        )

    def handle(self, *args, directory, **options):
        path = create_backup(directory)
        self.stdout.write(self.style.SUCCESS(f"バックアップを作成しました：{path}"))
