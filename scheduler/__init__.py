"""Timed work as plain functions of a Runtime (runtime.py): the process that runs them passes the
database, the settings and its I/O ticks (send the outbox, sweep the inbox). jobs.py and the
capability modules (reminders.py, safety.py) hold the jobs; runner.py schedules them (APScheduler 3)."""
