"""通報: a resident reports a problem (category, photos, location, comment); officers and city staff triage it."""
