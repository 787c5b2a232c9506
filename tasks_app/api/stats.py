"""`GET /api/stats/`: how each task type behaves (tasks_app.selectors.task_stats), staff only, as the
dashboard's section shows it."""

from django.http import JsonResponse

from tasks_app.api.decorators import api_view
from tasks_app.selectors import task_stats


@api_view("GET", staff=True)
def stats_api(request):
    return JsonResponse(task_stats.collect().as_json())
