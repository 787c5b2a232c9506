from django.contrib import admin, messages

from tasks_app.models import ApiToken, TaskRecord


@admin.register(TaskRecord)
class TaskRecordAdmin(admin.ModelAdmin):
    list_display = ("task_id", "task_name", "queue", "owner", "created_at")
    list_filter = ("task_name", "queue")
    search_fields = ("task_id",)
    readonly_fields = ("task_id", "task_name", "args", "kwargs", "queue", "owner", "created_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Issue a token by adding one (its key is shown once, then only its hash is kept);
    revoke it by deleting it."""

    list_display = ("name", "user", "hint", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("name", "user__username")
    readonly_fields = ("hint", "created_at", "last_used_at")
    autocomplete_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        key = obj.issue()
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            f"The key of {obj.name!r} is {key} — copy it now: it is not stored and will not be shown again. "
            "Send it as 'Authorization: Bearer <key>'.",
        )
