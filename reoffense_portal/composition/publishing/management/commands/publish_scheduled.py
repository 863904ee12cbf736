"""Queue 公開予約's follow-up now: the worker does it by itself every minute (jobs/schedule.py).

Residents never wait for it: which version is live is decided by the clock on every request. The job
only does the paperwork a scheduled go-live leaves: the publication record (予約した版の公開), the
submitter's e-mail, and the PDF typeset before the first resident asks for it; each once.
"""

from django.core.management.base import BaseCommand

from reoffense_portal.composition.publishing.workflow import GO_LIVE, due_go_lives, follow_up_go_lives
from reoffense_portal.machinery.jobs.queue import start_job


class Command(BaseCommand):
    help = "公開予約の時刻を過ぎた版の記録と通知を、今すぐ行うよう依頼します（ふだんは作業プロセスが毎分行います）。"

    def handle(self, *args, **options):
        if not due_go_lives().exists():
            self.stdout.write("公開予約の時刻を過ぎた版はありません。")
            return
        job = start_job(follow_up_go_lives, kind=GO_LIVE, title="予約した版の公開の記録と通知")
        self.stdout.write(f"公開予約の記録と通知を依頼しました（処理 {job.pk}）。作業プロセスが行います。")
