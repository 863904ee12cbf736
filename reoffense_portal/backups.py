"""Backup and restore of the whole portal: the database and the uploaded files in one signed archive.

    python manage.py backup     # backups/reoffense-portal-20261201-0300.tar.gz
    python manage.py restore backups/reoffense-portal-20261201-0300.tar.gz

An archive holds, in this order,

- manifest.json: when it was made, the migrations applied, the row count of
  every table (checked after a restore), and the size and SHA-256 of every
  other member.
- manifest.sig: an HMAC-SHA256 of manifest.json under the backup signing key,
  which is never in the archive (BACKUP_SIGNING_KEY, or a key derived from
  SECRET_KEY with a salt of its own when that is not set).
- database.json: every row (Django's dumpdata), change history included.
  Content types and permissions are left out and referred to by natural key
  (app label and model, codename): `migrate` creates them in every database,
  under ids that differ between databases. Sessions are left out too: staff
  sign in again.
- media/…: every file of the default storage (plan documents, meeting
  materials), read and written through Django's storage API, so local disk and
  object storage alike.

A restore reads the whole archive, checks the signature and every member's
size and checksum before it changes anything, and refuses an archive that is
changed, truncated, unsigned or signed with another key: without the key
nobody can change a row, a password hash or a count and make it fit. The rows
then go into an empty, migrated database (or replace everything with force)
in one transaction, the files after them; if a file cannot be written back,
the files already written are put back as they were and the transaction is
rolled back: all of it or nothing.

Plain Django serialisation works the same on SQLite and PostgreSQL, needs no
pg_dump matching the server's version, and restores from one into the other.
Loading raw creates no history rows and moves no 更新日 (plans.signals).
"""

import datetime
import hashlib
import io
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
import time
import zlib
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from measures.models import SupportKind
from reoffense_portal.machinery.jobs.queue import job_task, start_job

FORMAT = 2  # 1: before checksums and the signature (refused: its content cannot be checked)
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
DATABASE_FILE = "database.json"
MEDIA_DIR = "media"
# Read before the signature is checked, so bounded: a manifest lists a row count per table and a line per file.
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
SIGNATURE_MAX_BYTES = 1024
# The signing key is derived for backups alone: a signature never doubles as a session's or a password reset's.
SIGNATURE_SALT = "reoffense_portal.backups.manifest-signature"
SIGNING_KEY_MIN_LENGTH = 32
# Created by `migrate` in every database, or not worth keeping.
NOT_BACKED_UP = ["contenttypes.contenttype", "auth.permission", "sessions.session"]
# `migrate` creates the staff groups (with their permissions) in an empty database too.
CREATED_BY_MIGRATE = {"auth.group", "auth.group_permissions", "measures.supportkind"}
NOTHING_CHANGED = "データベースとアップロードされたファイルは何も変更していません。"


def archive_name(moment: datetime.datetime) -> str:
    return f"reoffense-portal-{timezone.localtime(moment):%Y%m%d-%H%M}.tar.gz"


def backed_up_tables():
    """Every table the archive holds, many-to-many link tables included (they count rows too)."""
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and meta.label_lower not in NOT_BACKED_UP:
            yield model


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in backed_up_tables()}


def applied_migrations() -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def holds_data() -> bool:
    """Whether the database has anything a restore would replace (beyond what `migrate` creates)."""
    return any(
        model._base_manager.exists()
        for model in backed_up_tables()
        if model._meta.label_lower not in CREATED_BY_MIGRATE
    )


# --- the signing key ---------------------------------------------------------------------------


def _signing_secrets() -> list[str]:
    """BACKUP_SIGNING_KEY; without it SECRET_KEY, then its fallbacks (archives made before a key rotation)."""
    if settings.BACKUP_SIGNING_KEY:
        return [settings.BACKUP_SIGNING_KEY]
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def sign(manifest: bytes, secret: str | None = None) -> str:
    """HMAC-SHA256 of the manifest under a key derived from `secret` (the signing key) and the salt."""
    secret = secret if secret is not None else _signing_secrets()[0]
    return salted_hmac(SIGNATURE_SALT, manifest, secret=secret, algorithm="sha256").hexdigest()


def signed_here(manifest: bytes, signature: str) -> bool:
    return any(constant_time_compare(sign(manifest, secret), signature) for secret in _signing_secrets())


def signing_key_problem() -> str | None:
    """Why the archives' signature would prove nothing, or None: a key anyone can know or guess."""
    key = settings.BACKUP_SIGNING_KEY
    if key:
        if len(key) < SIGNING_KEY_MIN_LENGTH or len(set(key)) < 5:
            return (
                f"BACKUP_SIGNING_KEY が短すぎるか単純すぎます（{SIGNING_KEY_MIN_LENGTH}文字以上の推測できない値に"
                "してください）。バックアップの署名が改変を防げません。"
            )
        return None
    secret = settings.SECRET_KEY
    # Django's own test of SECRET_KEY (security.W009): the development key, or one too short or too simple.
    if secret.startswith("django-insecure") or len(secret) < 50 or len(set(secret)) < 5:
        return (
            "BACKUP_SIGNING_KEY が設定されておらず、SECRET_KEY も開発用の値（または短い値）のため、"
            "バックアップの署名を誰でも作れます。改変されたバックアップを見分けられません。"
        )
    return None


@register(Tags.security, deploy=True)
def backup_signing_key(app_configs, **kwargs):
    problem = signing_key_problem()
    if problem is None:
        return []
    return [CheckWarning(
        problem,
        hint=(
            f"BACKUP_SIGNING_KEY に{SIGNING_KEY_MIN_LENGTH}文字以上の推測できない値を設定し、バックアップとは"
            "別の場所に控えてください（復元するサーバーにも同じ値が要ります）。"
        ),
        id="portal.W010",
    )]


# --- backup ------------------------------------------------------------------------------------


def create_backup(directory: Path, report=None) -> Path:
    """Write a dated, signed archive of the database and the uploaded files into `directory`; returns its path.

    The archive holds password hashes and residents' feedback: only its owner may read it. `report(done,
    total, stage)`, if given, is told how far it has got (a job's progress bar).
    """
    report = report or (lambda done, total=None, stage=None: None)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / archive_name(timezone.now())
    partial = path.with_name(path.name + ".partial")  # a half-written archive never has the final name
    if path.exists() or partial.exists():
        raise CommandError(f"同じ名前のバックアップが既にあります：{path}。1分以上おいてから実行してください。")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = Path(tmp) / DATABASE_FILE
            report(0, None, "データベースの書き出し")
            manifest = _dump_database(database)
            members = {DATABASE_FILE: database, **_copy_media(Path(tmp) / MEDIA_DIR, report)}
            report(0, len(members), "チェックサムの計算")
            manifest["files"] = {}
            for number, (name, copy) in enumerate(members.items(), start=1):
                manifest["files"][name] = _size_and_checksum(copy)
                report(number)
            _write_archive(partial, manifest, members, report)
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _dump_database(database: Path) -> dict:
    """Dump the database into `database`, in one snapshot with the manifest's migrations and counts."""
    with _snapshot():
        call_command(
            "dumpdata",
            format="exact-json",
            exclude=NOT_BACKED_UP,
            natural_foreign=True,
            use_base_manager=True,
            output=str(database),
            verbosity=0,
        )
        return {
            "format": FORMAT,
            "created_at": timezone.localtime().isoformat(),
            "migrations": applied_migrations(),
            "counts": row_counts(),
        }


def _write_archive(partial: Path, manifest: dict, members: dict[str, Path], report) -> None:
    """The gzipped tar, readable by its owner only: the manifest and its signature first, then each member."""
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    with (
        open(partial, "xb", opener=lambda name, flags: os.open(name, flags, 0o600)) as raw,
        tarfile.open(fileobj=raw, mode="w:gz") as archive,
    ):
        _add_bytes(archive, MANIFEST_FILE, manifest_bytes)
        _add_bytes(archive, SIGNATURE_FILE, sign(manifest_bytes).encode())
        report(0, len(members), "圧縮")
        for number, (name, copy) in enumerate(members.items(), start=1):
            with open(copy, "rb") as content:
                _add_file(archive, name, content, copy.stat().st_size)
            report(number)


JOB_FILES = "jobs"
BACKUP_KIND = "backup"


def start_backup(request):
    """管理画面 › 処理の状況 › バックアップを作成する: a superuser queues a backup and follows it on the job's page."""
    if not request.user.is_superuser:
        raise PermissionDenied
    if request.method == "POST":
        with transaction.atomic():
            job = start_job(backup_job, kind=BACKUP_KIND, title="バックアップの作成", owner=request.user)
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))
    return TemplateResponse(request, "admin/jobs/backup.html", {
        **admin.site.each_context(request),
        "title": "バックアップの作成",
        "signing_key_problem": signing_key_problem(),
        "keep_days": settings.JOBS_KEEP_DAYS,
    })


@job_task
def backup_job(job):
    """A superuser's backup from the admin: the archive is written on the worker's disk, then kept in the file
    storage under jobs/ (never itself backed up) for its owner to download until the job is pruned."""
    with tempfile.TemporaryDirectory() as tmp:
        path = create_backup(Path(tmp), report=job.report)
        job.report(0, None, "保存")
        with open(path, "rb") as archive:
            name = default_storage.save(f"{JOB_FILES}/backups/{path.name}", File(archive, name=path.name))
        size = path.stat().st_size
    job.done, job.total, job.stage = 1, 1, "完了"
    return {"file": name, "filename": path.name, "content_type": "application/gzip", "size": size, "attachment": True}


def storage_names(storage=default_storage, directory: str = ""):
    """Every file of `storage` below `directory`, by its storage name (listdir, folder by folder)."""
    try:
        folders, files = storage.listdir(directory)
    except FileNotFoundError:  # a local MEDIA_ROOT nothing was ever uploaded to
        return
    for name in sorted(files):
        yield posixpath.join(directory, name)
    for folder in sorted(folders):
        if not directory and folder == JOB_FILES:
            continue  # what finished jobs made (staff's PDFs): kept a few days, and made again on request
        yield from storage_names(storage, posixpath.join(directory, folder))


def _copy_media(folder: Path, report) -> dict[str, Path]:
    """A copy of every uploaded file, so its checksum and the bytes archived are the same; by archive name."""
    folder.mkdir()
    copies = {}
    names = list(storage_names())
    report(0, len(names), "アップロードされたファイルの複製")
    for number, name in enumerate(names):
        copy = folder / str(number)
        with default_storage.open(name, "rb") as source, open(copy, "wb") as out:
            shutil.copyfileobj(source, out)
        copies[f"{MEDIA_DIR}/{name}"] = copy
        report(number + 1)
    return copies


def _size_and_checksum(path: Path) -> dict:
    with open(path, "rb") as content:
        return {"size": path.stat().st_size, "sha256": hashlib.file_digest(content, "sha256").hexdigest()}


@contextmanager
def _snapshot():
    """All tables read as of one moment while staff may be saving: one read transaction."""
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if fresh and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    _add_file(archive, name, io.BytesIO(data), len(data))


def _add_file(archive: tarfile.TarFile, name: str, content, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    info.mode = 0o600
    archive.addfile(info, fileobj=content)


# --- restore -----------------------------------------------------------------------------------


def restore_backup(path: Path, force: bool = False) -> dict[str, int]:
    """Load a checked archive into this database and the file storage; returns the row counts restored."""
    with tempfile.TemporaryDirectory() as tmp:
        manifest, members = _read_checked(path, Path(tmp))
        _check_migrations(manifest)
        if holds_data() and not force:
            raise CommandError(
                "このデータベースには既にデータがあるため、復元しません（上書きを防ぐため）。"
                "空のデータベースを用意して manage.py migrate を実行してから復元してください。"
                "今のデータをすべて消してバックアップの内容に置き換えるときは --force を指定します。"
            )
        files = {_storage_name(name): copy for name, copy in members.items() if name != DATABASE_FILE}
        replaced = Path(tmp) / "replaced"
        replaced.mkdir()
        try:
            with transaction.atomic():
                if force:
                    call_command("flush", interactive=False, verbosity=0)
                # The backup brings the staff groups with their permissions and the site's kinds of direct
                # support; the ones migrate wrote give way.
                Group.objects.all().delete()
                SupportKind.objects.all().delete()
                SupportKind.history.all().delete()  # the deletions just recorded
                call_command("loaddata", str(members[DATABASE_FILE]), verbosity=0)
                counts = row_counts()
                _check_counts(manifest["counts"], counts)
                _write_media(files, replaced)  # last: on failure it undoes its own writes, the rows roll back
        except (DeserializationError, DatabaseError) as error:
            raise CommandError(f"バックアップのデータを読み込めませんでした（{error}）。{NOTHING_CHANGED}") from error
    return counts


def _read_checked(path: Path, folder: Path) -> tuple[dict, dict[str, Path]]:
    """The archive's manifest and a copy of each of its members in `folder`, by name, once all of them are checked.

    A changed, truncated or unsigned archive is refused with a Japanese message, before anything is restored.
    """
    try:
        archive = tarfile.open(path, "r:gz")
    except FileNotFoundError as error:
        raise CommandError(f"バックアップのファイルがありません：{path}") from error
    except (OSError, EOFError, zlib.error, tarfile.TarError) as error:
        raise CommandError(f"バックアップのファイルを開けませんでした：{path}（{error}）。{NOTHING_CHANGED}") from error
    try:
        with archive:
            return _checked_members(archive, path, folder)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as error:
        raise CommandError(
            f"バックアップのファイルが途中で切れているか壊れているため、復元しません：{path}（{error}）。{NOTHING_CHANGED}"
        ) from error


def _checked_members(archive: tarfile.TarFile, path: Path, folder: Path) -> tuple[dict, dict[str, Path]]:
    members = iter(archive)  # read in order: the manifest and its signature come first, before any content
    first = next(members, None)
    if first is None or first.name != MANIFEST_FILE or not first.isfile() or first.size > MANIFEST_MAX_BYTES:
        raise CommandError(f"ポータルのバックアップではありません（先頭に {MANIFEST_FILE} がありません）：{path}")
    manifest_bytes = archive.extractfile(first).read()
    try:
        manifest = json.loads(manifest_bytes)
        format_ = manifest.get("format")
    except (ValueError, AttributeError) as error:
        raise CommandError(f"ポータルのバックアップではありません（{MANIFEST_FILE} を読めません）：{path}") from error
    if format_ != FORMAT:
        raise CommandError(
            f"このバックアップの形式（{format_}）には対応していません：{path}。"
            + ("署名のない形式のため、内容が改変されていないことを確かめられません。" if format_ == 1 else "")
        )
    second = next(members, None)
    if second is None or second.name != SIGNATURE_FILE or not second.isfile() or second.size > SIGNATURE_MAX_BYTES:
        raise CommandError(
            f"バックアップに署名（{SIGNATURE_FILE}）がないため、改変されていないことを確かめられず、復元しません：{path}。"
            + NOTHING_CHANGED
        )
    signature = archive.extractfile(second).read().decode("ascii", "replace").strip()
    if not signed_here(manifest_bytes, signature):
        raise CommandError(
            "バックアップの署名が一致しないため、復元しません。作成後に内容が書き換えられたか、"
            f"別の署名の鍵（BACKUP_SIGNING_KEY または SECRET_KEY）で作られたバックアップです：{path}。{NOTHING_CHANGED}"
        )
    return manifest, _checked_copies(archive, members, manifest["files"], path, folder)


def _checked_copies(archive, members, expected: dict, path: Path, folder: Path) -> dict[str, Path]:
    """Each member copied into `folder`, after the signed manifest: each must be as it lists, and none missing."""
    copies: dict[str, Path] = {}
    for number, member in enumerate(members):
        if not member.isfile():
            raise CommandError(f"バックアップに復元できない項目があります（通常のファイルではありません）：{member.name}")
        if member.name in copies or member.name not in expected:
            raise CommandError(
                f"バックアップに、作成時の記録にない項目があるため、復元しません：{member.name}。{NOTHING_CHANGED}"
            )
        if member.name != DATABASE_FILE:
            _storage_name(member.name)
        if member.size != expected[member.name]["size"]:
            raise _changed(member.name, path)
        copy = folder / (DATABASE_FILE if member.name == DATABASE_FILE else f"member-{number}")  # loaddata reads .json
        with archive.extractfile(member) as source, open(copy, "wb") as out:
            checksum = _copy_with_checksum(source, out)
        if checksum != expected[member.name]["sha256"]:
            raise _changed(member.name, path)
        copies[member.name] = copy
    missing = sorted(set(expected) - set(copies))
    if missing:
        raise CommandError(
            f"バックアップのファイルが途中で切れているか、項目が欠けているため、復元しません"
            f"（{len(missing)}件：{'、'.join(missing[:5])}）：{path}。{NOTHING_CHANGED}"
        )
    return copies


def _changed(name: str, path: Path) -> CommandError:
    return CommandError(
        f"バックアップの {name} が作成時の内容と一致しない（チェックサムが違う）ため、復元しません。"
        f"作成後に書き換えられたか、壊れています：{path}。{NOTHING_CHANGED}"
    )


def _copy_with_checksum(source, out) -> str:
    digest = hashlib.sha256()
    while chunk := source.read(1024 * 1024):
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest()


def _storage_name(name: str) -> str:
    """The storage name of an archived file (media/plans/x.pdf → plans/x.pdf); anything outside is refused."""
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or parts[0] != MEDIA_DIR or any(part in ("..", ".", "/") or "\\" in part for part in parts):
        raise CommandError(f"バックアップに復元できない項目があります（アップロードされたファイルの外です）：{name}")
    return "/".join(parts[1:])


def _check_migrations(manifest: dict) -> None:
    missing = sorted({tuple(m) for m in manifest["migrations"]} - {tuple(m) for m in applied_migrations()})
    if missing:
        names = "、".join(f"{app}.{name}" for app, name in missing)
        raise CommandError(
            f"このバックアップは、このデータベースにまだないマイグレーション（{len(missing)}件：{names}）の"
            "適用後に作られています。同じ版のポータルで manage.py migrate を実行してから復元してください。"
        )


def _check_counts(expected: dict[str, int], counts: dict[str, int]) -> None:
    different = {label: n for label, n in expected.items() if counts.get(label) != n}
    if different:
        raise CommandError(
            "復元後の件数がバックアップと一致しないため、復元を取り消しました："
            + "、".join(f"{label}（{n}件のはずが{counts.get(label, 0)}件）" for label, n in different.items())
        )


def _write_media(files: dict[str, Path], replaced: Path) -> None:
    """The archive's files written to the storage under their own names; if one fails, the storage as it was."""
    written: list[tuple[str, Path | None]] = []  # each name written, with a copy of the file it replaced
    try:
        for number, (name, copy) in enumerate(files.items()):
            previous = None
            if default_storage.exists(name):
                previous = replaced / str(number)
                with default_storage.open(name, "rb") as old, open(previous, "wb") as out:
                    shutil.copyfileobj(old, out)
                default_storage.delete(name)
            written.append((name, previous))
            with open(copy, "rb") as content:
                saved = default_storage.save(name, File(content, name=name))
            if saved != name:  # the storage chose another name: the rows would point at nothing
                default_storage.delete(saved)
                raise OSError(f"{name} が {saved} として保存されました")
    except Exception as error:
        not_put_back = _put_back(written)
        raise CommandError(
            f"アップロードされたファイルを書き戻せなかったため、復元を取り消しました（{error}）。"
            + (f"次のファイルは元に戻せませんでした：{'、'.join(not_put_back)}" if not_put_back else NOTHING_CHANGED)
        ) from error


def _put_back(written: list[tuple[str, Path | None]]) -> list[str]:
    """Each file written removed, and the one it replaced saved again; the names that could not be."""
    failed = []
    for name, previous in reversed(written):
        try:
            default_storage.delete(name)
            if previous is not None:
                with open(previous, "rb") as content:
                    default_storage.save(name, File(content, name=name))
        except Exception:  # keep putting back the others; the message names this one
            failed.append(name)
    return failed
