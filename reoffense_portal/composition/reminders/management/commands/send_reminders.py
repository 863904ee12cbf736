"""Queue the reminder to staff now, outside its schedule (the worker sends it each weekday at REMINDER_HOUR).

Safe to run at any time: an item reaches each member of staff at most once a week, and no mail is sent twice.
"""

from django.core.management.base import BaseCommand

from reoffense_portal.composition.reminders.mail import start_reminders


class Command(BaseCommand):
    help = (
        "各自治体の職員への、今年度の未入力・予定のお知らせメールを今すぐ送るよう依頼します"
        "（送信は作業プロセスが行います。ふだんは平日の毎朝、自動で送ります。同じ項目は1週間に1回まで）。"
    )

    def handle(self, *args, **options):
        job = start_reminders()
        self.stdout.write(f"お知らせメールの送信を依頼しました（処理 {job.pk}）。作業プロセスが送信します。")
