"""Library modules with little or no Django: schedules, safe_http, settings, the database, the cursor."""
