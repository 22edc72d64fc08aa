"""Every page each role can reach, in a real browser, on the demo county.

For the SENCO, the headteacher (who chairs the cluster panel), a panel member, the LA SEND
officer and the LA finance officer, the sweep follows every link from the dashboard (one
page per URL name: two request pages are the same template) and adds the pages only a
button or a particular state leads to. Each page must pass axe (WCAG 2.2 AA), have one
<h1>, a <title> that starts with what the h1 says, and no console errors. A few key pages
must also reflow at 320 CSS pixels (WCAG 1.4.10): tables scroll in their own region.

One test, because the demo county takes half a minute to load and live_server empties the
database after each test.
"""

import hashlib
import io
import re
import time
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse

from budgets.models import ClusterBudget
from clusters.models import Role
from demo.context import DEMO_PASSWORD
from funding.models import FundingRequest
from panels.models import Decision, Meeting, MeetingStatus, Panel
from reports.models import ReportRun
from tests.browser.conftest import WAIT_MS, accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERVICE = " – Inclusion Funding Portal"

# Downloads, htmx fragments, JSON and pages that are not the portal's own.
NOT_PAGES = {
    "logout",
    "healthz",
    "schema",
    "api-docs",
    "funding:export",
    "funding:download",
    "panels:minutes_pdf",
    "panels:pack",
    "panels:letter_pdf",
    "budgets:export",
    "budgets:exports",
    "budgets:county_live",
    "budgets:cluster_live",
    "reports:status",
    "reports:download",
    "clusters:import_status",
    "view_audit_export",
    # Redirects to the sign-in page or an identity provider, not pages of their own.
    "account_login",
    "account_signup",
    "openid_connect_login",
    "openid_connect_callback",
}

# The pages each role must have been through (by link or by the seeds below).
MUST_SEE = {
    "senco": {
        "dashboard", "notifications", "search", "clusters:directory", "clusters:cluster", "clusters:school",
        "funding:list", "funding:start", "funding:detail", "funding:timeline", "funding:tasks",
        "funding:pupil", "funding:needs", "funding:evidence", "funding:provision",
        "funding:consent", "funding:documents", "funding:check", "funding:submitted",
        "funding:action", "funding:reconsider", "funding:delete", "panels:decision", "panels:review",
        "budgets:county", "budgets:cluster", "funding:notices", "funding:notice_new", "funding:notice",
        "account",
    },
    "head": {
        "dashboard", "notifications", "clusters:directory", "funding:list", "funding:detail",
        "funding:tasks", "funding:check", "panels:index", "panels:panel", "panels:meeting",
        "panels:item", "panels:decision", "panels:minutes", "budgets:county", "reports:list",
    },
    "panel": {
        "dashboard", "notifications", "panels:index", "panels:panel", "panels:meeting",
        "panels:item", "panels:decision", "panels:minutes",
    },
    "send": {
        "dashboard", "notifications", "search", "403", "clusters:directory", "clusters:cluster", "clusters:school",
        "funding:list", "funding:triage", "funding:detail", "funding:timeline", "funding:action",
        "funding:streams", "funding:stream_new", "funding:stream_edit", "panels:index",
        "panels:panel", "panels:meeting", "panels:item", "panels:decision", "panels:minutes",
        "panels:participation", "panels:schedule", "panels:appeal", "budgets:county",
        "budgets:cluster", "budgets:budget", "budgets:request", "reports:list", "reports:detail",
        "accounts:invitations", "accounts:invite", "accounts:bulk",
        "reports:escalation", "funding:notices", "funding:notice",
        "panels:setup", "panels:meeting_details",
        "funding:need_bands", "funding:need_band_new", "funding:need_band_edit",
        "budgets:term_dates", "budgets:term_dates_new",
        "clusters:import_gias", "clusters:import_stats", "clusters:edit", "clusters:new",
        "clusters:move_school", "people:list", "people:end",
    },
    "finance": {
        "dashboard", "notifications", "search", "funding:list", "funding:detail", "budgets:county",
        "budgets:cluster", "budgets:budget", "budgets:request", "budgets:allocate",
        "budgets:adjust", "budgets:override", "budgets:payments", "budgets:move_pupil",
        "budgets:reduce_award", "panels:decision", "panels:minutes", "reports:list",
        "reports:detail", "reports:escalation", "budgets:term_dates",
    },
    "dpo": {"dashboard", "notifications", "clusters:directory", "view_audit", "400", "account"},
}  # fmt: skip

LOGINS = {
    "senco": "senco.demo",
    "head": "head.demo",
    "panel": "panel.demo",
    "send": "la.send",
    "finance": "la.finance",
    "dpo": "la.dpo",
}

# Key pages at 320 CSS pixels wide (400% zoom of a 1280px screen).
REFLOW = {
    "senco": ["funding:tasks", "funding:provision", "budgets:county"],
    "send": ["funding:triage", "panels:meeting", "budgets:county"],
}

# axe takes seconds on a table of 300 rows; the rows are one template, so a few will do.
TRIM_REPEATS = """() => {
  for (const body of document.querySelectorAll('tbody')) {
    [...body.rows].slice(8).forEach(r => r.remove());
  }
}"""

# Elements wider than the viewport that are not inside their own scrolling region.
OVERFLOWING = """(width) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) continue;
    let p = el.parentElement, scrolls = false;
    for (; p && p !== document.body; p = p.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) { scrolls = true; break; }
    }
    if (!scrolls) out.push(`${el.tagName.toLowerCase()}.${el.className}`);
  }
  return out.slice(0, 5);
}"""


# The shape of <main> without its words: two pages of the same shape get the same axe
# findings (the header differs by role, and every role's dashboard is audited whole).
SHAPE = """() => [...document.querySelectorAll('main *')].map(el =>
  [el.tagName, el.className, el.id ? 'id' : '', el.getAttribute('role'), el.getAttribute('type'),
   el.getAttribute('href') === null ? '' : 'href',
   ...[...el.attributes].filter(a => a.name.startsWith('aria-')).map(a => a.name),
   el.textContent.trim() ? 'text' : ''].join('|')).join(';')"""


def first_word(text):
    words = re.findall(r"[\w'’-]+", text.lower())
    return words[0] if words else ""


def page_problems(page, console_errors):
    """What is wrong with the page now open, besides axe's findings."""
    problems = []
    h1s = page.locator("h1").all_inner_texts()
    title = page.title()
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} <h1> elements")
    purpose = title.removeprefix("Error: ").removesuffix(SERVICE)
    if not title.endswith(SERVICE) or not purpose.strip():
        problems.append(f"title {title!r} does not name the page and the service")
    elif h1s and first_word(purpose) != first_word(h1s[0]):
        problems.append(f"title {title!r} does not start with the h1 {h1s[0]!r}")
    problems += [f"console: {e}" for e in console_errors]
    return problems


def url_name(path):
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def pk_of(queryset, what):
    """The first one's id, or None: MUST_SEE says which pages the sweep cannot do without."""
    found = queryset.first()
    return found.pk if found else None


def seeds(role, user):
    """Pages a link from the dashboard may not lead to for this role, in the demo's data."""
    school_ids = list(
        user.memberships.filter(school__isnull=False).values_list("school", flat=True)
    )
    ours = FundingRequest.objects.filter(school__in=school_ids).order_by("pk")
    everyone = FundingRequest.objects.order_by("pk")
    decided = Decision.objects.order_by("pk")
    closed = Meeting.objects.filter(status=MeetingStatus.CLOSED).order_by("-date")
    if role in ("senco", "head"):
        draft = pk_of(ours.filter(state="draft"), "draft at the demo school")
        pages = [
            ("funding:tasks", draft),
            ("funding:timeline", draft),
            ("funding:check", draft),
            ("funding:submitted", pk_of(ours.filter(state="submitted"), "submitted request")),
            ("funding:reconsider", pk_of(ours.filter(state__in=["declined", "deferred"]),
                                         "declined or deferred request")),
            ("funding:detail", pk_of(ours.filter(state="returned"), "returned request")),
            ("funding:detail", pk_of(ours.filter(state__in=["active", "review_due"]), "funded request")),
            ("panels:decision", pk_of(decided.filter(request__school__in=school_ids),
                                      "decision for the demo school")),
        ]  # fmt: skip
        if role == "senco":
            pages.append(("panels:review", pk_of(ours.filter(state="review_due"), "review due")))
        else:
            mine = closed.filter(panel__cluster__schools__in=school_ids)
            pages.append(("panels:minutes", pk_of(mine, "closed meeting of the cluster")))
        return pages
    if role == "dpo":
        return []  # the view audit only: its links lead everywhere it may go
    if role == "panel":
        panels = Panel.objects.filter(members__user=user).distinct()
        return [
            ("panels:minutes", pk_of(closed.filter(panel__in=panels), "closed meeting")),
            ("panels:decision", pk_of(decided.filter(item__meeting__panel__in=panels), "decision")),
        ]
    budget = ClusterBudget.objects.order_by("pk").first()
    active = pk_of(everyone.filter(state="active"), "active request")
    declined = pk_of(everyone.filter(state="declined"), "declined request")
    pages = [
        ("budgets:cluster", budget.cluster_id),
        ("budgets:budget", budget.pk),
        ("budgets:request", active),
        ("panels:minutes", pk_of(closed, "closed meeting")),
        ("panels:decision", pk_of(decided, "decision")),
        ("funding:timeline", active),
        ("funding:detail", declined),
        ("funding:detail", active),
        ("reports:detail", pk_of(ReportRun.objects.order_by("pk"), "report")),
    ]
    if role == "send":
        submitted = pk_of(everyone.filter(state="submitted"), "submitted request")
        upcoming = Meeting.objects.filter(status=MeetingStatus.SCHEDULED).order_by("date", "pk")
        pages += [
            ("panels:appeal", declined),
            ("funding:action", submitted, "return"),
            ("panels:meeting_details", pk_of(upcoming, "scheduled meeting")),
        ]
    else:
        pages += [("budgets:move_pupil", active), ("budgets:reduce_award", active)]
    return pages


# Pages only a form or a refusal leads to: (role, path, the status it answers with).
FORMS_AND_REFUSALS = {
    "senco": [("/search/?q=Primary", 200)],
    "send": [("/search/?q=ENG", 200), ("/budgets/allocate/", 403)],
    "finance": [("/search/?q=Primary", 200)],
    # A date that is not one: the error summary.
    "dpo": [("/audit/?from=31-02-2026", 400), ("/audit/?action=view", 200)],
}


def sweep(page, base, role, user, console, audited):
    """Visit the role's pages; return {url name: problems} and the path of each page.

    ``audited`` holds the shapes axe has already passed or failed, across roles.
    """
    found, paths = {}, {}
    queue = [(reverse(name, args=args), True) for name, *args in seeds(role, user) if args[0]]
    queue.append(("/", True))
    expected = dict(FORMS_AND_REFUSALS.get(role, []))
    queue += [(path, True) for path in expected]
    seen_names = set()
    while queue:
        path, seeded = queue.pop(0)
        name = url_name(path)
        if name is None or name in NOT_PAGES or name.startswith("admin:"):
            continue
        if name in seen_names and not seeded:
            continue
        seen_names.add(name)
        console.clear()
        response = page.goto(base + path)
        key = f"{name} {path}"
        if response.status != expected.get(path, 200):
            found[key] = [f"HTTP {response.status}"]
            continue
        paths.setdefault(name if response.status == 200 else f"{response.status}", path)
        # A refusal's own status shows in the console; it is the page under test here.
        wanted = [e for e in console if not (path in expected and "status of" in e)]
        problems = page_problems(page, wanted)
        page.evaluate(TRIM_REPEATS)
        shape = (name, hashlib.sha256(page.evaluate(SHAPE).encode()).hexdigest())
        if name == "dashboard" or shape not in audited:
            audited.add(shape)
            problems += accessibility_violations(page)
        if problems:
            found[key] = problems
        for href in page.eval_on_selector_all(
            "a[href]", "as => as.map(a => a.getAttribute('href'))"
        ):
            if href.startswith("/") and not href.startswith("//"):
                queue.append((href.split("#")[0], False))
    return found, paths


def test_every_page_each_role_reaches_passes_wcag_22_aa_and_reflows(browser, live_server, settings):
    started = time.perf_counter()
    call_command("load_demo_county", stdout=io.StringIO())
    loaded = time.perf_counter() - started
    from django.contrib.auth import get_user_model

    users = {role: get_user_model().objects.get(username=u) for role, u in LOGINS.items()}
    assert users["head"].memberships.filter(role=Role.HEADTEACHER).exists()

    problems, unseen, reflow = {}, {}, {}
    visited = 0
    console = []  # this page's console errors (sweep() clears it before each page)
    audited = set()
    for role, user in users.items():
        context = browser.new_context()
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.append(str(e)))
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

        found, paths = sweep(page, live_server.url, role, user, console, audited)
        visited += len(paths)
        problems.update({f"{role}: {k}": v for k, v in found.items()})
        if missing := MUST_SEE[role] - set(paths):
            unseen[role] = sorted(missing)

        page.set_viewport_size({"width": 320, "height": 640})
        for name in REFLOW.get(role, []):
            page.goto(live_server.url + paths[name])
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > 322:
                reflow[f"{role}: {paths[name]}"] = (wide, page.evaluate(OVERFLOWING, 320))
        context.close()

    took = time.perf_counter() - started
    print(f"demo loaded in {loaded:.0f}s; {visited} pages swept in {took - loaded:.0f}s")
    assert unseen == {}, "pages the sweep did not reach"
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))
    assert reflow == {}, "pages that scroll sideways at 320px"
