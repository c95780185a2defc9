"""Logs never carry message bodies, page tokens or sign-in links at info level."""
import logging

from bot.app import RedactPaths
from bot.dev.demo import demo_user_id

from conftest import user_id


def test_request_log_lines_redact_secret_paths():
    rec = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" %s %s',
                            ("GET /c/AbC123secret HTTP/1.1", "200", "-"), None)
    RedactPaths().filter(rec)
    assert "AbC123secret" not in rec.getMessage()
    rec = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "GET /admin/login/eyJqIjoi.sig.x HTTP/1.1", (), None)
    RedactPaths().filter(rec)
    assert "eyJqIjoi" not in rec.getMessage() and "/admin/login/…" in rec.getMessage()


def test_handling_events_logs_no_text_names_or_tokens(line, demo, caplog):
    caplog.set_level(logging.DEBUG)
    uid = user_id("secretive")
    line.follow(uid)
    line.text(uid, "秘密の住所 東町1-2-3")
    line.text(demo_user_id("山田 太郎"), "回覧 個人的な題\n個人的な本文")
    logged = caplog.text
    for secret in ("秘密の住所", "個人的な", "test-access-token", uid):
        assert secret not in logged


def test_gunicorn_access_log_atoms_are_redacted():
    rec = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s',
                            {"h": "127.0.0.1", "r": "GET /c/SeCrEtToKeN HTTP/1.1", "s": "200"}, None)
    RedactPaths().filter(rec)
    assert rec.getMessage() == '127.0.0.1 "GET /c/… HTTP/1.1" 200'
