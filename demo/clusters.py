"""Demo step: districts, locality clusters, schools, two years of statistics and users.

County scale builds an Oxfordshire-shaped county (5 districts, 17 locality clusters,
~300 schools); national scale builds 20,000 schools in 1,500 clusters over 150 local
authorities for benchmarks. Both go through the same plan-then-bulk-insert path, so the
county demo exercises the code the benchmark times.

School names are put together from real place names and generic GIAS-style suffixes;
every figure is invented. A name that matches a real school says nothing about it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from clusters.models import Cluster, District, Membership, Phase, Role, School, SchoolYearStats
from demo.context import DemoContext, DemoLogin

BATCH = 2000

# The logins a newcomer is shown (``manage.py demo_logins`` reads this, so it works on a
# second run without the context). Usernames are fixed; the school and cluster they
# belong to come from the seed.
ADMIN = "admin"
LA_SEND = "la.send"
LA_FINANCE = "la.finance"
LA_DPO = "la.dpo"
DEMO_SENCO = "senco.demo"
DEMO_HEAD = "head.demo"
DEMO_PANEL = "panel.demo"

DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "SENCO",
        DEMO_SENCO,
        "start a funding request for a pupil without an EHCP, then submit it",
    ),
    DemoLogin(
        "Headteacher",
        DEMO_HEAD,
        "see your school's requests and your cluster's budget; chair your cluster panel",
    ),
    DemoLogin(
        "Panel member (educational psychologist)",
        DEMO_PANEL,
        "open the next meeting's agenda and record a moderation view",
    ),
    DemoLogin(
        "LA SEND officer",
        LA_SEND,
        "triage submitted requests and schedule them on a panel agenda",
    ),
    DemoLogin(
        "LA finance officer",
        LA_FINANCE,
        "watch every cluster budget county-wide; allocate by formula",
    ),
    DemoLogin(
        "Data protection officer",
        LA_DPO,
        "search the view audit (who opened which request, when) and export it",
    ),
    DemoLogin("Administrator", ADMIN, "Django admin at /admin/: users and memberships"),
)


def academic_year_of(day: date) -> int:
    """The academic year a day falls in, by its starting calendar year (September start)."""
    return day.year if day.month >= 9 else day.year - 1


# --------------------------------------------------------------------------- the plan


@dataclass
class _DistrictPlan:
    code: str
    name: str
    la_code: str
    la_name: str
    # 0..1: pulls FSM up (Oxford city, deprived national LAs).
    deprivation: float


@dataclass
class _ClusterPlan:
    district: int
    code: str
    name: str
    postcode_area: str
    deprivation: float


@dataclass
class _SchoolPlan:
    cluster: int
    urn: int
    name: str
    phase: str
    gias_phase: str
    establishment_type: str
    type_group: str
    low_age: int
    high_age: int
    establishment_number: str
    postcode: str
    trust_name: str = ""
    # "magnet" schools take SEN joiners from elsewhere; "narrow" ones take too few and
    # exclude more: the signals the inclusiveness report is meant to find.
    kind: str = "ordinary"


@dataclass
class _Plan:
    districts: list[_DistrictPlan] = field(default_factory=list)
    clusters: list[_ClusterPlan] = field(default_factory=list)
    schools: list[_SchoolPlan] = field(default_factory=list)


# GIAS "TypeOfEstablishment (name)" and "EstablishmentTypeGroup (name)", weighted by how
# common each is for the phase.
_MAINSTREAM_TYPES = (
    ("Academy converter", "Academies", 40),
    ("Academy sponsor led", "Academies", 10),
    ("Community school", "Local authority maintained schools", 30),
    ("Foundation school", "Local authority maintained schools", 4),
    ("Free schools", "Free Schools", 4),
)
# Church schools (the name says so) are voluntary controlled or aided, or church academies.
_CHURCH_TYPES = (
    ("Academy converter", "Academies", 45),
    ("Voluntary controlled school", "Local authority maintained schools", 30),
    ("Voluntary aided school", "Local authority maintained schools", 25),
)
_SPECIAL_TYPES = (
    ("Community special school", "Special schools", 5),
    ("Academy special converter", "Special schools", 4),
    ("Free schools special", "Special schools", 1),
)
_CHURCH_TRUSTS = {"Catholic": "St Frideswide Catholic Multi Academy Trust"}
_DIOCESAN_TRUST = "Oxford Diocesan Schools Trust"
_TRUSTS = (
    "River Learning Trust",
    "Cherwell Valley Learning Partnership",
    "Vale Academy Trust",
    "Ridgeway Education Trust",
    "White Horse Federation",
    "Thames Partnership Learning Trust",
    "Aspirations Academies Trust",
)
_SAINTS = ("Mary", "John", "Joseph", "Nicholas", "Peter", "Michael", "Andrew", "Edburg")
_FIRST_NAMES = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Ivy", "Arthur", "Freya", "Leo", "Lily", "Oscar", "Grace", "Harry", "Sophia", "Jack", "Emily", "Charlie", "Ella", "Jacob", "Mia", "Thomas", "Ruby", "Alfie", "Evie", "Henry", "Aisha", "Muhammad", "Priya", "Daniel", "Hannah", "Samuel", "Chloe", "Joseph", "Zara", "James", "Rosie", "William", "Megan", "David"]  # fmt: skip
_LAST_NAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Harris", "Lewis", "Morris", "Ahmed", "Turner", "Hill", "Cooper", "Ward", "Morgan", "Begum", "Price", "Bennett", "Fisher", "Shaw"]  # fmt: skip

# Oxfordshire: ONS district codes, locality clusters, postcode districts and the places
# (towns, villages, neighbourhoods) its primary schools are named after.
_OXFORDSHIRE: tuple[tuple[str, str, float, tuple[tuple[str, str, str, tuple[str, ...]], ...]], ...] = (
    (
        "E07000177",
        "Cherwell",
        0.35,
        (
            ("CHR-BAN", "Banbury", "OX16", ("Hardwick", "Grimsbury", "Queensway", "Ruscote", "Hill View", "Orchard Fields", "Longford Park", "Dashwood", "Bodicote", "Wroxton", "Drayton", "Neithrop", "Easington", "Cherwell Heights", "Hanwell Fields", "Calthorpe")),
            ("CHR-BIC", "Bicester", "OX26", ("Glory Farm", "Langford Village", "Longfields", "Brookside", "Southwold", "Kingsmere", "Whitelands", "Elmsbrook", "Launton", "Ambrosden", "Arncott", "Chesterton", "Fringford", "Stratton Audley", "Graven Hill", "Bure Park")),
            ("CHR-KID", "Kidlington", "OX5", ("Kidlington", "West Kidlington", "Edward Feild", "Yarnton", "Begbroke", "Islip", "Kirtlington", "Bletchingdon", "Gosford", "Hampton Poyle", "Thrupp", "Water Eaton", "Shipton-on-Cherwell", "Woodeaton", "Oxford Canal", "Kidlington Park")),
            ("CHR-VIL", "Deddington & Cherwell Villages", "OX15", ("Deddington", "Steeple Aston", "Fritwell", "Hook Norton", "Bloxham", "Adderbury", "Sibford Gower", "Tadmarton", "Cropredy", "Wardington", "Middle Barton", "Souldern", "Sibford Ferris", "Milcombe", "Swalcliffe", "Duns Tew")),
        ),
    ),
    (
        "E07000178",
        "Oxford",
        0.8,
        (
            ("OXF-NTH", "Oxford City North", "OX2", ("Summertown", "Wolvercote", "Cutteslowe", "Jericho", "North Oxford", "Marston", "Northway", "Barton", "Sunnymead", "Walton Manor", "Old Marston", "Headington Hill", "New Marston", "Wolvercote Green", "Port Meadow", "St Margaret's")),
            ("OXF-EST", "Oxford City East", "OX3", ("Headington", "Risinghurst", "Wood Farm", "Cowley", "Temple Cowley", "Church Cowley", "Donnington", "Quarry", "Barton Park", "Lye Valley", "Sandhills", "Bury Knowle", "Horspath Road", "Slade Park", "Highfield", "Headington Quarry")),
            ("OXF-STH", "Oxford City South & West", "OX4", ("Blackbird Leys", "Littlemore", "Rose Hill", "Iffley", "New Hinksey", "Grandpont", "Botley Road", "Osney", "St Ebbe's", "Greater Leys", "Northfield Brook", "Sandford", "Kennington Road", "Minchery", "Cricket Road", "Freelands")),
        ),
    ),
    (
        "E07000179",
        "South Oxfordshire",
        0.2,
        (
            ("SOX-DID", "Didcot", "OX11", ("Ladygrove", "Great Western Park", "Willowbrook", "Manor", "Stephen Freeman", "Didcot", "Northbourne", "Valley Park", "Sutton Courtenay", "Long Wittenham", "Appleford", "East Hagbourne", "Aston Tirrold", "Blewbury", "Harwell", "Parkway")),
            ("SOX-HEN", "Henley", "RG9", ("Henley-on-Thames", "Sonning Common", "Nettlebed", "Goring", "Woodcote", "Checkendon", "Peppard", "Kidmore End", "Shiplake", "Badgemore", "Valley Road", "Trinity", "Stoke Row", "Rotherfield Greys", "Bix", "Highmoor")),
            ("SOX-THA", "Thame", "OX9", ("Thame", "Barley Hill", "Chinnor", "Watlington", "Tetsworth", "Great Milton", "Wheatley", "Garsington", "Horspath", "Stadhampton", "Chalgrove", "Lewknor", "Towersey", "Long Crendon", "Holton", "Aston Rowant")),
            ("SOX-WAL", "Wallingford", "OX10", ("Wallingford", "Fir Tree", "Benson", "Cholsey", "Crowmarsh Gifford", "Brightwell-cum-Sotwell", "Warborough", "Berinsfield", "Dorchester-on-Thames", "Clifton Hampden", "North Moreton", "Ewelme", "Shillingford", "Little Milton", "Brightwell Baldwin", "St Nicholas")),
        ),
    ),
    (
        "E07000180",
        "Vale of White Horse",
        0.2,
        (
            ("VWH-ABI", "Abingdon", "OX14", ("Caldecott", "Thameside", "Dunmore", "Rush Common", "Long Furlong", "Carswell", "Fitzharrys", "Radley", "Drayton", "Kennington", "Botley", "Cumnor", "Wootton", "Sunningwell", "Marcham", "Steventon")),
            ("VWH-FAR", "Faringdon", "SN7", ("Faringdon", "Shrivenham", "Uffington", "Buckland", "Longcot", "Watchfield", "Stanford in the Vale", "Kingston Bagpuize", "Southmoor", "Fyfield", "Longworth", "Buscot", "Coleshill", "Littleworth", "Great Coxwell", "Hinton Waldrist")),
            ("VWH-WAN", "Wantage & Grove", "OX12", ("Wantage", "Grove", "East Hendred", "Letcombe Regis", "Childrey", "Sparsholt", "Ardington", "East Challow", "West Hendred", "Charlton", "Stockham", "Millbrook", "Chilton", "Denchworth", "Kingsgrove", "Crab Hill")),
        ),
    ),
    (
        "E07000181",
        "West Oxfordshire",
        0.15,
        (
            ("WOX-WIT", "Witney", "OX28", ("Madley Brook", "Queen Emma's", "Tower Hill", "Witney", "Ducklington", "Hailey", "Freeland", "North Leigh", "Eynsham", "Stanton Harcourt", "Standlake", "Minster Lovell", "Woodstock", "Long Hanborough", "Cogges", "Windrush Valley")),
            ("WOX-CAR", "Carterton", "OX18", ("Carterton", "Gateway", "Edith Moorhouse", "Brize Norton", "Bampton", "Clanfield", "Aston", "Burford", "Alvescot", "Shilton", "Filkins", "Langford", "Black Bourton", "Kencot", "Broadshires", "Shill Brook")),
            ("WOX-CHN", "Chipping Norton", "OX7", ("Chipping Norton", "Charlbury", "Enstone", "Kingham", "Chadlington", "Milton-under-Wychwood", "Shipton-under-Wychwood", "Great Rollright", "Spelsbury", "Tackley", "Stonesfield", "Ascott-under-Wychwood", "Churchill", "Leafield", "Finstock", "Over Norton")),
        ),
    ),
)  # fmt: skip

# Extra schools per phase beyond the spread below, and where they lean (the bigger towns).
_COUNTY_PRIMARY = 230
_COUNTY_SECONDARY = 35
_COUNTY_SPECIAL = 15
_COUNTY_NURSERY = 10
_TOWN_WEIGHT = {"CHR-BAN": 3, "CHR-BIC": 3, "OXF-NTH": 3, "OXF-EST": 3, "OXF-STH": 3}
_COUNTY_POST16 = (  # (cluster code, name, phase) — post-16 and all-through
    ("CHR-BAN", "Banbury Sixth Form College", Phase.POST_16),
    ("OXF-EST", "Oxford City Sixth Form College", Phase.POST_16),
    ("VWH-ABI", "Abingdon Sixth Form Centre", Phase.POST_16),
    ("SOX-DID", "Great Western Park All-Through School", Phase.ALL_THROUGH),
    ("WOX-WIT", "Windrush Valley All-Through Academy", Phase.ALL_THROUGH),
)
_SPECIAL_NAMES = (
    "Kingfisher", "Meadowside", "Northfield House", "Orion", "Brookfield", "Woodeaton Hill",
    "Riverbank", "Willow Tree", "Springfield", "Harbour", "Oakwood", "Chiltern Edge",
    "Fairway", "Ridgeway", "Lark Rise", "Beacon", "Heron",
)  # fmt: skip
_SECONDARY_STYLES = (
    "{town} Academy",
    "{place} School",
    "{place} Community College",
    "The {place} School",
    "St {saint}'s Catholic School, {town}",
    "{town} Church of England School",
)


def _weighted(rng: random.Random, options: tuple) -> tuple:
    return rng.choices(options, weights=[o[-1] for o in options])[0]


def _postcode(rng: random.Random, area: str) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{area} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def _spread(rng: random.Random, total: int, keys: list[str], base: int) -> dict[str, int]:
    """``base`` each, the rest drawn with weight towards the big towns."""
    counts = dict.fromkeys(keys, base)
    weights = [_TOWN_WEIGHT.get(k, 1) for k in keys]
    for key in rng.choices(keys, weights=weights, k=total - base * len(keys)):
        counts[key] += 1
    return counts


class _Namer:
    """Unique, GIAS-looking names (a county has no two schools called the same)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def take(self, candidates: list[str]) -> str:
        for name in candidates:
            if name not in self.used:
                self.used.add(name)
                return name
        # Every candidate taken: a numbered fallback keeps the plan total exact.
        base = candidates[0]
        n = 2
        while f"{base} ({n})" in self.used:
            n += 1
        self.used.add(f"{base} ({n})")
        return f"{base} ({n})"

    def primary(self, place: str) -> list[str]:
        saint = self.rng.choice(_SAINTS)
        styles = [
            f"{place} Primary School",
            f"{place} Church of England Primary School",
            f"{place} Community Primary School",
            f"{place} Primary Academy",
            f"St {saint}'s Catholic Primary School, {place}",
            f"{place} CofE (VA) Primary School",
            f"{place} Infant School",
            f"{place} Junior School",
        ]
        first = self.rng.choices(styles, weights=[30, 22, 10, 12, 6, 6, 4, 4])[0]
        return [first, *styles]

    def secondary(self, town: str, place: str) -> list[str]:
        saint = self.rng.choice(_SAINTS)
        styles = [s.format(town=town, place=place, saint=saint) for s in _SECONDARY_STYLES]
        self.rng.shuffle(styles)
        return styles


class _Urns:
    """Distinct 6-digit URNs in the ranges GIAS has used for open schools."""

    def __init__(self, rng: random.Random, count: int) -> None:
        self._urns = rng.sample(range(110000, 150000), count)

    def next(self) -> int:
        return self._urns.pop()


def _is_church_school(name: str) -> bool:
    return any(word in name for word in ("Church of England", "CofE", "Catholic"))


def _establishment_type(rng: random.Random, phase: str, name: str) -> tuple[str, str]:
    if _is_church_school(name):
        kind, group, _ = _weighted(rng, _CHURCH_TYPES)
    elif phase == Phase.SPECIAL:
        kind, group, _ = _weighted(rng, _SPECIAL_TYPES)
    elif phase == Phase.NURSERY:
        kind, group = "Local authority nursery school", "Local authority maintained schools"
    elif phase == Phase.POST_16:
        kind, group = rng.choice(
            (("Sixth form centres", "Colleges"), ("Academy 16-19 converter", "Academies"))
        )
    else:
        kind, group, _ = _weighted(rng, _MAINSTREAM_TYPES)
    return kind, group


_PHASE_SHAPE = {
    # phase: (GIAS phase, low age, high age, establishment-number series)
    Phase.PRIMARY: ("Primary", 4, 11, 2000),
    Phase.SECONDARY: ("Secondary", 11, 18, 4000),
    Phase.SPECIAL: ("Not applicable", 2, 19, 7000),
    Phase.NURSERY: ("Nursery", 2, 5, 1000),
    Phase.POST_16: ("16 plus", 16, 19, 4100),
    Phase.ALL_THROUGH: ("All-through", 4, 18, 4500),
}


def _school(
    rng: random.Random,
    urns: _Urns,
    cluster_index: int,
    cluster: _ClusterPlan,
    name: str,
    phase: str,
    serial: int,
) -> _SchoolPlan:
    gias_phase, low, high, series = _PHASE_SHAPE[phase]
    if phase == Phase.PRIMARY and "Infant" in name:
        high = 7
    elif phase == Phase.PRIMARY and "Junior" in name:
        low = 7
    elif phase == Phase.SECONDARY and rng.random() < 0.3:
        high = 16  # no sixth form
    kind, group = _establishment_type(rng, phase, name)
    trust = ""
    if group == "Academies":
        if "Catholic" in name:
            trust = _CHURCH_TRUSTS["Catholic"]
        elif _is_church_school(name):
            trust = _DIOCESAN_TRUST
        else:
            trust = rng.choice(_TRUSTS)
    return _SchoolPlan(
        cluster=cluster_index,
        urn=urns.next(),
        name=name,
        phase=phase,
        gias_phase=gias_phase,
        establishment_type=kind,
        type_group=group,
        low_age=low,
        high_age=high,
        establishment_number=str(series + serial % 1000),
        postcode=_postcode(rng, cluster.postcode_area),
        trust_name=trust,
    )


def _county_plan(rng: random.Random) -> _Plan:
    plan = _Plan()
    places: dict[str, tuple[str, ...]] = {}
    for code, name, deprivation, clusters in _OXFORDSHIRE:
        plan.districts.append(_DistrictPlan(code, name, "931", "Oxfordshire", deprivation))
        for cluster_code, cluster_name, area, cluster_places in clusters:
            plan.clusters.append(
                _ClusterPlan(len(plan.districts) - 1, cluster_code, cluster_name, area, deprivation)
            )
            places[cluster_code] = cluster_places

    codes = [c.code for c in plan.clusters]
    index = {c.code: i for i, c in enumerate(plan.clusters)}
    total = _COUNTY_PRIMARY + _COUNTY_SECONDARY + _COUNTY_SPECIAL + _COUNTY_NURSERY
    urns = _Urns(rng, total + len(_COUNTY_POST16))
    namer = _Namer(rng)
    primaries = _spread(rng, _COUNTY_PRIMARY, codes, base=12)
    secondaries = _spread(rng, _COUNTY_SECONDARY, codes, base=2)
    specials = dict.fromkeys(codes, 0)
    for code in rng.sample(codes, _COUNTY_SPECIAL):
        specials[code] = 1
    nurseries = dict.fromkeys(codes, 0)
    for code in rng.sample(codes, _COUNTY_NURSERY):
        nurseries[code] = 1
    special_names = iter(rng.sample(_SPECIAL_NAMES, _COUNTY_SPECIAL))

    serial = 0
    for code in codes:
        i, cluster = index[code], plan.clusters[index[code]]
        # Secondary names use the town: "Oxford", not "Oxford City North".
        town = "Oxford" if code.startswith("OXF") else cluster.name.split(" & ")[0]
        pool = list(places[code])
        rng.shuffle(pool)
        for n in range(primaries[code]):
            serial += 1
            name = namer.take(namer.primary(pool[n % len(pool)]))
            plan.schools.append(_school(rng, urns, i, cluster, name, Phase.PRIMARY, serial))
        for _ in range(secondaries[code]):
            serial += 1
            name = namer.take(namer.secondary(town, rng.choice(pool)))
            plan.schools.append(_school(rng, urns, i, cluster, name, Phase.SECONDARY, serial))
        for _ in range(specials[code]):
            serial += 1
            name = namer.take([f"{next(special_names)} School"])
            plan.schools.append(_school(rng, urns, i, cluster, name, Phase.SPECIAL, serial))
        for _ in range(nurseries[code]):
            serial += 1
            name = namer.take([f"{place} Nursery School" for place in pool])
            plan.schools.append(_school(rng, urns, i, cluster, name, Phase.NURSERY, serial))
    for code, name, phase in _COUNTY_POST16:
        serial += 1
        i = index[code]
        plan.schools.append(
            _school(rng, urns, i, plan.clusters[i], namer.take([name]), phase, serial)
        )
    _mark_outliers(rng, plan, magnets=2, narrow=2)
    return plan


# National scale: 150 LAs of 10 clusters; names put together from English place-name parts.
_NATIONAL_LAS = 150
_NATIONAL_CLUSTERS_PER_LA = 10
_NATIONAL_SCHOOLS = 20_000
_PREFIXES = ["Ash", "Bar", "Brad", "Bur", "Chat", "Crow", "Dun", "East", "Elm", "Farn", "Glen", "Hart", "Hol", "King", "Lang", "Lit", "Mar", "Mill", "Nor", "Oak", "Pen", "Rad", "Sal", "Stan", "Thorn", "Wal", "West", "Wick", "Win", "Wood", "Ald", "Brom", "Cas", "Dor", "Fal", "Gran", "Hex", "Ick", "Kirk"]  # fmt: skip
_SUFFIXES = ["bury", "by", "ford", "ham", "ley", "ton", "well", "worth", "field", "stead", "wick", "bridge", "dale", "gate", "combe"]  # fmt: skip
_NATIONAL_PHASES = (
    (Phase.PRIMARY, 76),
    (Phase.SECONDARY, 17),
    (Phase.SPECIAL, 5),
    (Phase.NURSERY, 1.3),
    (Phase.POST_16, 0.4),
    (Phase.ALL_THROUGH, 0.3),
)


def _national_plan(rng: random.Random) -> _Plan:
    plan = _Plan()
    places = [p + s for p in _PREFIXES for s in _SUFFIXES]
    rng.shuffle(places)
    la_codes = sorted(rng.sample(range(201, 950), _NATIONAL_LAS))
    for n, la_code in enumerate(la_codes):
        la_name = places[n]
        plan.districts.append(
            _DistrictPlan(f"LA{la_code}", la_name, str(la_code), la_name, rng.random())
        )
        district = plan.districts[-1]
        for c, town in enumerate(rng.sample(places, _NATIONAL_CLUSTERS_PER_LA)):
            plan.clusters.append(
                _ClusterPlan(
                    n,
                    f"{la_code}-{c + 1:02d}",
                    f"{town} Locality",
                    f"{la_name[:2].upper()}{c + 1}",
                    min(1.0, max(0.0, district.deprivation + rng.uniform(-0.2, 0.2))),
                )
            )
    per_cluster = dict.fromkeys(range(len(plan.clusters)), _NATIONAL_SCHOOLS // len(plan.clusters))
    remainder = _NATIONAL_SCHOOLS - sum(per_cluster.values())
    for i in rng.sample(range(len(plan.clusters)), remainder):
        per_cluster[i] += 1

    urns = _Urns(rng, _NATIONAL_SCHOOLS)
    phases = [p for p, _ in _NATIONAL_PHASES]
    weights = [w for _, w in _NATIONAL_PHASES]
    serial = 0
    for i, cluster in enumerate(plan.clusters):
        # Names repeat across the country (as in GIAS); the URN is what identifies.
        namer = _Namer(rng)
        town = cluster.name.removesuffix(" Locality")
        for phase in rng.choices(phases, weights=weights, k=per_cluster[i]):
            serial += 1
            place = rng.choice(places)
            if phase == Phase.PRIMARY:
                candidates = namer.primary(place)
            elif phase == Phase.SECONDARY:
                candidates = namer.secondary(town, place)
            elif phase == Phase.SPECIAL:
                candidates = [f"{place} School"]
            elif phase == Phase.NURSERY:
                candidates = [f"{place} Nursery School"]
            elif phase == Phase.POST_16:
                candidates = [f"{town} Sixth Form College"]
            else:
                candidates = [f"{place} All-Through Academy"]
            plan.schools.append(
                _school(rng, urns, i, cluster, namer.take(candidates), phase, serial)
            )
    _mark_outliers(rng, plan, magnets=len(plan.schools) // 100, narrow=len(plan.schools) // 100)
    return plan


def _mark_outliers(rng: random.Random, plan: _Plan, magnets: int, narrow: int) -> None:
    """Pick a few mainstream schools to stand out, one of each kind per cluster at most."""
    mainstream = [s for s in plan.schools if s.phase in (Phase.PRIMARY, Phase.SECONDARY)]
    chosen = rng.sample(mainstream, magnets + narrow)
    for school in chosen[:magnets]:
        school.kind = "magnet"
    for school in chosen[magnets:]:
        school.kind = "narrow"


# --------------------------------------------------------------------------- statistics


@dataclass
class _Profile:
    """A school's underlying rates; each year's figures are drawn around them."""

    roll: int
    fsm: float
    ehcp: float
    sen_support: float
    suspensions_per_100: float
    exclusions_per_1000: float
    sen_joiners: int
    sen_rate_gbp: int


def _profile(rng: random.Random, school: _SchoolPlan, deprivation: float) -> _Profile:
    phase = school.phase
    if phase == Phase.PRIMARY:
        if school.high_age == 7 or school.low_age == 7:
            roll = rng.randint(90, 360)
        else:
            # Built in forms of entry: half, one, one-and-a-half, two or three classes a year.
            form_entry = rng.choices((0.5, 1, 1.5, 2, 3), weights=(15, 35, 15, 28, 7))[0]
            roll = int(form_entry * 210 * rng.uniform(0.82, 1.0))
        roll = max(90, min(630, roll))
    elif phase == Phase.SECONDARY:
        roll = int(rng.triangular(600, 1900, 1100))
    elif phase == Phase.SPECIAL:
        roll = int(rng.triangular(60, 250, 110))
    elif phase == Phase.NURSERY:
        roll = rng.randint(40, 130)
    elif phase == Phase.POST_16:
        roll = rng.randint(400, 1500)
    else:
        roll = rng.randint(1200, 1900)

    # FSM 5-40%, pulled up where the district or cluster is deprived.
    fsm = rng.triangular(0.05, 0.40, 0.08 + 0.22 * deprivation)
    if deprivation > 0.6 and rng.random() < 0.15:
        fsm = rng.uniform(0.40, 0.52)  # the few very high-FSM city schools
    if phase == Phase.SPECIAL:
        ehcp, sen_support = rng.uniform(0.92, 0.99), rng.uniform(0.0, 0.04)
        fsm = rng.uniform(0.30, 0.48)
    else:
        ehcp, sen_support = rng.uniform(0.01, 0.05), rng.uniform(0.08, 0.20)

    secondary_like = phase in (Phase.SECONDARY, Phase.ALL_THROUGH)
    suspensions = rng.uniform(3, 14) if secondary_like else rng.uniform(0, 2)
    exclusions = rng.uniform(0, 2.5) if secondary_like else rng.uniform(0, 0.3)
    joiners = rng.randint(0, 6 if secondary_like else 3)
    if school.kind == "magnet":
        sen_support, ehcp = rng.uniform(0.23, 0.30), rng.uniform(0.05, 0.08)
        joiners = rng.randint(14, 26)
        suspensions = suspensions * 0.5
    elif school.kind == "narrow":
        sen_support, ehcp = rng.uniform(0.04, 0.07), rng.uniform(0.003, 0.01)
        joiners = 0
        suspensions, exclusions = suspensions * 2.5 + 4, exclusions * 2 + 3
    return _Profile(
        roll=roll,
        fsm=fsm,
        ehcp=ehcp,
        sen_support=sen_support,
        suspensions_per_100=suspensions,
        exclusions_per_1000=exclusions,
        sen_joiners=joiners,
        sen_rate_gbp=rng.randint(4000, 5000),
    )


def _year_stats(
    rng: random.Random, school_id: int, profile: _Profile, year: int, years_back: int
) -> SchoolYearStats:
    # Earlier years: a slightly different roll, and fewer EHCPs (they grow ~10% a year).
    drift = 1.0 if years_back == 0 else rng.uniform(0.95, 1.04)
    roll = max(1, round(profile.roll * drift))
    ehcp_rate = profile.ehcp if profile.ehcp > 0.5 else profile.ehcp / (1.1**years_back)
    fsm = round(roll * max(0.0, profile.fsm + rng.uniform(-0.015, 0.015)))
    ehcp = round(roll * ehcp_rate)
    sen_support = min(
        roll - ehcp, round(roll * max(0.0, profile.sen_support + rng.uniform(-0.01, 0.01)))
    )
    return SchoolYearStats(
        school_id=school_id,
        academic_year=year,
        number_on_roll=roll,
        fsm_pupils=fsm,
        fsm_percent=(Decimal(fsm * 100) / Decimal(roll)).quantize(Decimal("0.01")),
        ehcp_pupils=ehcp,
        sen_support_pupils=sen_support,
        suspensions=round(roll * profile.suspensions_per_100 / 100 * rng.uniform(0.8, 1.2)),
        # Exclusions are rare: the rate gives the expectation, the draw rounds it either way.
        permanent_exclusions=max(
            0, round(roll * profile.exclusions_per_1000 / 1000 + rng.random() - 0.5)
        ),
        sen_joiners_no_move=max(0, profile.sen_joiners + rng.randint(-1, 1)),
        notional_sen_budget=Decimal(sen_support * profile.sen_rate_gbp),
    )


# --------------------------------------------------------------------------- the step


def load(ctx: DemoContext) -> None:
    """Insert the plan for ``ctx.scale`` in bulk, then the users, and share what steps need.

    Leaves in ``ctx.shared``: ``academic_year`` (the current one, by its start year),
    ``districts``, ``clusters``, ``schools`` (lists of saved objects, plan order),
    ``demo_school``, ``demo_cluster``, ``users`` (the demo logins by role: ``admin``,
    ``la_send_officer``, ``la_finance_officer``, ``senco``, ``headteacher``,
    ``panel_member``), ``headteachers`` and ``sencos`` ({school id: user}),
    ``panel_members`` ({cluster id: user}), ``magnet_urns`` and ``narrow_urns`` (the
    schools made to stand out in the inclusiveness report).
    """
    rng = ctx.rng
    plan = _county_plan(rng) if ctx.scale == "county" else _national_plan(rng)
    ctx.log(
        f"clusters: {len(plan.districts)} districts, {len(plan.clusters)} clusters, "
        f"{len(plan.schools)} schools"
    )

    districts = District.objects.bulk_create(
        [District(code=d.code, name=d.name) for d in plan.districts], batch_size=BATCH
    )
    clusters = Cluster.objects.bulk_create(
        [Cluster(district=districts[c.district], code=c.code, name=c.name) for c in plan.clusters],
        batch_size=BATCH,
    )
    schools = School.objects.bulk_create(
        [
            School(
                urn=s.urn,
                name=s.name,
                la_code=plan.districts[plan.clusters[s.cluster].district].la_code,
                la_name=plan.districts[plan.clusters[s.cluster].district].la_name,
                establishment_number=s.establishment_number,
                establishment_type=s.establishment_type,
                type_group=s.type_group,
                gias_phase=s.gias_phase,
                phase=s.phase,
                statutory_low_age=s.low_age,
                statutory_high_age=s.high_age,
                district_administrative=plan.districts[plan.clusters[s.cluster].district].name,
                postcode=s.postcode,
                trust_name=s.trust_name,
                cluster=clusters[s.cluster],
            )
            for s in plan.schools
        ],
        batch_size=BATCH,
    )
    ctx.log(f"clusters: inserted {len(schools)} schools")

    year = academic_year_of(ctx.today)
    stats: list[SchoolYearStats] = []
    for school, school_plan in zip(schools, plan.schools, strict=True):
        deprivation = plan.clusters[school_plan.cluster].deprivation
        profile = _profile(rng, school_plan, deprivation)
        stats.append(_year_stats(rng, school.pk, profile, year, 0))
        stats.append(_year_stats(rng, school.pk, profile, year - 1, 1))
    SchoolYearStats.objects.bulk_create(stats, batch_size=BATCH)
    ctx.log(f"clusters: inserted {len(stats)} school-year statistics ({year - 1}, {year})")

    _load_users(ctx, plan, clusters, schools)
    ctx.shared.update(
        academic_year=year,
        districts=districts,
        clusters=clusters,
        schools=schools,
        magnet_urns=[s.urn for s in plan.schools if s.kind == "magnet"],
        narrow_urns=[s.urn for s in plan.schools if s.kind == "narrow"],
    )


def _load_users(
    ctx: DemoContext, plan: _Plan, clusters: list[Cluster], schools: list[School]
) -> None:
    rng = ctx.rng
    User = get_user_model()
    # One hash for everyone: hashing 40,000 passwords one by one would take hours.
    password = make_password(ctx.password)

    # The demo school: a primary in the first cluster, so the SENCO's world is typical.
    demo_school = next(
        s
        for s, p in zip(schools, plan.schools, strict=True)
        if p.cluster == 0 and p.phase == Phase.PRIMARY
    )
    demo_cluster = clusters[0]

    def person(username: str, **extra) -> User:
        return User(
            username=username,
            email=f"{username}@example.org",
            first_name=rng.choice(_FIRST_NAMES),
            last_name=rng.choice(_LAST_NAMES),
            password=password,
            **extra,
        )

    users: list = [
        person(ADMIN, is_staff=True, is_superuser=True),
        person(LA_SEND),
        person(LA_FINANCE),
        person(DEMO_SENCO),
        person(DEMO_HEAD),
        person(DEMO_PANEL),
    ]
    memberships: list[tuple[str, str, School | None, Cluster | None]] = [
        (LA_SEND, Role.LA_SEND_OFFICER, None, None),
        (LA_FINANCE, Role.LA_FINANCE_OFFICER, None, None),
        (DEMO_SENCO, Role.SENCO, demo_school, None),
        (DEMO_HEAD, Role.HEADTEACHER, demo_school, None),
        (DEMO_PANEL, Role.PANEL_MEMBER, None, demo_cluster),
    ]
    for school in schools:
        if school.pk == demo_school.pk:
            continue
        for prefix, role in (("head", Role.HEADTEACHER), ("senco", Role.SENCO)):
            username = f"{prefix}.{school.urn}"
            users.append(person(username))
            memberships.append((username, role, school, None))
    for cluster in clusters[1:]:
        # An educational psychologist on each cluster panel; the first cluster's is panel.demo.
        username = f"panel.{cluster.code.lower()}"
        users.append(person(username))
        memberships.append((username, Role.PANEL_MEMBER, None, cluster))

    users = User.objects.bulk_create(users, batch_size=BATCH)
    by_name = {u.username: u for u in users}
    Membership.objects.bulk_create(
        [
            Membership(user=by_name[username], role=role, school=school, cluster=cluster)
            for username, role, school, cluster in memberships
        ],
        batch_size=BATCH,
    )
    ctx.log(f"clusters: inserted {len(users)} users and {len(memberships)} memberships")

    heads = {demo_school.pk: by_name[DEMO_HEAD]}
    sencos = {demo_school.pk: by_name[DEMO_SENCO]}
    for school in schools:
        heads.setdefault(school.pk, by_name.get(f"head.{school.urn}"))
        sencos.setdefault(school.pk, by_name.get(f"senco.{school.urn}"))
    panel_members = {demo_cluster.pk: by_name[DEMO_PANEL]}
    for cluster in clusters[1:]:
        panel_members[cluster.pk] = by_name[f"panel.{cluster.code.lower()}"]
    # Named, not drawn from the demo's random names, so every other demo row stays the same.
    dpo = User.objects.create(
        username=LA_DPO, email=f"{LA_DPO}@example.org", first_name="Dana",
        last_name="Protheroe", password=password,
    )  # fmt: skip
    Membership.objects.create(user=dpo, role=Role.DPO)

    ctx.shared.update(
        users={
            "admin": by_name[ADMIN],
            Role.LA_SEND_OFFICER.value: by_name[LA_SEND],
            Role.LA_FINANCE_OFFICER.value: by_name[LA_FINANCE],
            Role.DPO.value: dpo,
            Role.SENCO.value: by_name[DEMO_SENCO],
            Role.HEADTEACHER.value: by_name[DEMO_HEAD],
            Role.PANEL_MEMBER.value: by_name[DEMO_PANEL],
        },
        demo_school=demo_school,
        demo_cluster=demo_cluster,
        headteachers=heads,
        sencos=sencos,
        panel_members=panel_members,
    )
    for login in DEMO_LOGINS:
        where = ""
        if login.username in (DEMO_SENCO, DEMO_HEAD):
            where = f" ({demo_school.name})"
        elif login.username == DEMO_PANEL:
            where = f" ({demo_cluster.name} panel)"
        ctx.logins.append(DemoLogin(login.role, login.username, login.description + where))
