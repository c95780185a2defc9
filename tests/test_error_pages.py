"""Every error page a person may see is in Japanese, in the site's layout, phone-sized, and says what
to do next; the webhook keeps its bare status for LINE."""
import pytest

from handlers.messages import texts

from admin_kit import sign_in


def is_our_page(html: str, code: int) -> None:
    title, text = texts.ERROR_PAGES[code]
    assert '<html lang="ja">' in html and 'name="viewport" content="width=device-width' in html
    assert f'<h1 id="error-title">{title}</h1>' in html and text in html and texts.ERROR_BACK in html
    for english in ("Not Found", "Method Not Allowed", "Bad Request", "Internal Server Error", "requested URL"):
        assert english not in html


@pytest.mark.parametrize("url", ["/c/not-a-token", "/c/" + "A" * 43, "/nothing-here", "/c/x/a/1"])
def test_a_wrong_or_expired_link_answers_in_japanese(app, url):
    resp = app.test_client().get(url)
    assert resp.status_code == 404
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["X-Frame-Options"] == "DENY"
    is_our_page(resp.get_data(as_text=True), 404)


def test_a_form_sent_to_a_page_that_only_shows_answers_405_in_japanese(app):
    resp = app.test_client().post("/privacy")
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    is_our_page(resp.get_data(as_text=True), 405)


def test_a_broken_page_answers_500_in_japanese(app):
    app.config["TESTING"] = False  # as in production: the error is answered, not raised into the test

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    html = resp.get_data(as_text=True)
    is_our_page(html, 500)
    assert "a bug" not in html and "RuntimeError" not in html


def test_under_admin_a_missing_page_keeps_the_dashboards_answer(app, line, demo):
    client = app.test_client()
    sign_in(client, line)
    resp = client.get("/admin/no-such-page")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and texts.ADMIN_NOT_FOUND in html and "error-title" not in html


def test_the_webhook_keeps_its_bare_answer_for_line(app):
    resp = app.test_client().post("/callback", data=b"{}", headers={"X-Line-Signature": "forged"})
    assert resp.status_code == 400
    assert "error-title" not in resp.get_data(as_text=True)
