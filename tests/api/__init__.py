"""The JSON API (tasks_app/api/): its contract, bulk sends, periodic tasks, its docs page, hostile input."""
