"""Simulator mode only (no LINE account needed): the LINE simulator page (simulator.py), the fake LINE
Messaging API it and the tests talk to (fake_line.py), and the demo association (demo.py)."""
