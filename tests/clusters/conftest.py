from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.clusters.gias import county, mapping_rows, to_csv


@pytest.fixture
def county_rows():
    return county()


@pytest.fixture
def write(tmp_path):
    """Write bytes to a file and return its path."""
    counter = iter(range(1000))

    def _write(data: bytes, name: str = "file.csv") -> str:
        path = tmp_path / f"{next(counter)}-{name}"
        path.write_bytes(data)
        return str(path)

    return _write


class Run:
    def __init__(self, ok: bool, out: str, err: str, error: str = ""):
        self.ok, self.out, self.err, self.error = ok, out, err, error


@pytest.fixture
def run():
    """Run a management command as the officer would; never raises, tells what happened."""

    def _run(*args) -> Run:
        out, err = StringIO(), StringIO()
        try:
            call_command(*args, stdout=out, stderr=err)
        except CommandError as exc:
            return Run(False, out.getvalue(), err.getvalue(), str(exc))
        return Run(True, out.getvalue(), err.getvalue())

    return _run


@pytest.fixture
def import_county(county_rows, write, run):
    """The realistic county loaded with its cluster mapping and 2024/25 figures."""

    def _import(rows=None, encoding="cp1252", *extra):
        rows = rows or county_rows
        return run(
            "import_gias",
            write(to_csv(rows, encoding)),
            "--la",
            "931",
            "--clusters",
            write(to_csv(mapping_rows(rows), encoding)),
            "--year",
            "2024/25",
            *extra,
        )

    return _import
