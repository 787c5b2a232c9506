from django.shortcuts import render

from tasks_app import catalog
from tasks_app.models import TaskRecord


def home(request):
    recent = TaskRecord.objects.all()[:20]
    return render(request, "tasks_app/home.html", {"recent": recent, "entries": catalog.ENTRIES.values()})
