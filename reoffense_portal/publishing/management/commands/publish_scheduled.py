"""Cron's part of 公開予約: record and announce versions that went live on schedule, typeset their 概要版.

    */5 * * * * cd /srv/portal && .venv/bin/python manage.py publish_scheduled

Residents never wait for it: which version is live is decided by the clock on
every request. This only does the paperwork a scheduled go-live leaves: the
publication record (予約した版の公開), the submitter's e-mail, and the PDF
typeset before the first resident asks for it.
"""

from django.core.management.base import BaseCommand

from reoffense_portal.publishing.workflow import record_scheduled_go_lives


class Command(BaseCommand):
    help = "公開予約の時刻を過ぎた版を記録して通知し、概要版PDFを用意します（cron から定期的に実行）。"

    def handle(self, *args, **options):
        versions = record_scheduled_go_lives()
        for version in versions:
            self.stdout.write(f"公開しました：{version}（{version.live_from:%Y-%m-%d %H:%M}）")
        if not versions:
            self.stdout.write("公開予約の時刻を過ぎた版はありません。")
