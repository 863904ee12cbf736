"""Demo set-up for `make run`: the seed cities and demo accounts, never in production.

    DEBUG=1 python manage.py setup_demo

Loads the fixtures prefectures (the 47), national_priorities, yamaguchi, kumamoto and regional_programme
(秋田県's, 佐賀県's and 愛知県's programmes and 取組事例 from 法務省's document; fixture rows
are reset to the fixtures; rows added in the demo stay) and creates or resets:

- admin: a superuser;
- yamaguchi-editor, kumamoto-editor: staff with a StaffMembership as 編集者;
- yamaguchi-publisher, kumamoto-publisher: staff with a StaffMembership as 公開責任者;
- kumamoto-prefecture-editor: 編集者 of 熊本県, who reads 熊本市's rows without writing them.

The seeded plans go live as their first version (as if a publisher had
approved them). The membership puts each user into the 編集者 / 公開責任者 permission group
(plans.signals). All share one password: DEMO_PASSWORD, or demo-pass-2026.
Running it again gives the same accounts: passwords, roles and lockouts are
reset. It refuses to run with DEBUG off unless --force is given.
"""

import io
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from plans.models import Municipality, Plan, StaffMembership
from reoffense_portal.composition.publishing.snapshot import build_version

DEFAULT_PASSWORD = "demo-pass-2026"
FIXTURES = ("prefectures", "national_priorities", "yamaguchi", "kumamoto", "regional_programme")
# (username, municipality code, role); admin is the superuser.
STAFF = [
    ("yamaguchi-editor", "352039", StaffMembership.Role.EDITOR),
    ("yamaguchi-publisher", "352039", StaffMembership.Role.PUBLISHER),
    ("kumamoto-editor", "431001", StaffMembership.Role.EDITOR),
    ("kumamoto-publisher", "431001", StaffMembership.Role.PUBLISHER),
    # 熊本県's staff: read 熊本市's plan, compare the prefecture's municipalities, follow up those without a plan.
    ("kumamoto-prefecture-editor", "430005", StaffMembership.Role.EDITOR),
]
ADMIN = "admin"


class Command(BaseCommand):
    help = "デモ用の自治体データ（山口市・熊本市）とデモ用アカウントを作成します（開発環境専用）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="DEBUG が無効でも実行します（本番環境では使わないでください）。",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG が無効なため、デモ用アカウントを作成しません（本番環境では実行しないでください）。"
                "開発環境では DEBUG=1 を設定して実行してください。どうしても必要な場合は --force を指定します。"
            )
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        with transaction.atomic():
            call_command("loaddata", *FIXTURES, verbosity=0)
            # Fixtures load without history: record each row's first version, so staff see a diff
            # on their first edit and can revert to the seed. Models that have history are skipped
            # (it says so on stderr, which is not news here).
            call_command("populate_history", auto=True, verbosity=0, stderr=io.StringIO())
            publish_seeded_plans()
            rows = [self.reset_user(ADMIN, password, superuser=True)]
            for username, code, role in STAFF:
                user = self.reset_user(username, password)
                municipality = Municipality.objects.get(pk=code)
                user.memberships.exclude(municipality=municipality).delete()
                StaffMembership.objects.update_or_create(
                    user=user, municipality=municipality, defaults={"role": role}
                )
                rows.append(user)
        self.unlock(rows)
        self.report(rows, password)

    def reset_user(self, username, password, superuser=False):
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(
                f"DEMO_PASSWORD がパスワードの条件を満たしていません（{username}）："
                + " ".join(error.messages)
            ) from error
        user.is_active = True
        user.is_staff = True
        user.is_superuser = superuser
        user.set_password(password)
        user.save()
        if superuser:
            user.memberships.all().delete()
        return user

    def unlock(self, users):
        """Forget failed logins (django-axes) so the demo accounts can log in again."""
        from axes.utils import reset

        for user in users:
            reset(username=user.username)

    def report(self, users, password):
        self.stdout.write(
            self.style.SUCCESS("デモ用のデータとアカウントを用意しました。管理画面：/admin/")
        )
        self.stdout.write(f"パスワード（全アカウント共通）：{password}")
        for user in users:
            if user.is_superuser:
                role = "スーパーユーザー（すべての自治体）"
            else:
                membership = user.memberships.select_related("municipality").get()
                role = f"{membership.municipality.name}の{membership.get_role_display()}"
            self.stdout.write(f"  {user.username:<22} {role}")


def publish_seeded_plans() -> None:
    """The seeded plans go live as their first version, as if a publisher had approved them on their 更新日."""
    for plan in Plan.objects.filter(versions__isnull=True):
        build_version(plan, approved_by=None, summary="初版の公開", live_from=plan.updated_at)
