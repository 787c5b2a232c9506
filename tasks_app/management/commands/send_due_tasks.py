"""`manage.py send_due_tasks`: one pass of beat, for a scheduler add-on instead of a beat process."""

from celery import current_app
from django.core.management.base import BaseCommand, CommandError

from tasks_app.beat.one_pass import OnePass
from tasks_app.broker import control


class Command(BaseCommand):
    help = (
        "Send every periodic task that is due, once, and exit: run it from a scheduler add-on "
        "(every 10 minutes, hourly or daily) when no beat process runs."
    )

    def handle(self, *args, **options):
        problem = control.broker_problem()
        if problem:
            raise CommandError(f"The task broker is not reachable, so nothing was sent ({problem}); try again.")
        done = OnePass(app=current_app).run()
        if not done.led:
            self.stdout.write(f"{done.holder} holds beat's lease and sends the due tasks; this pass sent nothing.")
            return
        for sent in done.sent:
            self.stdout.write(f"Sent {sent.name} ({sent.task}) as task {sent.task_id}.")
        noun = "task" if len(done.sent) == 1 else "tasks"
        self.stdout.write(f"Sent {len(done.sent)} due periodic {noun} of {done.enabled} enabled.")
