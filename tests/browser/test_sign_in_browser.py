import pytest

from tests.browser.conftest import accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_senco_signs_in_in_a_real_browser_and_the_pages_pass_wcag_aa(
    new_page, sign_in, live_server, senco_a, password
):
    page = new_page()
    page.goto(f"{live_server.url}/sign-in/")
    assert page.title().startswith("Sign in")
    assert accessibility_violations(page) == []

    sign_in(page, "senco_a", password)
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    # GOV.UK Frontend's JavaScript ran (it is a module, loaded under our CSP).
    assert "govuk-frontend-supported" in page.eval_on_selector("body", "b => b.className")
    assert accessibility_violations(page) == []


def test_a_wrong_password_shows_the_error_summary(new_page, sign_in, senco_a):
    page = sign_in(new_page(), "senco_a", "not-the-password")
    assert page.get_by_text("There is a problem").is_visible()
