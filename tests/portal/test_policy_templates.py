"""Every action a page offers comes from the apps' policy modules.

A template asks ``{% can "<app>.<action>" user obj as allowed %}``; it never tests a
role, a scope or a request's state itself, so the rule a page shows is the rule the
service enforces. These tests read every template as text.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError

from funding.workflow import State
from portal.policy import allowed, registry

TEMPLATES = Path(settings.BASE_DIR) / "templates"
STATES = "|".join(sorted(State.values, key=len, reverse=True))

# What a template must not decide for itself.
FORBIDDEN = {
    "a role test": re.compile(
        r"\bis_(la|send_officer|finance_officer|school_staff|headteacher|senco|admin"
        r"|officer|school|chair)\b|\.roles\b|\bprimary_role\b"
    ),
    "a scope test": re.compile(r"\bportal_scope\b|\bscope\.(school_ids|is_\w+|roles)\b"),
    "a chair test": re.compile(r"\bchair\.user_id\b|\buser_id\s*=="),
    "a state comparison": re.compile(
        rf"\.state\s*(==|!=|\bin\b|\bnot in\b)|(==|!=)\s*[\"']({STATES})[\"']"
        rf"|\bin\s+[\"'][^\"']*\b({STATES})\b"
    ),
}
# A form's own field called "state" (the list filter) is not the request's state.
ALLOWED = re.compile(r"cleaned_data\.state\s*==\s*value")
TAG = re.compile(r"{%.*?%}", re.S)
CAN = re.compile(r"{%\s*can\s+[\"']([^\"']+)[\"']")


def templates():
    return sorted(TEMPLATES.rglob("*.html"))


def tags(path: Path):
    text = path.read_text()
    for match in TAG.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield line, match.group(0)


def test_no_template_tests_a_role_or_a_state_itself():
    found = []
    for path in templates():
        for line, tag in tags(path):
            if tag.startswith("{% can ") or tag.startswith("{%can "):
                continue
            tag = ALLOWED.sub("", tag)
            for what, pattern in FORBIDDEN.items():
                if pattern.search(tag):
                    found.append(f"{path.relative_to(TEMPLATES)}:{line} {what}: {tag}")
    assert not found, "Ask the policy with {% can %} instead:\n" + "\n".join(found)


def test_every_action_a_template_asks_about_is_in_the_policy_registry():
    names = registry()
    asked = {
        (path.relative_to(TEMPLATES), name)
        for path in templates()
        for name in CAN.findall(path.read_text())
    }
    assert asked, "no template asks the policy: the scan is reading the wrong folder"
    unknown = sorted(f"{path}: {name}" for path, name in asked if name not in names)
    assert not unknown, "No such policy:\n" + "\n".join(unknown)


def test_a_template_that_asks_the_policy_loads_the_tag():
    missing = [
        str(path.relative_to(TEMPLATES))
        for path in templates()
        if CAN.search(path.read_text())
        and not re.search(r"{%\s*load\s+[^%]*\bpolicy\b", path.read_text())
    ]
    assert not missing


def test_every_app_keeps_its_rules_in_its_policy_module():
    apps = {name.split(".")[0] for name in registry()}
    assert {"funding", "panels", "budgets", "clusters", "reports", "portal"} <= apps
    for name, rule in registry().items():
        app = name.split(".")[0]
        assert rule.__module__ == f"{app}.policy", name


@pytest.mark.django_db
def test_a_misspelt_policy_name_is_an_error_not_a_quiet_no(send_officer):
    with pytest.raises(LookupError, match="No policy called"):
        allowed("panels.record_apeal", send_officer)
    page = Template('{% load policy %}{% can "panels.record_apeal" user as ok %}{{ ok }}')
    with pytest.raises((LookupError, TemplateSyntaxError)):
        page.render(Context({"user": send_officer}))


@pytest.mark.django_db
def test_the_tag_answers_as_the_policy_does(send_officer, finance_officer):
    page = Template('{% load policy %}{% can "budgets.manage_budgets" user as ok %}{{ ok }}')
    assert page.render(Context({"user": finance_officer})) == "True"
    assert page.render(Context({"user": send_officer})) == "False"
