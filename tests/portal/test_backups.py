"""An LA's IT team backs the portal up and restores it into an empty environment
(portal/backups.py, ``manage.py backup`` and ``manage.py restore``).

On PostgreSQL with the real object-store server (moto, another process): requests,
ledger entries and documents are backed up, restored by a separate ``manage.py
restore`` process into a fresh database and a fresh bucket, and found intact, row for
row and byte for byte, read back independently of the portal's own checksums. A
restore into a database or a store that already holds something is refused and
changes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from budgets.models import LedgerEntry
from funding.models import FundingRequest, RequestDocument
from tests import objectstore
from tests.budgets.factories import ClusterBudgetFactory, allocate, request_on_agenda
from tests.factories import SchoolFactory, make_user

ROOT = Path(__file__).resolve().parents[2]
CHECKED_TABLES = ("funding_fundingrequest", "budgets_ledgerentry", "funding_requestdocument")

postgres_only = pytest.mark.skipif(
    not settings.USING_POSTGRES and not os.environ.get("CI"),
    reason="pg_dump and pg_restore need PostgreSQL (DATABASE_URL); CI has it",
)


def build_the_county(budget_count: int = 2, requests_each: int = 3):
    """Budgets with allocations, requests on their agendas, two documents each."""
    senco = None
    for b in range(budget_count):
        budget = ClusterBudgetFactory()
        allocate(budget, Decimal("50000.00") + b)
        allocate(budget, Decimal("1234.56"), reason="A top-up from the county reserve")
        school = SchoolFactory(cluster=budget.cluster)
        senco = senco or make_user("senco", school=school)
        for r in range(requests_each):
            fr = request_on_agenda(budget, school=school)
            for kind in ("plan", "report"):
                content = f"%PDF-1.4 {kind} of {fr.reference} {uuid.uuid4()}".encode() * 50
                RequestDocument.objects.create(
                    request=fr,
                    file=ContentFile(content, name=f"{kind}-{r}.pdf"),
                    original_name=f"{kind}.pdf",
                    content_type="application/pdf",
                    size=len(content),
                    uploaded_by=senco,
                )


def source_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 - fixed names
        return cursor.fetchall()


def env_for(database_url: str, bucket: str, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "STORAGE_"))}
    env.update(
        DATABASE_URL=database_url,
        STORAGE_S3_BUCKET=bucket,
        STORAGE_S3_ENDPOINT_URL=endpoint,
        STORAGE_S3_REGION=objectstore.REGION,
        STORAGE_S3_ACCESS_KEY_ID=objectstore.ACCESS_KEY,
        STORAGE_S3_SECRET_ACCESS_KEY=objectstore.SECRET_KEY,
        CONN_MAX_AGE="0",
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def fresh_database():
    """A new, empty PostgreSQL database on the same server, dropped afterwards."""
    server = connection.settings_dict
    name = f"h15_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(
        host=server["HOST"], port=server["PORT"] or 5432, user=server["USER"],
        password=server["PASSWORD"] or None, dbname="postgres", autocommit=True,
    )  # fmt: skip
    admin.execute(f'CREATE DATABASE "{name}"')
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    yield f"{base}/{name}", lambda: psycopg.connect(f"{base}/{name}")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("target", ["blank", "migrated"])
def test_a_backup_restored_into_an_empty_environment_has_every_request_entry_and_document(
    object_store, object_store_server, fresh_database, tmp_path, target
):
    build_the_county()
    assert FundingRequest.objects.count() == 6 and LedgerEntry.objects.count() == 4
    before = {table: source_rows(table) for table in CHECKED_TABLES}
    objects_before = {
        name: hashlib.sha256(object_store.read(name)).hexdigest() for name in object_store.names()
    }
    assert len(objects_before) == 12

    backup_dir = tmp_path / "backup-2026-12-07"
    call_command("backup", str(backup_dir))
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["engine"] == "postgresql"
    assert manifest["tables"]["funding.fundingrequest"]["rows"] == 6
    assert manifest["tables"]["budgets.ledgerentry"]["rows"] == 4
    assert manifest["tables"]["funding.requestdocument"]["rows"] == 12
    assert {o["name"]: o["sha256"] for o in manifest["objects"]} == objects_before
    assert manifest["missing_objects"] == []

    # The new environment: an empty database and an empty bucket, its own process.
    database_url, connect = fresh_database
    new_bucket = objectstore.Bucket(f"restored-{uuid.uuid4().hex[:8]}", object_store_server.url)
    new_bucket.create()
    env = env_for(database_url, new_bucket.name, object_store_server.url)
    if target == "migrated":
        # As a deployment's release step leaves it: every table, none of the LA's rows.
        assert manage("migrate", "--no-input", env=env).returncode == 0
    done = manage("restore", str(backup_dir), env=env)
    assert done.returncode == 0, done.stderr
    assert "every checksum matches the backup" in done.stdout

    # Read back without the portal's code: every row and every byte as it was.
    with connect() as restored:
        for table in CHECKED_TABLES:
            rows = restored.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()  # noqa: S608
            assert rows == before[table], table
    assert {
        name: hashlib.sha256(new_bucket.read(name)).hexdigest() for name in new_bucket.names()
    } == objects_before

    # The ledger is still append-only in the restored database (its triggers came too).
    with connect() as restored, pytest.raises(psycopg.Error):
        restored.execute("UPDATE budgets_ledgerentry SET amount = 0")

    # Again into the same environment: refused, nothing changed.
    again = manage("restore", str(backup_dir), env=env)
    assert again.returncode != 0
    assert "The target database already holds the portal's records" in again.stderr
    assert "nothing changed" in again.stderr
    with connect() as restored:
        rows = restored.execute("SELECT * FROM budgets_ledgerentry ORDER BY id").fetchall()
        assert rows == before["budgets_ledgerentry"]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_restore_into_an_empty_database_but_a_store_with_files_is_refused(
    object_store, object_store_server, fresh_database, tmp_path
):
    build_the_county(budget_count=1, requests_each=1)
    call_command("backup", str(tmp_path / "b"))
    database_url, connect = fresh_database
    # The target store already has the files of some other environment.
    env = env_for(database_url, object_store.name, object_store_server.url)
    done = manage("restore", str(tmp_path / "b"), env=env)
    assert done.returncode != 0
    assert "The target file store already holds files" in done.stderr
    with connect() as target:
        assert target.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_a_restore_over_the_live_portal_is_refused_and_changes_nothing(tmp_path, settings):
    build_the_county(budget_count=1, requests_each=1)
    call_command("backup", str(tmp_path / "b"))
    before = {table: source_rows(table) for table in CHECKED_TABLES}
    with pytest.raises(CommandError, match="already holds the portal's records"):
        call_command("restore", str(tmp_path / "b"))
    assert {table: source_rows(table) for table in CHECKED_TABLES} == before


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_found_before_anything_is_restored(tmp_path):
    build_the_county(budget_count=1, requests_each=1)
    call_command("backup", str(tmp_path / "b"))
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    damaged = tmp_path / "b" / "objects" / manifest["objects"][0]["name"]
    damaged.write_bytes(b"not the document")
    from portal import backups

    with pytest.raises(backups.BackupRefused, match="missing or damaged"):
        backups.check_backup(tmp_path / "b", manifest)


@pytest.mark.django_db
def test_a_backup_goes_into_a_new_folder(tmp_path):
    (tmp_path / "old.txt").write_text("yesterday's")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup", str(tmp_path))


@pytest.mark.skipif(settings.USING_POSTGRES, reason="the embedded default's own path")
@pytest.mark.django_db(transaction=True)
def test_the_embedded_sqlite_portal_is_restored_into_a_new_file(tmp_path):
    import sqlite3

    build_the_county(budget_count=1, requests_each=2)
    before = {table: source_rows(table) for table in CHECKED_TABLES}
    call_command("backup", str(tmp_path / "b"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "STORAGE_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}",
               PRIVATE_MEDIA_ROOT=str(tmp_path / "new-files"))  # fmt: skip
    done = manage("restore", str(tmp_path / "b"), env=env)
    assert done.returncode == 0, done.stderr
    assert "every checksum matches the backup" in done.stdout
    restored = sqlite3.connect(tmp_path / "new.sqlite3")
    for table in CHECKED_TABLES:
        rows = restored.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()  # noqa: S608
        assert len(rows) == len(before[table]) and rows[0][0] == before[table][0][0], table
    copied = sorted(
        p.relative_to(tmp_path / "new-files") for p in (tmp_path / "new-files").rglob("*.pdf")
    )
    assert len(copied) == RequestDocument.objects.count() == 4
