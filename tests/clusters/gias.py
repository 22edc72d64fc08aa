"""Made-up GIAS extracts, cluster mappings and statistics files in the DfE's real layouts.

Never real data: names and numbers are generated, deterministically from a seed.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

GIAS_COLUMNS = (Path(__file__).parent / "gias-columns.txt").read_text().split("\n")
GIAS_COLUMNS = [c for c in GIAS_COLUMNS if c]

LA = ("931", "Oxfordshire")
OTHER_LAS = [("855", "Leicestershire"), ("936", "Surrey"), ("202", "Camden")]
DISTRICTS = ["Cherwell", "Oxford", "South Oxfordshire", "Vale of White Horse", "West Oxfordshire"]

# (TypeOfEstablishment, EstablishmentTypeGroup, PhaseOfEducation, low, high, base roll)
KINDS = [
    ("Community school", "Local authority maintained schools", "Primary", 4, 11, 210),
    ("Voluntary aided school", "Local authority maintained schools", "Primary", 4, 11, 180),
    ("Academy converter", "Academies", "Primary", 4, 11, 300),
    ("Academy converter", "Academies", "Secondary", 11, 18, 1100),
    ("Academy sponsor led", "Academies", "Secondary", 11, 16, 900),
    ("Community school", "Local authority maintained schools", "Middle deemed primary", 8, 12, 400),
    ("Free schools", "Free Schools", "All-through", 4, 18, 1400),
    ("Local authority nursery school", "Local authority maintained schools", "Nursery", 2, 5, 90),
    ("Community special school", "Special schools", "Not applicable", 3, 19, 120),
    ("Academy special converter", "Special schools", "Not applicable", 5, 19, 90),
    ("Further education", "Colleges", "16 plus", 16, 99, 2000),
]
PLACES = ["Banbury", "Bicester", "Witney", "Didcot", "Abingdon", "Thame", "Wantage", "Henley"]
# Names that exercise Windows-1252: a curly apostrophe and accented letters.
SAINTS = ["St Mary’s", "St John’s", "Sainte-Thérèse", "St Edmund’s", "Notre Dame", "Our Lady’s"]


@dataclass
class Establishment:
    row: dict[str, str]

    @property
    def urn(self) -> int:
        return int(self.row["URN"])


def gias_row(urn: int, rng: random.Random, *, la=LA, status="Open", kind=None) -> dict[str, str]:
    """One establishment, every GIAS column present (most blank, as in the real file)."""
    type_name, group, phase, low, high, roll = kind or rng.choice(KINDS)
    place = rng.choice(PLACES)
    name = (
        f"{rng.choice(SAINTS)} {place}" if rng.random() < 0.3 else f"{place} {rng.randint(1, 99)}"
    )
    suffix = {"Primary": "Primary School", "Secondary": "Academy", "Nursery": "Nursery School"}
    name = f"{name} {suffix.get(phase, 'School')}"
    roll = max(20, int(roll * rng.uniform(0.6, 1.3)))
    fsm = int(roll * rng.uniform(0.03, 0.4))
    row = dict.fromkeys(GIAS_COLUMNS, "")
    row.update(
        {
            "URN": str(urn),
            "LA (code)": la[0],
            "LA (name)": la[1],
            "EstablishmentNumber": str(rng.randint(1000, 7999)),
            "EstablishmentName": name,
            "TypeOfEstablishment (code)": str(rng.randint(1, 50)),
            "TypeOfEstablishment (name)": type_name,
            "EstablishmentTypeGroup (name)": group,
            "EstablishmentStatus (code)": {"Open": "1", "Closed": "2"}.get(status, "3"),
            "EstablishmentStatus (name)": status,
            "OpenDate": f"01-09-{rng.randint(1960, 2020)}" if rng.random() < 0.5 else "",
            "PhaseOfEducation (name)": phase,
            "StatutoryLowAge": str(low),
            "StatutoryHighAge": str(high),
            "Gender (name)": "Mixed",
            "ReligiousCharacter (name)": "Church of England" if "St" in name else "Does not apply",
            "SchoolCapacity": str(int(roll * 1.1)),
            "CensusDate": "16-01-2025",
            "NumberOfPupils": str(roll),
            "NumberOfBoys": str(roll // 2),
            "NumberOfGirls": str(roll - roll // 2),
            "PercentageFSM": f"{fsm * 100 / roll:.1f}",
            "FSM": str(fsm),
            "SENStat": str(int(roll * rng.uniform(0.0, 0.05))),
            "SENNoStat": str(int(roll * rng.uniform(0.05, 0.2))),
            "Trusts (name)": "River Learning Trust" if group == "Academies" else "",
            "LastChangedDate": f"{rng.randint(1, 28):02d}-0{rng.randint(1, 9)}-2025",
            "Street": "School Lane",
            "Town": place,
            "County (name)": "Oxfordshire" if la == LA else "",
            "Postcode": f"OX{rng.randint(1, 29)} {rng.randint(1, 9)}AB",
            "HeadFirstName": "Alex",
            "HeadLastName": "Example",
            "GOR (name)": "South East",
            "DistrictAdministrative (name)": rng.choice(DISTRICTS) if la == LA else "Elsewhere",
            "UrbanRural (name)": "(England/Wales) Urban city and town",
            "Easting": str(rng.randint(430000, 470000)),
            "Northing": str(rng.randint(190000, 240000)),
            "Country (name)": "United Kingdom",
        }
    )
    if status == "Closed":
        row["CloseDate"] = f"31-08-{rng.randint(2000, 2024)}"
        row["ReasonEstablishmentClosed (name)"] = "Academy converter"
        for column in ("NumberOfPupils", "PercentageFSM", "FSM", "SENStat", "SENNoStat"):
            row[column] = ""
    if status == "Proposed to open":
        for column in ("NumberOfPupils", "PercentageFSM", "FSM", "SENStat", "SENNoStat"):
            row[column] = ""
    return row


def county(seed: int = 1, *, open_=220, closed=20, proposed_close=5, proposed_open=3, other=60):
    """A realistic extract: the LA's schools in every status, and other LAs' to be skipped."""
    rng = random.Random(seed)
    urns = iter(range(123001, 199999, 7))
    rows = []
    # One of each kind first, so every phase mapping is exercised.
    for kind in KINDS:
        rows.append(gias_row(next(urns), rng, kind=kind))
    statuses = (
        ["Open"] * (open_ - len(KINDS))
        + ["Closed"] * closed
        + ["Open, but proposed to close"] * proposed_close
        + ["Proposed to open"] * proposed_open
    )
    rows += [gias_row(next(urns), rng, status=s) for s in statuses]
    rows += [
        gias_row(next(urns), rng, la=rng.choice(OTHER_LAS), status=rng.choice(["Open", "Closed"]))
        for _ in range(other)
    ]
    rng.shuffle(rows)
    return rows


def to_csv(rows: list[dict], encoding: str = "cp1252", columns: list[str] | None = None) -> bytes:
    buffer = io.StringIO(newline="")
    columns = columns or list(rows[0].keys())
    writer = csv.DictWriter(
        buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def mapping_rows(gias_rows: list[dict], *, la=LA, clusters_per_district=3) -> list[dict]:
    """Each open school of the LA into a locality cluster of its district."""
    result = []
    for row in gias_rows:
        if row["LA (code)"] != la[0] or row["EstablishmentStatus (name)"] == "Closed":
            continue
        district = row["DistrictAdministrative (name)"]
        n = int(row["URN"]) % clusters_per_district + 1
        result.append(
            {
                "URN": row["URN"],
                "District": district,
                "Cluster": f"{district} {n}",
                "Cluster code": f"{district[:3].upper()}-{n}",
            }
        )
    return result


def write_national_extract(path: Path, size_bytes: int, *, seed: int = 1) -> int:
    """A national-sized extract on disk, written as a stream: the county's rows spread
    through other LAs' rows until the file reaches ``size_bytes``. Returns the row count."""
    rng = random.Random(seed)
    ours = county(seed, other=0)
    urns = iter(range(200001, 10**7))
    written = 0
    with open(path, "w", encoding="cp1252", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=GIAS_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        while handle.tell() < size_bytes or ours:
            if ours and rng.random() < 0.05:
                writer.writerow(ours.pop())
            else:
                writer.writerow(gias_row(next(urns), rng, la=rng.choice(OTHER_LAS)))
            written += 1
    return written
