"""Backup and restore of the whole portal: the database and the uploaded files in one archive.

    python manage.py backup     # backups/reoffense-portal-20261201-0300.tar.gz
    python manage.py restore backups/reoffense-portal-20261201-0300.tar.gz

An archive holds

- database.json: every row (Django's dumpdata), change history included.
  Content types and permissions are left out and referred to by natural key
  (app label and model, codename): `migrate` creates them in every database,
  under ids that differ between databases. Sessions are left out too: staff
  sign in again.
- media/: MEDIA_ROOT as it was (plan documents, meeting materials).
- manifest.json: when it was made, the migrations applied, and the row count
  of every table, checked after a restore.

Plain Django serialisation works the same on SQLite and PostgreSQL, needs no
pg_dump matching the server's version, and restores from one into the other.
A restore goes into an empty, migrated database (or replaces everything with
force) in one transaction: all of it or nothing. Loading raw creates no
history rows and moves no 更新日 (plans.signals).
"""

import datetime
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
DATABASE_FILE = "database.json"
MANIFEST_FILE = "manifest.json"
MEDIA_DIR = "media"
# Created by `migrate` in every database, or not worth keeping.
NOT_BACKED_UP = ["contenttypes.contenttype", "auth.permission", "sessions.session"]
# `migrate` creates the staff groups (with their permissions) in an empty database too.
CREATED_BY_MIGRATE = {"auth.group", "auth.group_permissions"}


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


def create_backup(directory: Path) -> Path:
    """Write a dated archive of the database and MEDIA_ROOT into `directory`; returns its path.

    The archive holds password hashes and residents' feedback: only its owner may read it.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / archive_name(timezone.now())
    partial = path.with_name(path.name + ".partial")  # a half-written archive never has the final name
    if path.exists() or partial.exists():
        raise CommandError(f"同じ名前のバックアップが既にあります：{path}。1分以上おいてから実行してください。")
    media_root = Path(settings.MEDIA_ROOT)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = Path(tmp) / DATABASE_FILE
            with _snapshot():
                call_command(
                    "dumpdata",
                    exclude=NOT_BACKED_UP,
                    natural_foreign=True,
                    use_base_manager=True,
                    output=str(database),
                    verbosity=0,
                )
                manifest = {
                    "format": FORMAT,
                    "created_at": timezone.localtime().isoformat(),
                    "migrations": applied_migrations(),
                    "counts": row_counts(),
                }
            with (
                open(partial, "xb", opener=lambda name, flags: os.open(name, flags, 0o600)) as raw,
                tarfile.open(fileobj=raw, mode="w:gz", dereference=True) as archive,
            ):
                _add_bytes(archive, MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
                archive.add(database, arcname=DATABASE_FILE)
                if media_root.is_dir():
                    archive.add(media_root, arcname=MEDIA_DIR)
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore_backup(path: Path, force: bool = False) -> dict[str, int]:
    """Load an archive into this database and MEDIA_ROOT; returns the row counts restored."""
    try:
        archive = tarfile.open(path, "r:gz")
    except (OSError, tarfile.TarError) as error:
        raise CommandError(f"バックアップのファイルを開けませんでした：{path}（{error}）") from error
    with archive, tempfile.TemporaryDirectory() as tmp:
        manifest = _read_manifest(archive, path)
        files = _media_files(archive)
        _check_migrations(manifest)
        if holds_data() and not force:
            raise CommandError(
                "このデータベースには既にデータがあるため、復元しません（上書きを防ぐため）。"
                "空のデータベースを用意して manage.py migrate を実行してから復元してください。"
                "今のデータをすべて消してバックアップの内容に置き換えるときは --force を指定します。"
            )
        database = Path(tmp) / DATABASE_FILE
        _copy_out(archive, archive.getmember(DATABASE_FILE), database)
        try:
            with transaction.atomic():
                if force:
                    call_command("flush", interactive=False, verbosity=0)
                # The backup brings the staff groups with their permissions; migrate's own give way.
                Group.objects.all().delete()
                call_command("loaddata", str(database), verbosity=0)
                counts = row_counts()
                _check_counts(manifest["counts"], counts)
                for member, relative in files:
                    _copy_out(archive, member, Path(settings.MEDIA_ROOT).joinpath(*relative.parts))
        except (DeserializationError, DatabaseError) as error:
            raise CommandError(f"バックアップのデータを読み込めなかったため、何も変更していません（{error}）") from error
    return counts


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
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o644
    archive.addfile(info, fileobj=io.BytesIO(data))


def _read_manifest(archive: tarfile.TarFile, path: Path) -> dict:
    try:
        manifest = json.load(archive.extractfile(MANIFEST_FILE))
        archive.getmember(DATABASE_FILE)
    except (KeyError, AttributeError, ValueError, tarfile.TarError) as error:
        raise CommandError(
            f"ポータルのバックアップではありません（{MANIFEST_FILE} と {DATABASE_FILE} がありません）：{path}"
        ) from error
    if manifest.get("format") != FORMAT:
        raise CommandError(f"このバックアップの形式（{manifest.get('format')}）には対応していません：{path}")
    return manifest


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


def _media_files(archive: tarfile.TarFile) -> list[tuple[tarfile.TarInfo, PurePosixPath]]:
    """The uploaded files of the archive with their paths below MEDIA_ROOT; anything else is refused."""
    files = []
    for member in archive.getmembers():
        parts = PurePosixPath(member.name).parts
        if not parts or parts[0] != MEDIA_DIR or member.isdir():
            continue
        relative = PurePosixPath(*parts[1:])
        if not member.isfile() or ".." in relative.parts or not relative.parts:
            raise CommandError(f"バックアップに復元できない項目があります（通常のファイルではありません）：{member.name}")
        files.append((member, relative))
    return files


def _copy_out(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    """A regular file of the archive written to `target` (never a link, never outside the target)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.extractfile(member) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
