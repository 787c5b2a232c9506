"""Async views that enqueue and read a django.tasks task, as a project's own async view would."""

from django.http import JsonResponse
from django.urls import path

from tasks_app.djtasks import compat
from tests.support import djtasks


async def enqueue_add(request):
    result = await djtasks.add.aenqueue(int(request.POST["a"]), int(request.POST["b"]))
    return JsonResponse({"id": result.id, "status": result.status}, status=202)


async def result_of(request, result_id):
    try:
        result = await djtasks.add.aget_result(result_id)
    except compat.TaskResultDoesNotExist as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    value = result.return_value if result.status == compat.TaskResultStatus.SUCCESSFUL else None
    return JsonResponse({"id": result.id, "status": result.status, "return_value": value})


urlpatterns = [
    path("django-tasks-demo/", enqueue_add),
    path("django-tasks-demo/<str:result_id>/", result_of),
]
