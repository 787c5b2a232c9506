from django.contrib import admin

from tasks_app.models import TaskRecord


@admin.register(TaskRecord)
class TaskRecordAdmin(admin.ModelAdmin):
    list_display = ("task_id", "task_name", "queue", "created_at")
    list_filter = ("task_name", "queue")
    search_fields = ("task_id",)
    readonly_fields = ("task_id", "task_name", "args", "kwargs", "queue", "created_at")
