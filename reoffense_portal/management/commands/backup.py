"""backup: the database and the uploaded files in one dated, signed archive (see reoffense_portal.backups)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from reoffense_portal.backups import create_backup, signing_key_problem


class Command(BaseCommand):
    help = (
        "データベースとアップロードされたファイルを、日時入りの1つのファイル（.tar.gz）にバックアップします。"
        "内容はチェックサムと署名の鍵（BACKUP_SIGNING_KEY）による署名で守られます。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=settings.BASE_DIR / "backups",
            help="バックアップを書き出すフォルダ（既定：backups/）。",
        )

    def handle(self, *args, directory, **options):
        if problem := signing_key_problem():
            self.stderr.write(self.style.WARNING(f"注意：{problem}"))
        path = create_backup(directory)
        self.stdout.write(self.style.SUCCESS(f"バックアップを作成しました：{path}"))
