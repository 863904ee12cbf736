"""backup and restore: the whole portal (rows, change history, uploaded files) in one archive and back."""

import datetime
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import serializers
from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from councils.models import Meeting, MeetingDocument
from plans.models import Challenge, Plan
from reoffense_portal.backups import archive_name, sign
from reoffense_portal.machinery.jobs.models import Job
from tests.staff_world import make_city
from tests.test_project import manage


@pytest.fixture(autouse=True)
def _development(settings):
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


def assert_same_rows(restored: dict, original: dict) -> None:
    """Every row as it was; on a difference, the fields that differ, row by row, rather than two whole tables."""
    differences = []
    for label, rows in original.items():
        after = {row["pk"]: row["fields"] for row in restored.get(label, [])}
        for row in rows:
            fields = after.get(row["pk"])
            if fields is None:
                differences.append(f"{label} {row['pk']}: missing")
                continue
            for name, value in row["fields"].items():
                if fields.get(name) != value:
                    differences.append(f"{label} {row['pk']} {name}: {value!r} → {fields.get(name)!r}")
    assert restored == original, "\n".join(differences[:40])


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
    # A change made in a millisecond's first microseconds: a restore to the millisecond would move it.
    first_change = Plan.history.earliest("history_date")
    Plan.history.filter(pk=first_change.pk).update(history_date=first_change.history_date.replace(microsecond=456))
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
    assert_same_rows(every_row(), rows)  # the same rows, the same history users and dates, the same 更新日
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


def repacked(archive: Path, target: Path, edit, signed=None) -> Path:
    """A copy of `archive` whose members pass through `edit(name, data)` (None leaves a member out).

    With `signed` (manifest → signature) the edited manifest is signed again, as someone holding a key could.
    """
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        manifest = None
        for member in source.getmembers():
            data = edit(member.name, source.extractfile(member).read())
            if member.name == "manifest.json":
                manifest = data
            if member.name == "manifest.sig" and signed is not None:
                data = signed(manifest).encode()
            if data is None:
                continue
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def rewritten(archive: Path, tmp_path: Path, change) -> Path:
    """A copy of `archive`, signed with this portal's key, with its manifest changed by `change` and an extra
    member if it returns one: what only the key's holder could make."""
    extra = []

    def edit(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            extra.append(change(manifest))
            return json.dumps(manifest).encode()
        return data

    target = repacked(archive, tmp_path / "changed.tar.gz", edit, signed=sign)
    if extra[0] is not None:
        # tarfile cannot append to a compressed archive: unpack and pack again with the extra member last.
        with tarfile.open(target) as source:
            members = [(m, source.extractfile(m).read()) for m in source.getmembers()]
        with tarfile.open(target, "w:gz") as out:
            for member, data in members:
                out.addfile(member, io.BytesIO(data))
            out.addfile(extra[0])
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


# --- archives that prove what they hold -------------------------------------------------------


@pytest.fixture
def portal_with_a_backup(db, tmp_path, settings):
    """熊本市's plan, a staff user with a password and two uploaded files, and a backup of them all."""
    call_command("loaddata", "national_priorities", "kumamoto", verbosity=0)
    get_user_model().objects.create_user("kumamoto-editor", password="correct-horse-battery")
    default_storage.save("plans/kumamoto-plan.pdf", ContentFile(b"%PDF-1.7 plan"))
    default_storage.save("meetings/minutes.pdf", ContentFile(b"%PDF-1.7 minutes"))
    return backup(tmp_path)


def edited_rows(change):
    """An `edit` for `repacked` that changes the rows of database.json with `change(rows)`."""
    def edit(name, data):
        if name != "database.json":
            return data
        rows = json.loads(data)
        change(rows)
        return json.dumps(rows, ensure_ascii=False).encode()
    return edit


def the_row(rows, model, **fields):
    (row,) = [r for r in rows if r["model"] == model and fields.items() <= r["fields"].items()]
    return row


def refused(archive: Path, settings, message: str) -> None:
    """`restore --force` of `archive` refused with `message`, the rows and the uploaded files as they were."""
    rows, files = every_row(), uploaded_files(settings.MEDIA_ROOT)
    default_storage.delete("plans/kumamoto-plan.pdf")
    default_storage.save("plans/kumamoto-plan.pdf", ContentFile(b"%PDF-1.7 plan, corrected after the backup"))
    files["plans/kumamoto-plan.pdf"] = b"%PDF-1.7 plan, corrected after the backup"

    with pytest.raises(CommandError, match=message) as refusal:
        call_command("restore", archive, force=True)

    assert "何も変更していません" in str(refusal.value)
    assert every_row() == rows
    assert uploaded_files(settings.MEDIA_ROOT) == files


def test_restore_refuses_an_archive_whose_plan_title_was_changed(portal_with_a_backup, tmp_path, settings):
    def retitle(rows):
        the_row(rows, "plans.plan", title="熊本市再犯防止推進計画")["fields"]["title"] = "書き換えた題名"

    changed = repacked(portal_with_a_backup, tmp_path / "changed.tar.gz", edited_rows(retitle))

    refused(changed, settings, "database.json が作成時の内容と一致しない（チェックサムが違う）")
    assert not Plan.objects.filter(title="書き換えた題名").exists()


def test_restore_refuses_an_archive_whose_password_hash_was_replaced(portal_with_a_backup, tmp_path, settings):
    def replace_hash(rows):
        the_row(rows, "auth.user", username="kumamoto-editor")["fields"]["password"] = make_password("attacker")

    changed = repacked(portal_with_a_backup, tmp_path / "changed.tar.gz", edited_rows(replace_hash))

    refused(changed, settings, "チェックサムが違う")
    assert not get_user_model().objects.get(username="kumamoto-editor").check_password("attacker")


def test_restore_refuses_an_archive_with_a_row_removed_and_its_count_and_checksum_fixed(
    portal_with_a_backup, tmp_path, settings
):
    """Whoever has no key can make the manifest fit the rows, but cannot sign it."""
    removed = {}

    def remove_a_challenge(rows):
        row = next(r for r in rows if r["model"] == "plans.challenge")
        rows.remove(row)
        removed.update(row)

    def fit_the_manifest(name, data):
        if name == "database.json":
            data = edited_rows(remove_a_challenge)(name, data)
            fitted["database.json"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        return data

    fitted = {}
    without_row = repacked(portal_with_a_backup, tmp_path / "without-row.tar.gz", fit_the_manifest)

    def edit(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["counts"]["plans.Challenge"] -= 1
            manifest["files"].update(fitted)
            return json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        return data

    changed = repacked(without_row, tmp_path / "changed.tar.gz", edit)

    refused(changed, settings, "署名が一致しない")
    assert Challenge.objects.filter(pk=removed["pk"]).exists()


def test_restore_refuses_a_truncated_archive(portal_with_a_backup, tmp_path, settings):
    truncated = tmp_path / "truncated.tar.gz"
    data = portal_with_a_backup.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])

    refused(truncated, settings, "途中で切れているか壊れている")


def test_restore_refuses_an_archive_without_its_signature(portal_with_a_backup, tmp_path, settings):
    unsigned = repacked(
        portal_with_a_backup, tmp_path / "unsigned.tar.gz", lambda name, data: None if name == "manifest.sig" else data
    )

    refused(unsigned, settings, r"署名（manifest.sig）がない")


def test_restore_refuses_an_archive_signed_with_another_key(portal_with_a_backup, tmp_path, settings):
    other_key = repacked(
        portal_with_a_backup, tmp_path / "other-key.tar.gz", lambda name, data: data,
        signed=lambda manifest: sign(manifest, "another portal's key, 9Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk"),
    )

    refused(other_key, settings, "別の署名の鍵")


def test_a_truncated_archive_is_refused_on_the_command_line_in_japanese_without_a_traceback(
    portal_with_a_backup, tmp_path
):
    truncated = tmp_path / "truncated.tar.gz"
    data = portal_with_a_backup.read_bytes()
    truncated.write_bytes(data[: len(data) * 2 // 3])

    result = manage("restore", str(truncated), DATABASE_URL=f"sqlite:///{tmp_path / 'untouched.sqlite3'}")

    assert result.returncode == 1
    assert "バックアップのファイルが途中で切れているか壊れているため、復元しません" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "untouched.sqlite3").exists()  # refused before the database was opened


def test_a_backup_signed_with_backup_signing_key_restores_only_with_that_key(db, tmp_path, settings):
    settings.BACKUP_SIGNING_KEY = "the city's backup key, kept in the safe: 4Rt6Yu8Io0Pa2Sd"
    archive = backup(tmp_path)
    settings.SECRET_KEY = "a rotated secret key, which backups do not depend on: 1Qa2Ws3Ed4Rf5Tg6Yh7Uj8Ik9Ol0P"

    call_command("restore", archive, force=True, stdout=io.StringIO())

    settings.BACKUP_SIGNING_KEY = "another city's backup key: 5Tg6Yh7Uj8Ik9Ol0P1Qa2Ws3Ed4Rf"
    with pytest.raises(CommandError, match="別の署名の鍵"):
        call_command("restore", archive, force=True)


def test_a_restore_that_cannot_write_a_file_back_leaves_rows_and_files_as_they_were(
    portal_with_a_backup, settings, monkeypatch
):
    rows = every_row()
    default_storage.delete("plans/kumamoto-plan.pdf")
    default_storage.save("plans/kumamoto-plan.pdf", ContentFile(b"%PDF-1.7 plan, corrected after the backup"))
    files = uploaded_files(settings.MEDIA_ROOT)
    original_save, saved = FileSystemStorage._save, []

    def full_disk_once_on_the_second_file(storage, name, content):
        saved.append(name)
        if len(saved) == 2:
            raise OSError(28, "No space left on device")
        return original_save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full_disk_once_on_the_second_file)
    with pytest.raises(CommandError, match="ファイルを書き戻せなかったため、復元を取り消しました"):
        call_command("restore", portal_with_a_backup, force=True)
    monkeypatch.undo()

    assert saved[:2] == ["meetings/minutes.pdf", "plans/kumamoto-plan.pdf"]  # the first written, then put back
    assert every_row() == rows
    assert uploaded_files(settings.MEDIA_ROOT) == files


def test_the_backup_and_the_deploy_check_warn_of_a_signing_key_anyone_can_know(db, tmp_path, settings):
    settings.SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"
    settings.BACKUP_SIGNING_KEY = ""
    errors = io.StringIO()
    call_command("backup", directory=tmp_path / "backups", stdout=io.StringIO(), stderr=errors)
    assert "署名を誰でも作れます" in errors.getvalue()
    assert "portal.W010" in {message.id for message in run_checks(include_deployment_checks=True)}

    settings.BACKUP_SIGNING_KEY = "short"
    assert "portal.W010" in {message.id for message in run_checks(include_deployment_checks=True)}

    settings.BACKUP_SIGNING_KEY = "the city's backup key, kept in the safe: 4Rt6Yu8Io0Pa2Sd"
    assert "portal.W010" not in {message.id for message in run_checks(include_deployment_checks=True)}


# --- a backup from the admin, as a job ------------------------------------------------------------


def superuser():
    return get_user_model().objects.create_superuser("admin-1", "admin@example.lg.jp", "pw-unused")


@pytest.mark.django_db
def test_a_superuser_backs_up_from_the_admin_and_downloads_the_signed_archive(client, object_storage, run_jobs):
    plan = make_city("431001", "熊本市", "43", "熊本県").plan
    plan.document.save("plan.pdf", ContentFile(b"%PDF-1.7 plan"))
    client.force_login(superuser())
    jobs = client.get("/admin/jobs/job/").content.decode()
    assert "バックアップを作成する" in jobs
    assert "manage.py restore" in client.get("/admin/backup/").content.decode()

    started = client.post("/admin/backup/")
    assert started.status_code == 302
    waiting = client.get(started["Location"]).content.decode()
    assert "順番を待っています" in waiting  # the request only queued it
    run_jobs()
    page = client.get(started["Location"]).content.decode()
    assert "バックアップができました。" in page
    job = Job.objects.get(kind="backup")
    assert job.result["file"] in object_storage.keys()  # kept in the storage, where every app server reads it

    download = client.get(started["Location"].replace("/progress/", "/download/"))
    assert download["Content-Type"] == "application/gzip" and "attachment" in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    with tarfile.open(fileobj=io.BytesIO(b"".join(download.streaming_content)), mode="r:gz") as archive:
        manifest = archive.extractfile("manifest.json").read()
        assert archive.extractfile("manifest.sig").read().decode() == sign(manifest)
        assert f"media/{plan.document.name}" in json.loads(manifest)["files"]
        assert not any(name.startswith("media/jobs/") for name in archive.getnames())  # no backup of backups


@pytest.mark.django_db
def test_staff_who_are_not_superusers_can_neither_back_up_nor_download_a_backup(client, run_jobs):
    admin = superuser()
    client.force_login(admin)
    page = client.post("/admin/backup/")["Location"]
    run_jobs()
    editor = get_user_model().objects.create_user("editor-1", is_staff=True)
    client.force_login(editor)
    assert "バックアップを作成する" not in client.get("/admin/jobs/job/").content.decode()
    assert client.get("/admin/backup/").status_code == 403
    assert client.post("/admin/backup/").status_code == 403
    assert client.get(page.replace("/progress/", "/download/")).status_code == 404
    # A superuser made ordinary staff keeps the job in their list but downloads no password hashes.
    admin.is_superuser = False
    admin.save()
    client.force_login(admin)
    assert client.get(page.replace("/progress/", "/download/")).status_code == 404
    assert Job.objects.filter(kind="backup", status=Job.Status.DONE).count() == 1


@pytest.mark.django_db
def test_a_backup_cut_off_by_a_killed_worker_says_so_in_japanese(client, settings):
    client.force_login(superuser())
    page = client.post("/admin/backup/")["Location"]
    job = Job.objects.get(kind="backup")
    job.begin()
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    text = client.get(page).content.decode()
    assert "バックアップの作成の途中で作業プロセスが止まりました。バックアップは作られていません。" in text
