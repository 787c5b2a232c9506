"""The pages a person uses (tasks_app/views/, forms): the form, status, lists, dashboard, access, in a browser."""
