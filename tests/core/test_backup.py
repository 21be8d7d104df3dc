"""`backup` and `restore` as an operator runs them: real commands in subprocesses on a real
SQLite file (and a PostgreSQL database of their own in CI's PostgreSQL pass), with the demo
data, a corpus of real inbound mail and uploaded briefing files.

The drill: back up, destroy, restore, and the same rows, the same raw mail bytes and the same
files are back and the site serves. A damaged, changed or wrong-key archive is refused with a
sentence that says which, and every file of the installation is left as it was.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "mail" / "corpus"
MAIL_TABLE = "inbound_inboundmessage"
POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
KEY = Fernet.generate_key().decode()

ADD_BRIEFINGS = """
from django.core.files.base import ContentFile
from microintern.hosts.models import BriefingMaterial
from microintern.programme.models import MicroInternship
mi = MicroInternship.objects.order_by("id").first()
for n in range(3):
    data = b"%PDF-1.4\\n" + bytes([n]) * (2000 + n)
    BriefingMaterial.objects.create(
        micro_internship=mi, token=f"drill-{n}", original_name=f"brief-{n}.pdf",
        content_type="application/pdf", size=len(data), file=ContentFile(data, name="brief"),
    )
"""
HOME_PAGE = """
from django.test import Client
print(Client().get("/", HTTP_HOST="localhost").status_code)
"""


def environment(var_dir: Path, database_url: str | None = None, key: str | None = None):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MICROINTERN_", "DATABASE_URL", "DJANGO_SETTINGS"))
    }
    env.update(PYTHONPATH=str(ROOT / "src"), MICROINTERN_VAR_DIR=str(var_dir))
    if database_url:
        env["DATABASE_URL"] = database_url
    if key:
        env["MICROINTERN_BACKUP_KEY"] = key
    return env


def run(env, *args, ok=True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "microintern", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def build_data(env) -> None:
    run(env, "migrate", "-v", "0")
    run(env, "demo")
    run(env, "import_mail", str(CORPUS))
    run(env, "shell", "-c", ADD_BRIEFINGS)


def site_serves(env) -> None:
    run(env, "check")
    assert run(env, "shell", "-c", HOME_PAGE).stdout.split()[-1] == "200"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def facts(cursor, tables: list[str]) -> dict:
    """Row counts per table and the sha256 of every raw inbound message, read directly."""
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - from the catalogue
        counts[table] = cursor.fetchone()[0]
    cursor.execute(f"SELECT id, raw FROM {MAIL_TABLE}")  # noqa: S608 - a constant
    return {"rows": counts, "raw_mail": {pk: sha256(bytes(raw)) for pk, raw in cursor}}


def sqlite_facts(db_path: Path) -> dict:
    db = sqlite3.connect(db_path)
    try:
        cursor = db.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return facts(cursor, [r[0] for r in cursor.fetchall() if not r[0].startswith("sqlite_")])
    finally:
        db.close()


def files(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): sha256(p.read_bytes())
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A var directory with the demo data, 102 real inbound emails and 3 briefing files."""
    var_dir = tmp_path_factory.mktemp("source") / "var"
    build_data(environment(var_dir))
    return var_dir


@pytest.fixture
def installation(source, tmp_path) -> Path:
    var_dir = tmp_path / "var"
    shutil.copytree(source, var_dir)
    return var_dir


@pytest.mark.slow
@pytest.mark.parametrize("key", [KEY, None], ids=["encrypted", "plain"])
def test_sqlite_drill_back_up_destroy_restore(installation, tmp_path, key):
    env = environment(installation, key=key)
    before = sqlite_facts(installation / "microintern.sqlite3")
    media_before = files(installation / "media")
    assert len(before["raw_mail"]) == 102 and before["rows"]["accounts_student"] > 0
    assert len(media_before) == 3

    archive = tmp_path / "backup.tar"
    said = run(env, "backup", "--output", str(archive)).stdout
    assert "102 inbound emails" in said and "3 uploaded files" in said
    assert ("Encrypted with the backup key" in said) == bool(key)
    assert ("Not encrypted" in said) == (not key)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    if key:  # nothing of the database or the mail readable without the key
        content = archive.read_bytes()
        assert b"SQLite format 3" not in content and b"Received:" not in content
    else:
        with tarfile.open(archive) as tar:
            assert tar.getnames()[-1] == "manifest.json"

    shutil.rmtree(installation)  # the disk is lost: database, WAL, uploaded files
    said = run(env, "restore", str(archive)).stdout
    assert "Restored" in said and "Every row count matches the backup's manifest" in said

    assert sqlite_facts(installation / "microintern.sqlite3") == before
    assert files(installation / "media") == media_before
    site_serves(env)


@pytest.fixture(scope="module")
def archives(source, tmp_path_factory) -> dict[str, Path]:
    """An encrypted and a plain backup of the source installation."""
    directory = tmp_path_factory.mktemp("archives")
    made = {"encrypted": directory / "backup.tar.enc", "plain": directory / "backup.tar"}
    run(environment(source, key=KEY), "backup", "--output", str(made["encrypted"]))
    run(environment(source), "backup", "--output", str(made["plain"]))
    return made


def changed_since_backup(var_dir: Path) -> None:
    """The installation moves on after the backup, so a restore would be visible."""
    db = sqlite3.connect(var_dir / "microintern.sqlite3")
    with db:
        db.execute(f"DELETE FROM {MAIL_TABLE} WHERE id = (SELECT MAX(id) FROM {MAIL_TABLE})")  # noqa: S608
    db.close()
    (var_dir / "media" / "briefings" / "1" / "drill-0").write_bytes(b"changed since")


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def damaged(archives, tmp_path, how: str) -> Path:
    kind = "plain" if how.startswith("plain") else "encrypted"
    archive = tmp_path / archives[kind].name
    shutil.copyfile(archives[kind], archive)
    if how.endswith("truncated"):
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif how == "encrypted, a byte changed":
        header = archive.read_bytes().index(b"\n", 32) + 1
        flip_byte(archive, header + 4 + 500)  # inside the first encrypted part
    elif how.startswith("encrypted, parts"):
        header, parts = encrypted_parts(archive.read_bytes())
        assert len(parts) >= 2
        if how.endswith("swapped"):
            parts[0], parts[1] = parts[1], parts[0]
        elif how.endswith("last one missing"):
            parts.pop()
        else:  # one added after the last
            parts.append(parts[0])
        archive.write_bytes(header + b"".join(parts))
    elif how.startswith("plain, a byte changed in"):
        member = how.rsplit(" ", 1)[-1]
        with tarfile.open(archive) as tar:
            info = next(i for i in tar.getmembers() if i.name.endswith(member))
        flip_byte(archive, info.offset_data + info.size // 2)
    return archive


def encrypted_parts(data: bytes) -> tuple[bytes, list[bytes]]:
    """The header (two lines) and the length-prefixed parts of an encrypted archive."""
    offset = data.index(b"\n", data.index(b"\n") + 1) + 1
    header, parts = data[:offset], []
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        parts.append(data[offset : offset + 4 + length])
        offset += 4 + length
    return header, parts


REFUSALS = [
    ("encrypted, truncated", KEY, "The archive is incomplete: it ends before its last part"),
    ("plain, truncated", None, "The archive is incomplete or is not a microintern backup"),
    ("encrypted, wrong key", Fernet.generate_key().decode(), "encrypted with another key"),
    ("encrypted, no key", None, "The archive is encrypted and no backup key is set"),
    (
        "encrypted, a byte changed",
        KEY,
        "changed or damaged since it was made: part 1 does not match its signature",
    ),
    ("encrypted, parts swapped", KEY, "changed or damaged since it was made: its parts are out"),
    ("encrypted, parts with the last one missing", KEY, "The archive is incomplete"),
    ("encrypted, parts with one added", KEY, "there is data after its last part"),
    (
        "plain, a byte changed in database.sqlite3",
        None,
        "changed or damaged since it was made: database.sqlite3 does not match the sha256",
    ),
    (
        "plain, a byte changed in drill-1",
        None,
        "changed or damaged since it was made: media/briefings/1/drill-1 does not match",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("how", "key", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_bad_archive_is_refused_and_nothing_changes(
    installation, archives, tmp_path, how, key, message
):
    changed_since_backup(installation)
    untouched = files(installation)
    archive = damaged(archives, tmp_path, how)

    done = run(environment(installation, key=key), "restore", "--replace", str(archive), ok=False)

    assert done.returncode == 1
    assert message in done.stderr and "Nothing was changed." in done.stderr
    assert files(installation) == untouched  # database, WAL and uploaded files, byte for byte


def with_manifest(archive: Path, into: Path, change) -> Path:
    """A copy of a plain archive whose manifest says something else (as if made elsewhere)."""
    with tarfile.open(archive) as source, tarfile.open(into, "w") as target:
        for info in source.getmembers():
            data = source.extractfile(info).read()
            if info.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return into


MISFITS = {
    "made on PostgreSQL": (
        lambda m: m["database"].update(engine="postgresql"),
        "The archive holds a postgresql database and this installation uses sqlite",
    ),
    "made by a newer version": (
        lambda m: m["migrations"].append(["hosts", "9999_from_the_future"]),
        "migrations this version lacks (hosts.9999_from_the_future): install that version",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", MISFITS)
def test_an_archive_this_installation_cannot_take_is_refused(
    installation, archives, tmp_path, case
):
    change, message = MISFITS[case]
    archive = with_manifest(archives["plain"], tmp_path / "other.tar", change)
    changed_since_backup(installation)
    untouched = files(installation)

    done = run(environment(installation), "restore", "--replace", str(archive), ok=False)

    assert message in done.stderr and "Nothing was changed." in done.stderr
    assert files(installation) == untouched


@pytest.mark.slow
def test_a_database_with_data_is_replaced_only_when_asked(installation, archives, source):
    changed_since_backup(installation)
    untouched = files(installation)
    env = environment(installation, key=KEY)

    done = run(env, "restore", str(archives["encrypted"]), ok=False)
    assert done.returncode == 1
    assert "The database already holds data (5 user accounts" in done.stderr
    assert "101 inbound emails" in done.stderr and "add --replace" in done.stderr
    assert files(installation) == untouched

    run(env, "restore", "--replace", str(archives["encrypted"]))
    assert sqlite_facts(installation / "microintern.sqlite3") == sqlite_facts(
        source / "microintern.sqlite3"
    )
    assert files(installation / "media") == files(source / "media")


@pytest.mark.slow
def test_the_key_can_come_from_a_file(installation, tmp_path):
    key_file = tmp_path / "backup_key"
    key_file.write_text(KEY + "\n")
    env = environment(installation)
    env["MICROINTERN_BACKUP_KEY_FILE"] = str(key_file)
    archive = tmp_path / "backup.tar.enc"
    assert "Encrypted with the backup key" in run(env, "backup", "--output", str(archive)).stdout

    done = run(environment(installation), "restore", "--replace", str(archive), ok=False)
    assert "no backup key is set" in done.stderr
    run(environment(installation, key=KEY), "restore", "--replace", str(archive))


def test_a_new_key_is_a_key_and_a_bad_key_is_explained(tmp_path):
    env = environment(tmp_path / "var")
    key = run(env, "backup", "--new-key").stdout.strip()
    Fernet(key.encode())  # usable as it is
    env["MICROINTERN_BACKUP_KEY"] = "correct horse battery staple"
    done = run(env, "backup", "--output", str(tmp_path / "b.tar"), ok=False)
    assert "The backup key is not a valid key" in done.stderr and "--new-key" in done.stderr
    assert not (tmp_path / "b.tar").exists()


# PostgreSQL ---------------------------------------------------------------------------------


def postgres_facts(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as db, db.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return facts(cursor, [r[0] for r in cursor.fetchall()])


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as db:
        db.execute(sql)


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_drill_back_up_drop_restore(tmp_path):
    name = f"backupdrill_{uuid.uuid4().hex[:12]}"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    var_dir = tmp_path / "var"
    env = environment(var_dir, database_url=url, key=KEY)
    admin(f'CREATE DATABASE "{name}"')
    try:
        build_data(env)
        before = postgres_facts(url)
        media_before = files(var_dir / "media")
        assert len(before["raw_mail"]) == 102 and len(media_before) == 3
        archive = tmp_path / "backup.tar.enc"
        run(env, "backup", "--output", str(archive))

        admin(f'DROP DATABASE "{name}" WITH (FORCE)')
        shutil.rmtree(var_dir)
        admin(f'CREATE DATABASE "{name}"')  # a new, empty database to restore into
        said = run(env, "restore", str(archive)).stdout
        assert "Every row count matches the backup's manifest" in said

        assert postgres_facts(url) == before
        assert files(var_dir / "media") == media_before
        site_serves(env)

        done = run(env, "restore", str(archive), ok=False)
        assert "The database already holds data (5 user accounts" in done.stderr
        run(env, "restore", "--replace", str(archive))  # over itself: the same again
        assert postgres_facts(url) == before

        flip_byte(archive, archive.read_bytes().index(b"\n", 32) + 4 + 500)
        done = run(env, "restore", "--replace", str(archive), ok=False)
        assert "part 1 does not match its signature" in done.stderr
        assert postgres_facts(url) == before
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
