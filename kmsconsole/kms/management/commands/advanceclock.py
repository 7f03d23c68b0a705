"""``manage.py advanceclock WORKSPACE --days N [--hours H] [--wait]``.

This interface is used by other tools; keep its name, flags and output stable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kmsconsole.iam.clock import advance_clock
from kmsconsole.iam.models import Workspace

WAIT_SECONDS = int(os.environ.get("KMSCONSOLE_ADVANCECLOCK_WAIT_SECONDS", "120"))


class Command(BaseCommand):
    help = "Move a workspace's clock forward and run the rotation, deletion and alarm work that became due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", help="Workspace name")
        parser.add_argument("--days", type=float, required=True, help="Days to move forward")
        parser.add_argument("--hours", type=float, default=0, help="Additional hours")
        parser.add_argument("--wait", action="store_true", help="Wait until the Celery worker has done the work")

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = Workspace.objects.filter(name=options["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace named {options['workspace']!r}.")
        delta = timedelta(days=options["days"], hours=options["hours"])
        if delta < timedelta(0):
            raise CommandError("--days and --hours must not move the clock backwards.")
        advance = advance_clock(workspace, delta)
        self.stdout.write(f"Workspace {workspace.name}: clock now {advance.now:%Y-%m-%dT%H:%M:%SZ}")
        if not options["wait"]:
            self.stdout.write("Enqueued the rotation and deletion sweeps (use --wait to see their results).")
            return
        for result in advance.pending:
            try:
                outcome = result.get(timeout=WAIT_SECONDS, propagate=True)
            except CeleryTimeout:
                raise CommandError(
                    f"The Celery worker did not finish within {WAIT_SECONDS} s. Is a worker running? "
                    "scripts/start runs one; or: celery -A kmsconsole worker"
                ) from None
            self._report(outcome)

    def _report(self, outcome: dict[str, Any]) -> None:
        for label, count_key in (("Keys rotated", "rotated"), ("Keys deleted", "deleted")):
            if count_key in outcome:
                arns = ", ".join(outcome.get("key_arns") or [])
                self.stdout.write(f"{label}: {outcome[count_key]}" + (f" ({arns})" if arns else ""))
        if "alarms_changed" in outcome:
            names = ", ".join(outcome.get("alarm_names") or [])
            self.stdout.write(f"Alarms changed: {outcome['alarms_changed']}" + (f" ({names})" if names else ""))
