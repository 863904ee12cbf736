"""backup and restore: the whole portal (rows, change history, uploaded files) in one archive and back."""

import datetime
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.dateparse import parse_datetime

from councils.models import Meeting, MeetingDocument
from plans.models import Plan
from reoffense_portal.backups import archive_name


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = True  # setup_demo runs in development only


def every_row():
    """Every row of every table but content types, permissions and sessions, as comparable text.

    Foreign keys to content types and permissions are written by natural key, since `migrate`
    numbers those afresh in each database.
    """
    skipped = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
    return {
        model._meta.label: [
            # Many-to-many values sorted: a database may list them in any order (PostgreSQL does).
            {**row, "fields": {name: sorted(value) if name in {f.name for f in model._meta.many_to_many} else value
                               for name, value in row["fields"].items()}}
            for row in json.loads(serializers.serialize(
                "json", model._base_manager.order_by("pk"), use_natural_foreign_keys=True
            ))
        ]
        for model in apps.get_models()
        if model._meta.label_lower not in skipped
    }


def row_counts():
    return {model._meta.label: model._base_manager.count() for model in apps.get_models(include_auto_created=True)}


def uploaded_files(media_root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(media_root)): p.read_bytes() for p in media_root.rglob("*") if p.is_file()}


def backup(tmp_path) -> Path:
    out = io.StringIO()
    call_command("backup", directory=tmp_path / "backups", stdout=out)
    (path,) = (tmp_path / "backups").glob("reoffense-portal-*.tar.gz")
    assert f"バックアップを作成しました：{path}" in out.getvalue()
    return path


def demo_with_documents() -> list[str]:
    """The demo cities with a plan document and a meeting document attached; their file names."""
    call_command("setup_demo", stdout=io.StringIO())
    plan = Plan.objects.get(title="熊本市再犯防止推進計画")
    plan.document.save("kumamoto-plan.pdf", ContentFile(b"%PDF-1.7 plan \x00\xff"))
    document = MeetingDocument(
        meeting=Meeting.objects.order_by("pk").first(),
        kind=MeetingDocument.Kind.MINUTES,
        title="議事録",
        file=ContentFile(b"%PDF-1.7 minutes", name="minutes.pdf"),
    )
    document.save()
    return [plan.document.name, document.file.name]


def test_the_archive_is_named_for_the_moment_in_japan():
    moment = datetime.datetime(2026, 11, 30, 18, 0, tzinfo=datetime.UTC)
    assert archive_name(moment) == "reoffense-portal-20261201-0300.tar.gz"


@pytest.mark.django_db
def test_loading_fixtures_records_no_history_and_keeps_the_update_date():
    call_command("loaddata", "national_priorities", "yamaguchi", "kumamoto", verbosity=0)
    history = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.model_name.startswith("historical")
    }
    assert set(history.values()) == {0}, history  # many-to-many fields of loaded rows made none either
    fixture = json.loads(Path("fixtures/kumamoto.json").read_text())
    (plan,) = [row for row in fixture if row["model"] == "plans.plan"]
    assert Plan.objects.get(pk=plan["pk"]).updated_at == parse_datetime(plan["fields"]["updated_at"])


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_row_for_row_and_byte_for_byte(tmp_path, settings):
    attached = demo_with_documents()
    rows, counts = every_row(), row_counts()
    files = uploaded_files(settings.MEDIA_ROOT)
    assert set(attached) <= set(files)
    archive = backup(tmp_path)

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    assert not Plan.objects.exists()
    out = io.StringIO()
    call_command("restore", archive, stdout=out)

    assert archive.stat().st_mode & 0o077 == 0  # passwords and feedback: the owner reads it only
    assert "から復元しました" in out.getvalue()
    assert row_counts() == counts  # every table, change history included: no new history rows
    assert every_row() == rows  # the same rows, the same history users and dates, the same 更新日
    assert uploaded_files(settings.MEDIA_ROOT) == files


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_holds_data_unless_forced(tmp_path):
    demo_with_documents()
    archive = backup(tmp_path)
    plan = Plan.objects.get(title="熊本市再犯防止推進計画")
    plan.title = "バックアップ後に直した題名"
    plan.save()

    with pytest.raises(CommandError, match="このデータベースには既にデータがあるため、復元しません"):
        call_command("restore", archive)
    assert Plan.objects.get(pk=plan.pk).title == "バックアップ後に直した題名"

    call_command("restore", archive, force=True, stdout=io.StringIO())
    plan.refresh_from_db()
    assert plan.title == "熊本市再犯防止推進計画"
    assert not plan.history.filter(title="バックアップ後に直した題名").exists()


def rewritten(archive: Path, tmp_path: Path, change) -> Path:
    """A copy of `archive` with its manifest changed by `change` and an extra member if it returns one."""
    target = tmp_path / "changed.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name == "manifest.json":
                manifest = json.loads(data)
                extra = change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
        if extra is not None:
            out.addfile(extra)
    return target


@pytest.mark.django_db
def test_restore_refuses_a_backup_of_a_newer_version_and_files_outside_the_media_folder(tmp_path, settings):
    archive = backup(tmp_path)

    newer = rewritten(archive, tmp_path, lambda m: m["migrations"].append(["plans", "9999_future"]))
    with pytest.raises(CommandError, match=r"まだないマイグレーション（1件：plans.9999_future）"):
        call_command("restore", newer)

    link = tarfile.TarInfo("media/escape")
    link.type, link.linkname = tarfile.SYMTYPE, "../../etc/passwd"
    hostile = rewritten(archive, tmp_path, lambda m: link)
    with pytest.raises(CommandError, match="通常のファイルではありません"):
        call_command("restore", hostile)
    assert not (Path(settings.MEDIA_ROOT) / "escape").exists()

    not_a_backup = tmp_path / "other.tar.gz"
    with tarfile.open(not_a_backup, "w:gz"):
        pass
    with pytest.raises(CommandError, match="ポータルのバックアップではありません"):
        call_command("restore", not_a_backup)
