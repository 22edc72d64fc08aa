"""Backups of the whole portal, and their restore into an empty environment
(docs/architecture.md §11; ``manage.py backup`` and ``manage.py restore``).

A backup is a directory:

* ``database.dump``: ``pg_dump --format=custom`` of the ``DATABASE_URL`` database, or
  ``database.sqlite3`` (SQLite's online backup API) on the embedded default;
* ``objects/<name>``: every object of the private file store (documents and report
  files), read through Django's storage API;
* ``manifest.json``: the database file's and every object's size and SHA-256, and
  for every table of the portal its row count and a SHA-256 of its rows' content.

Consistent: on PostgreSQL the checksums are computed, the file store listed and
every object copied inside one REPEATABLE READ transaction whose snapshot pg_dump
shares (``pg_export_snapshot`` / ``--snapshot``), so the dump, the checksums and the
objects describe the same moment; every file a row of that snapshot names is in the
backup (one that is not is reported as missing). On SQLite one transaction holds the
write lock for the whole backup.

A restore refuses, changing nothing, unless the target database has no rows in the
portal's tables and the target store holds no object; it checks the backup's own
checksums before touching anything, and afterwards proves the restored rows and
objects equal the manifest's.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import connection, models, transaction
from django.utils import timezone

from .errors import DomainError
from .storage import STORAGE_ERRORS, private_storage

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_FILE = "database.sqlite3"
OBJECTS = "objects"
CHUNK = 1024 * 1024
# The portal's own records: every model of these apps (and their many-to-many
# tables), and the users. Framework tables (sessions, content types, beat's
# schedule) are in the dump but not checked.
PORTAL_APPS = ("portal", "clusters", "funding", "panels", "budgets", "reports", "accounts")
# Rows the migrations themselves write: a freshly migrated database has them, and is
# still empty for a restore.
SEEDED_BY_MIGRATIONS = {"panels.lettertemplate"}

Say = Callable[[str], None]


class BackupRefused(DomainError):
    """A backup or restore that may not go ahead; nothing was changed."""


@dataclass(frozen=True)
class Table:
    label: str
    name: str
    model: type[models.Model]


def portal_tables() -> list[Table]:
    found = [apps.get_model(settings.AUTH_USER_MODEL)]
    for app in PORTAL_APPS:
        found += apps.get_app_config(app).get_models(include_auto_created=True)
    return sorted(
        (Table(m._meta.label_lower, m._meta.db_table, m) for m in found if m._meta.managed),
        key=lambda t: t.label,
    )


def _row_hash(model: type[models.Model]) -> tuple[int, str]:
    """Rows and a SHA-256 of their content, in primary-key order, every column."""
    columns = [f.attname for f in model._meta.concrete_fields]
    digest = hashlib.sha256()
    rows = 0
    for row in model._base_manager.order_by("pk").values_list(*columns).iterator(2000):
        digest.update(json.dumps(row, default=str, ensure_ascii=False).encode())
        digest.update(b"\n")
        rows += 1
    return rows, digest.hexdigest()


def table_checksums() -> dict[str, dict]:
    """Every portal table's row count and content checksum, as the database is now."""
    answer = {}
    for table in portal_tables():
        rows, sha = _row_hash(table.model)
        answer[table.label] = {"table": table.name, "rows": rows, "sha256": sha}
    return answer


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stored_names(storage: Storage | None = None, path: str = "") -> Iterator[str]:
    """Every object's name in the store (its folders walked through the storage API)."""
    storage = storage or private_storage()
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:  # a local store not yet written to
        return
    for name in files:
        yield posixpath.join(path, name) if path else name
    for folder in folders:
        yield from stored_names(storage, posixpath.join(path, folder) if path else folder)


def referenced_names() -> set[str]:
    """Every file a row names (documents, report files)."""
    names: set[str] = set()
    for table in portal_tables():
        for field in table.model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                names.update(
                    n for n in table.model._base_manager.values_list(field.attname, flat=True) if n
                )
    return names


def _safe_object_path(root: Path, name: str) -> Path:
    path = (root / OBJECTS / name).resolve()
    if not name or name.startswith("/") or (root / OBJECTS).resolve() not in path.parents:
        raise BackupRefused(f"The backup names an object outside its folder: {name!r}.")
    return path


def _pg_env() -> dict[str, str]:
    """libpq's environment for pg_dump and pg_restore, from DATABASE_URL."""
    db = connection.settings_dict
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    if sslmode := db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    env["PGDATABASE"] = db["NAME"]
    return env


def _run(command: list[str]) -> None:
    # pg_dump / pg_restore with arguments of our own making, never a shell.
    done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        raise BackupRefused(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


# --- backup -----------------------------------------------------------------------


def backup(directory: Path, *, say: Say = lambda _: None) -> dict:
    """Write a consistent backup of the database and the file store to ``directory``
    (new, or empty). Returns the manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupRefused(f"{directory} is not empty: back up into a new folder.")
    if connection.in_atomic_block:
        raise BackupRefused("A backup must run on its own, outside any transaction.")
    directory.mkdir(parents=True, exist_ok=True)
    manifest: dict = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "engine": connection.vendor,
    }
    with _one_snapshot():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            say("Dumping the database (pg_dump, custom format)…")
            _run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}",
                 f"--file={directory / PG_DUMP}"]
            )  # fmt: skip
            database_file = directory / PG_DUMP
        else:
            say("Copying the database (SQLite backup)…")
            database_file = directory / SQLITE_FILE
            target = sqlite3.connect(database_file)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        manifest["database"] = {
            "file": database_file.name,
            "bytes": database_file.stat().st_size,
            "sha256": _file_sha256(database_file),
        }
        say("Checksumming the portal's tables…")
        manifest["tables"] = table_checksums()
        referenced = referenced_names()
        say("Copying the file store's objects…")
        manifest["objects"] = _copy_objects_out(directory)
    copied = {o["name"] for o in manifest["objects"]}
    manifest["missing_objects"] = sorted(referenced - copied)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Everything read inside sees the database at one moment, and writes nothing.

    PostgreSQL: a REPEATABLE READ READ ONLY transaction (its snapshot exported to
    pg_dump). SQLite: a plain read transaction on the portal's own connection (WAL
    gives it a snapshot; the backup API reads through it); an IMMEDIATE one would hold
    the write lock and the backup could not read.
    """
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("SELECT count(*) FROM sqlite_master")  # the snapshot starts here
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")


def _copy_objects_out(directory: Path) -> list[dict]:
    try:
        return _copy_each_object(directory)
    except STORAGE_ERRORS as exc:
        raise BackupRefused(
            "The file store did not answer, so no backup was made: try again."
        ) from exc


def _copy_each_object(directory: Path) -> list[dict]:
    storage = private_storage()
    listed = []
    for name in sorted(stored_names(storage)):
        path = _safe_object_path(directory, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with storage.open(name, "rb") as source, path.open("wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        listed.append({"name": name, "bytes": size, "sha256": digest.hexdigest()})
    return listed


# --- restore ----------------------------------------------------------------------


def read_manifest(directory: Path) -> dict:
    try:
        manifest = json.loads((Path(directory) / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupRefused(f"{directory} has no readable {MANIFEST}: is it a backup?") from exc
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"This backup's format ({manifest.get('format')}) is not {FORMAT}.")
    return manifest


def rows_in_target() -> dict[str, int]:
    """Rows in the target database's portal tables (a table not there counts none)."""
    existing = set(connection.introspection.table_names())
    found = {}
    with connection.cursor() as cursor:
        for table in portal_tables():
            if table.name not in existing or table.label in SEEDED_BY_MIGRATIONS:
                continue
            quoted = connection.ops.quote_name(table.name)
            cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 - a model's table
            if count := cursor.fetchone()[0]:
                found[table.label] = count
    return found


def check_target_is_empty() -> None:
    """Refuses unless the database and the file store are both empty."""
    rows = rows_in_target()
    if rows:
        some = ", ".join(f"{label} ({n})" for label, n in sorted(rows.items())[:5])
        raise BackupRefused(
            "The target database already holds the portal's records, so nothing was "
            f"restored and nothing changed. Restore only into an empty database: {some}."
        )
    try:
        first = next(stored_names(), None)
    except STORAGE_ERRORS as exc:
        raise BackupRefused("The target file store did not answer: nothing was restored.") from exc
    if first is not None:
        raise BackupRefused(
            "The target file store already holds files, so nothing was restored and "
            f"nothing changed. Restore only into an empty store (it holds {first!r})."
        )


def check_backup(directory: Path, manifest: dict) -> None:
    """The backup's files are whole: every checksum as the manifest says."""
    database = directory / manifest["database"]["file"]
    if not database.exists() or _file_sha256(database) != manifest["database"]["sha256"]:
        raise BackupRefused(f"The backup's {database.name} is missing or damaged: not restored.")
    for entry in manifest["objects"]:
        path = _safe_object_path(directory, entry["name"])
        if not path.exists() or _file_sha256(path) != entry["sha256"]:
            raise BackupRefused(
                f"The backup's object {entry['name']!r} is missing or damaged: not restored."
            )


def restore(directory: Path, *, say: Say = lambda _: None) -> dict:
    """Restore the backup in ``directory`` into this (empty) environment, then prove it
    (rows and objects against the manifest). Returns what was restored."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest["engine"] != connection.vendor:
        raise BackupRefused(
            f"This is a {manifest['engine']} backup; the target database is {connection.vendor}."
        )
    check_target_is_empty()
    say("Checking the backup's checksums…")
    check_backup(directory, manifest)
    say("Restoring the database…")
    database = directory / manifest["database"]["file"]
    if connection.vendor == "postgresql":
        connection.close()
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", f"--dbname={connection.settings_dict['NAME']}",
             str(database)]
        )  # fmt: skip
    else:
        source = sqlite3.connect(database)
        try:
            connection.ensure_connection()
            source.backup(connection.connection)
        finally:
            source.close()
    connection.close()
    say("Restoring the file store's objects…")
    storage = private_storage()
    for entry in manifest["objects"]:
        with _safe_object_path(directory, entry["name"]).open("rb") as f:
            saved = storage.save(entry["name"], File(f, name=entry["name"]))
        if saved != entry["name"]:
            raise BackupRefused(f"The store saved {entry['name']!r} as {saved!r}.")
    say("Proving the restore against the manifest…")
    problems = verify(manifest)
    if problems:
        raise BackupRefused("The restore does not match the backup: " + "; ".join(problems))
    return {
        "rows": sum(t["rows"] for t in manifest["tables"].values()),
        "tables": len(manifest["tables"]),
        "objects": len(manifest["objects"]),
        "bytes": sum(o["bytes"] for o in manifest["objects"]),
    }


def verify(manifest: dict) -> list[str]:
    """What differs between this environment and the manifest (nothing: [])."""
    problems = []
    now = table_checksums()
    for label, expected in manifest["tables"].items():
        got = now.get(label)
        if got is None:
            problems.append(f"{label} is missing")
        elif (got["rows"], got["sha256"]) != (expected["rows"], expected["sha256"]):
            problems.append(f"{label}: {got['rows']} rows, {expected['rows']} backed up")
    storage = private_storage()
    for entry in manifest["objects"]:
        digest = hashlib.sha256()
        with storage.open(entry["name"], "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != entry["sha256"]:
            problems.append(f"object {entry['name']!r} differs")
    listed = set(stored_names(storage))
    if extra := listed - {o["name"] for o in manifest["objects"]}:
        problems.append(f"{len(extra)} objects not in the backup")
    return problems
