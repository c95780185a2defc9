"""The process edge, imported by nobody: the Flask app factory (app.py), settings (config.py), the CLI
(cli.py), POST /callback (webhook.py) and the inbox processor that runs handlers (inbox.py, workers.py),
the outbox sender (outbox.py), the LINE client (line/), the web pages (web/) and, in simulator mode
only, the simulator, the fake LINE API and the demo (dev/). state.py holds what one process has
(settings, database, LINE client) and gives the scheduler its Runtime."""
