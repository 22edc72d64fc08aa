import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_work_under_the_csp(new_page, sign_in, live_server, send_officer, password):
    """Swagger UI draws every operation, and the browser reports no CSP violation."""
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, "send_officer", password)

    page.goto(f"{live_server.url}/api/docs/")
    page.get_by_text("/api/v1/requests/{id}/submit/").first.wait_for()

    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
    assert page.eval_on_selector("body", "b => getComputedStyle(b).margin") == "0px"
