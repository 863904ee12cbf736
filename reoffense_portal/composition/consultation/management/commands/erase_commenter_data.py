"""Erase commenters' names and addresses once CONSULTATION_PERSONAL_DATA_RETENTION_DAYS have passed since the result.

Run daily from cron; the opinions, the answers and the published result stay.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from reoffense_portal.composition.consultation.services import erase_due_personal_data


class Command(BaseCommand):
    help = "結果の公表から保存期間が過ぎた意見募集の、提出者の氏名・住所を消去します。"

    def handle(self, *args, **options):
        erased = erase_due_personal_data()
        for period in erased:
            self.stdout.write(f"消去しました：{period}")
        self.stdout.write(
            f"{len(erased)}件の意見募集で提出者の個人情報を消去しました"
            f"（保存期間：結果の公表から{settings.CONSULTATION_PERSONAL_DATA_RETENTION_DAYS}日）。"
        )
