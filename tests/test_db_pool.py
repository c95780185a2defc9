"""Database connections a process keeps (KAIRAN_DB_POOL_SIZE, issue 15): a web process uses more
at once than SQLAlchemy's default of 5 (request threads, handling transactions, the reads beside
them), and every use beyond the pool opened a connection and closed it again — on PostgreSQL a
new server process each time, every few events of a burst."""
import threading

from sqlalchemy import event

from bot.config import load_settings
from models import Database


def test_the_setting_and_the_processes_pool(k):
    assert load_settings({"KAIRAN_SIMULATOR": "1"}).db_pool_size == 16
    assert load_settings({"KAIRAN_SIMULATOR": "1", "KAIRAN_DB_POOL_SIZE": "24"}).db_pool_size == 24
    assert k.db.engine.pool.size() == k.settings.db_pool_size  # what bot.state.build gave the app


def test_sixteen_at_once_are_kept_open_for_the_next_sixteen(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/pool.db", pool_size=16)
    opened = []
    event.listen(db.engine, "connect", lambda *_: opened.append(1))
    try:
        def round_of(n: int) -> None:
            held, go = threading.Barrier(n + 1), threading.Event()

            def use():
                conn = db.engine.raw_connection()  # a connection of the pool, as a session's
                try:
                    conn.cursor().execute("SELECT 1")
                    held.wait()  # all n hold a connection at the same time
                    go.wait()
                finally:
                    conn.close()  # back to the pool
            threads = [threading.Thread(target=use) for _ in range(n)]
            for t in threads:
                t.start()
            held.wait()
            go.set()
            for t in threads:
                t.join()
        round_of(16)
        assert len(opened) == 16
        round_of(16)
        assert len(opened) == 16  # the second round found them all in the pool
        round_of(20)  # a peak beyond the pool: 4 more, closed again when returned
        assert len(opened) == 20 and db.engine.pool.checkedin() == 16
    finally:
        db.dispose()
