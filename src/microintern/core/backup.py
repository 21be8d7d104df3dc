"""Backups that restore: one archive file with the database, the uploaded files and a
manifest, encrypted when a backup key is set; restoring checks all of it before it changes
anything.

The archive is a tar file. Its members: the database (`database.sqlite3`, a copy made with
SQLite's online backup API, or `database.pgdump`, `pg_dump --format=custom`), every file
under MEDIA_ROOT (`media/...`: hosts' briefings) and, last, `manifest.json`: when it was made,
by which version, the migrations applied, the row count of every table, the sha256 of every
other member and a digest of the raw bytes of every inbound email. The raw inbound mail is
stored in the database (`InboundMessage.raw`), so it comes with the database.

With a key (MICROINTERN_BACKUP_KEY, or a file named by MICROINTERN_BACKUP_KEY_FILE) the tar
is written as a sequence of numbered Fernet tokens (1 MiB each, the last one marked as last),
so a wrong key, a changed byte, a reordered, missing or added piece are each refused.
"""

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
ENCRYPTED_MAGIC = b"microintern-backup-encrypted-1\n"
CHUNK_BYTES = 1 << 20
_CHUNK_HEADER = struct.Struct(">Q?")  # piece number, last piece
_TOKEN_LENGTH = struct.Struct(">I")
_KEY_CHECK = b"microintern backup key check"
# What makes a database "hold data" (a freshly migrated one has seeded survey instruments,
# content types and permissions, none of these).
DATA_MODELS = [
    (settings.AUTH_USER_MODEL, "user accounts"),
    ("accounts.Student", "students"),
    ("programme.MicroInternship", "micro-internships"),
    ("inbound.InboundMessage", "inbound emails"),
]

NOTHING_CHANGED = "Nothing was changed."
NEW_KEY_HINT = "make one with `python -m microintern backup --new-key`"


class BackupError(Exception):
    """A backup or restore refused: the message says why, in words for the operator."""


@dataclass
class Summary:
    path: Path
    manifest: dict
    encrypted: bool
    newer_code: bool = False

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())

    @property
    def media_files(self) -> int:
        return sum(1 for name in self.manifest["members"] if name.startswith(MEDIA_PREFIX))


# Keys ---------------------------------------------------------------------------------------


def configured_key() -> str | None:
    """The backup key from the environment, or None (the archive is then not encrypted)."""
    key = os.environ.get("MICROINTERN_BACKUP_KEY", "").strip()
    key_file = os.environ.get("MICROINTERN_BACKUP_KEY_FILE", "")
    if not key and key_file:
        try:
            key = Path(key_file).read_text().strip()
        except OSError as error:
            raise BackupError(
                f"MICROINTERN_BACKUP_KEY_FILE names {key_file}, which cannot be read ({error})."
            ) from error
    return key or None


def new_key() -> str:
    return Fernet.generate_key().decode()


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError as error:
        raise BackupError(
            f"The backup key is not a valid key (32 bytes in URL-safe base64): {NEW_KEY_HINT}."
        ) from error


def _key_check(key: str) -> bytes:
    """A short value that tells a wrong key from a damaged archive, and reveals nothing."""
    return hmac.new(key.encode(), _KEY_CHECK, hashlib.sha256).hexdigest()[:32].encode()


# Backup -------------------------------------------------------------------------------------


def create_backup(output: Path, key: str | None) -> Summary:
    """Write the archive to `output` (made whole or not at all), readable by the owner only."""
    fernet = _fernet(key) if key else None
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if output.is_relative_to(media_root):
        raise BackupError(f"Write the backup outside MEDIA_ROOT ({media_root}).")
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as tmp:
        tmp = Path(tmp)
        members: dict[str, dict] = {}
        tar_path = tmp / "archive.tar"
        with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
            if connection.vendor == "sqlite":
                snapshot = _sqlite_snapshot(tmp / SQLITE_MEMBER)
                database = {"engine": "sqlite", **snapshot}
                _add_file(tar, members, SQLITE_MEMBER, tmp / SQLITE_MEMBER)
            elif connection.vendor == "postgresql":
                snapshot = _postgres_dump(tmp / POSTGRES_MEMBER)
                database = {"engine": "postgresql", **snapshot}
                _add_file(tar, members, POSTGRES_MEMBER, tmp / POSTGRES_MEMBER)
            else:
                raise BackupError(
                    f"Backups support SQLite and PostgreSQL, not {connection.vendor}."
                )
            if media_root.is_dir():
                for path in sorted(p for p in media_root.rglob("*") if p.is_file()):
                    name = MEDIA_PREFIX + path.relative_to(media_root).as_posix()
                    _add_file(tar, members, name, path)
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "app_version": _app_version(),
                "database": {"engine": database["engine"]},
                "migrations": database["migrations"],
                "tables": database["tables"],
                "inbound_mail": database["inbound_mail"],
                "members": members,
            }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, _now_timestamp()
            tar.addfile(info, _BytesReader(data))
        partial = tmp / "archive.out"
        if fernet:
            with tar_path.open("rb") as plain, partial.open("wb") as out:
                _encrypt(plain, out, fernet, _key_check(key))
        else:
            tar_path.rename(partial)
        partial.chmod(0o600)
        os.replace(partial, output)
    return Summary(path=output, manifest=manifest, encrypted=bool(fernet))


def _now_timestamp() -> int:
    return int(datetime.now(UTC).timestamp())


class _BytesReader:
    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset : end], min(end, len(self.data))
        return chunk


class _HashingReader:
    def __init__(self, file: BinaryIO):
        self.file, self.hash = file, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        self.hash.update(chunk)
        return chunk


def _add_file(tar: tarfile.TarFile, members: dict, name: str, path: Path) -> None:
    with path.open("rb") as file:
        stat = os.fstat(file.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = stat.st_size, 0o600, int(stat.st_mtime)
        reader = _HashingReader(file)
        tar.addfile(info, reader)
    members[name] = {"sha256": reader.hash.hexdigest(), "size": info.size}


def _sqlite_path() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def _sqlite_snapshot(dest: Path) -> dict:
    source_path = _sqlite_path()
    if not source_path.exists():
        raise BackupError(f"There is no database at {source_path} to back up.")
    timeout = settings.LOCK_TIMEOUT_SECONDS
    source = sqlite3.connect(source_path, timeout=timeout)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # a consistent copy while the site keeps running
    finally:
        source.close()
        target.close()
    return _sqlite_facts(dest)


def _sqlite_facts(path: Path) -> dict:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = db.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        return _facts(cursor, [row[0] for row in cursor.fetchall()])
    finally:
        db.close()


def _postgres_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    return [row[0] for row in cursor.fetchall()]


def _facts(cursor, tables: list[str]) -> dict:
    """Row counts per table, the migrations applied and the raw inbound mail's digest."""
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
        counts[table] = cursor.fetchone()[0]
    migrations = []
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [[app, name] for app, name in cursor.fetchall()]
    return {
        "tables": counts,
        "migrations": migrations,
        "inbound_mail": _mail_digest(cursor) if _mail_table() in counts else _no_mail(),
    }


def _mail_table() -> str:
    return apps.get_model("inbound", "InboundMessage")._meta.db_table


def _no_mail() -> dict:
    return {"messages": 0, "digest": hashlib.sha256().hexdigest()}


def _mail_digest(cursor) -> dict:
    """One sha256 over every message's id and the sha256 of its raw bytes, in id order."""
    digest, messages = hashlib.sha256(), 0
    cursor.execute(f'SELECT id, raw FROM "{_mail_table()}" ORDER BY id')  # noqa: S608
    while rows := cursor.fetchmany(50):  # each up to the size limit of one email
        for pk, raw in rows:
            digest.update(f"{pk}:{hashlib.sha256(bytes(raw)).hexdigest()}\n".encode())
            messages += 1
    return {"messages": messages, "digest": digest.hexdigest()}


def _postgres_environment() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for variable, value in [
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", db.get("NAME")),
        ("PGSSLMODE", db.get("OPTIONS", {}).get("sslmode")),
    ]:
        if value:
            env[variable] = str(value)
    return env


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed programs, arguments are not a shell
            command, env=_postgres_environment(), capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} is not installed (Debian package postgresql-client): {what} needs it."
        ) from error
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({what}): {done.stderr.strip()}")


def _postgres_dump(dest: Path) -> dict:
    """pg_dump reads the same snapshot the counts are made in, so they describe the dump."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        facts = _facts(cursor, _postgres_tables(cursor))
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot_id}", f"--file={dest}"],
            "backup",
        )
    return facts


def _app_version() -> str:
    try:
        return metadata.version("microintern")
    except metadata.PackageNotFoundError:
        return "unknown"


# Restore ------------------------------------------------------------------------------------


def restore_backup(archive: Path, key: str | None, replace: bool = False) -> Summary:
    """Check the whole archive, then replace the database and write the uploaded files.

    Refused, with nothing changed: an archive that is incomplete, changed, encrypted with
    another key (or encrypted and no key set), made on the other database engine or by a
    newer version; a database that holds data, unless `replace`.
    """
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist. {NOTHING_CHANGED}")
    with tempfile.TemporaryDirectory(prefix="microintern-restore-") as tmp:
        tmp = Path(tmp)
        encrypted = _is_encrypted(archive)
        tar_path = archive
        if encrypted:
            tar_path = tmp / "archive.tar"
            with archive.open("rb") as source, tar_path.open("wb") as plain:
                _decrypt(source, plain, key)
        manifest = _extract_verified(tar_path, tmp / "members")
        newer_code = _check_fits(manifest)
        if not replace:
            _refuse_if_holds_data()
        _restore_database(manifest, tmp / "members")
        _restore_media(manifest, tmp / "members")
    after = _live_facts()
    for fact in ("tables", "inbound_mail"):
        if after[fact] != manifest[fact]:
            raise BackupError(
                f"The restored database differs from the backup's manifest ({fact}): "
                "restore again with --replace, and keep this archive."
            )
    return Summary(path=archive, manifest=manifest, encrypted=encrypted, newer_code=newer_code)


def _is_encrypted(archive: Path) -> bool:
    with archive.open("rb") as file:
        return file.read(len(ENCRYPTED_MAGIC)) == ENCRYPTED_MAGIC


INCOMPLETE = (
    "The archive is incomplete: it ends before its last part (cut short while it was copied "
    "or written?). " + NOTHING_CHANGED
)
CHANGED = "The archive has been changed or damaged since it was made: {detail}. " + NOTHING_CHANGED


def _encrypt(plain: BinaryIO, out: BinaryIO, fernet: Fernet, key_check: bytes) -> None:
    out.write(ENCRYPTED_MAGIC + key_check + b"\n")
    number, chunk = 0, plain.read(CHUNK_BYTES)
    while True:
        following = plain.read(CHUNK_BYTES)
        token = fernet.encrypt(_CHUNK_HEADER.pack(number, not following) + chunk)
        out.write(_TOKEN_LENGTH.pack(len(token)) + token)
        if not following:
            return
        number, chunk = number + 1, following


def _decrypt(source: BinaryIO, out: BinaryIO, key: str | None) -> None:
    source.read(len(ENCRYPTED_MAGIC))
    key_check = source.readline().strip()
    if not key:
        raise BackupError(
            "The archive is encrypted and no backup key is set: set MICROINTERN_BACKUP_KEY (or "
            "MICROINTERN_BACKUP_KEY_FILE) to the key it was made with. " + NOTHING_CHANGED
        )
    fernet = _fernet(key)
    if not hmac.compare_digest(key_check, _key_check(key)):
        raise BackupError(
            "The archive was encrypted with another key than the one set: set "
            "MICROINTERN_BACKUP_KEY to the key it was made with. " + NOTHING_CHANGED
        )
    number = 0
    while True:
        length = source.read(_TOKEN_LENGTH.size)
        if len(length) < _TOKEN_LENGTH.size:
            raise BackupError(INCOMPLETE)
        token = source.read(_TOKEN_LENGTH.unpack(length)[0])
        if len(token) < _TOKEN_LENGTH.unpack(length)[0]:
            raise BackupError(INCOMPLETE)
        try:
            plain = fernet.decrypt(token)
        except InvalidToken as error:
            raise BackupError(
                CHANGED.format(detail=f"part {number + 1} does not match its signature")
            ) from error
        index, last = _CHUNK_HEADER.unpack(plain[: _CHUNK_HEADER.size])
        if index != number:
            raise BackupError(CHANGED.format(detail="its parts are out of order"))
        out.write(plain[_CHUNK_HEADER.size :])
        if last:
            break
        number += 1
    if source.read(1):
        raise BackupError(CHANGED.format(detail="there is data after its last part"))


def _extract_verified(tar_path: Path, into: Path) -> dict:
    """Every member extracted and its sha256 checked against the manifest."""
    into.mkdir()
    seen: dict[str, str] = {}
    manifest = None
    try:
        with tarfile.open(tar_path, "r:") as tar:
            for info in tar:
                name = info.name
                if name == MANIFEST:
                    manifest = json.loads(tar.extractfile(info).read())
                    continue
                path = PurePosixPath(name)
                if not info.isfile() or path.is_absolute() or ".." in path.parts:
                    raise BackupError(CHANGED.format(detail=f"it holds an unexpected {name!r}"))
                target = into / path
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with tar.extractfile(info) as member, target.open("wb") as out:
                    while chunk := member.read(CHUNK_BYTES):
                        digest.update(chunk)
                        out.write(chunk)
                seen[name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(
            "The archive is incomplete or is not a microintern backup (its tar file cannot be "
            f"read: {error}). " + NOTHING_CHANGED
        ) from error
    except ValueError as error:  # the manifest is not JSON
        raise BackupError(CHANGED.format(detail="its manifest cannot be read")) from error
    if manifest is None:
        raise BackupError(
            "The archive has no manifest: it is incomplete (the manifest is written last) or "
            "not a microintern backup. " + NOTHING_CHANGED
        )
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"The archive is in backup format {manifest.get('format')!r}; this version reads "
            f"format {FORMAT}. " + NOTHING_CHANGED
        )
    expected = {name: member["sha256"] for name, member in manifest["members"].items()}
    for name in sorted(expected.keys() | seen.keys()):
        if name not in seen:
            raise BackupError(CHANGED.format(detail=f"{name} is missing"))
        if name not in expected:
            raise BackupError(CHANGED.format(detail=f"{name} is not in its manifest"))
        if not hmac.compare_digest(seen[name], expected[name]):
            raise BackupError(
                CHANGED.format(detail=f"{name} does not match the sha256 in its manifest")
            )
    return manifest


def _check_fits(manifest: dict) -> bool:
    """Refuse an archive of the other engine or of a newer version; True if the code is newer."""
    engine = manifest["database"]["engine"]
    if engine != connection.vendor:
        raise BackupError(
            f"The archive holds a {engine} database and this installation uses "
            f"{connection.vendor} (DATABASE_URL). " + NOTHING_CHANGED
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    archived = {tuple(m) for m in manifest["migrations"]}
    unknown = sorted(archived - known)
    if unknown:
        listed = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(
            f"The backup was made by a newer version ({manifest['app_version']}) with "
            f"migrations this version lacks ({listed}): install that version first. "
            + NOTHING_CHANGED
        )
    return bool(known - archived)


def _refuse_if_holds_data() -> None:
    tables = set(connection.introspection.table_names())
    held = []
    with connection.cursor() as cursor:
        for label, words in DATA_MODELS:
            table = apps.get_model(label)._meta.db_table
            if table in tables:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - a model's table
                count = cursor.fetchone()[0]
                if count:
                    held.append(f"{count} {words}")
    if held:
        raise BackupError(
            f"The database already holds data ({', '.join(held)}). Restoring replaces all of "
            "it with the backup's: add --replace to do that. " + NOTHING_CHANGED
        )


def _restore_database(manifest: dict, members: Path) -> None:
    connections.close_all()
    if manifest["database"]["engine"] == "sqlite":
        target_path = _sqlite_path()
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{members / SQLITE_MEMBER}?mode=ro", uri=True)
        target = sqlite3.connect(target_path, timeout=settings.LOCK_TIMEOUT_SECONDS)
        try:
            source.backup(target)  # page by page, in one write transaction on the target
        finally:
            source.close()
            target.close()
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={settings.DATABASES['default']['NAME']}",
                str(members / POSTGRES_MEMBER),
            ],
            "restore (the database is as it was: pg_restore ran in one transaction)",
        )


def _restore_media(manifest: dict, members: Path) -> None:
    media_root = Path(settings.MEDIA_ROOT)
    for name in manifest["members"]:
        if not name.startswith(MEDIA_PREFIX):
            continue
        target = media_root / PurePosixPath(name.removeprefix(MEDIA_PREFIX))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(members / name, partial)
        os.replace(partial, target)


def _live_facts() -> dict:
    if connection.vendor == "sqlite":
        return _sqlite_facts(_sqlite_path())
    with connection.cursor() as cursor:
        return _facts(cursor, _postgres_tables(cursor))
