"""The read side: what the pages, the API, the CLI and /metrics show, read from the records, the
result rows and the broker's snapshot. Nothing here writes (that is tasks_app.services)."""
