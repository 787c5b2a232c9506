"""Beat (tasks_app/beat/): the database scheduler, its shutdown, and periodic tasks that run on time."""
