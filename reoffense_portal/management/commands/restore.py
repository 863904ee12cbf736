"""restore: an archive of `backup` into an empty, migrated database (see reoffense_portal.backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from reoffense_portal.backups import restore_backup


class Command(BaseCommand):
    help = (
        "backup で作ったファイルから、データベースとアップロードされたファイルを復元します。"
        "復元先は manage.py migrate 済みの空のデータベースです。"
        "署名とチェックサムが合わないバックアップ（書き換えられた、途中で切れた、別の鍵で署名された）は復元しません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="バックアップのファイル（.tar.gz）。")
        parser.add_argument(
            "--force",
            action="store_true",
            help="データベースに既にあるデータをすべて消して、バックアップの内容に置き換えます。",
        )

    def handle(self, *args, archive, force, **options):
        counts = restore_backup(archive, force=force)
        self.stdout.write(
            self.style.SUCCESS(f"{archive} から復元しました（{sum(counts.values())}行）。")
        )
