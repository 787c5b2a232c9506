"""What runs in the worker (tasks_app/worker/, tasks.py): results, retry and revoke, fetch_url."""
