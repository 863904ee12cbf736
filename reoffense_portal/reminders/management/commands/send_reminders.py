"""Cron's weekly reminder to staff of what is due in their municipality's plans.

    0 8 * * 1-5 cd /srv/portal && .venv/bin/python manage.py send_reminders

Safe to run daily or more often: an item reaches each member of staff at most once a week.
"""

from django.core.management.base import BaseCommand, CommandError

from reoffense_portal.reminders.mail import send_reminders


class Command(BaseCommand):
    help = "各自治体の職員に、今年度の未入力・予定をメールでお知らせします（同じ項目は1週間に1回まで。cron から実行）。"

    def handle(self, *args, **options):
        sent, failed = send_reminders()
        for reminder in sent:
            self.stdout.write(
                f"送信しました：{reminder.municipality.name} {reminder.user.get_username()}（{len(reminder.items)}件）"
            )
        if not sent and not failed:
            self.stdout.write("お知らせする項目はありません。")
        if failed:
            raise CommandError(f"{len(failed)}通のメールを送信できませんでした。ログを確認してください。")
