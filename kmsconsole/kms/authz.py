"""Authorization decisions for KMS requests, each with a trace a learner can read.

This is the foundation's rule: a principal may act on the keys of its own account and on
nothing else. The policy-evaluation issue replaces ``decide``'s body with AWS's full
evaluation (key policy, IAM, grants, cross-account); its callers do not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine.errors import AccessDeniedException
from kmsconsole.iam.callers import Caller

from .models import Key


@dataclass(frozen=True)
class Decision:
    allowed: bool
    action: str
    resource: str
    caller_arn: str
    reason: str
    trace: list[dict[str, Any]] = field(default_factory=list)

    def enforce(self) -> None:
        """Raise AWS's AccessDeniedException if the decision is a denial."""
        if not self.allowed:
            raise AccessDeniedException(
                f"User: {self.caller_arn} is not authorized to perform: {self.action} "
                f"on resource: {self.resource} {self.reason}"
            )


def decide(caller: Caller, action: str, key: Key | None = None) -> Decision:
    """Decide whether ``caller`` may perform ``action`` (``kms:Encrypt``) on ``key``
    (None for account-level actions such as CreateKey), and note the trace on the
    current audit event."""
    if key is None or key.account_id == caller.account.pk:
        decision = Decision(True, action, key.arn if key else "*", caller.arn, "same account")
    else:
        decision = Decision(
            False,
            action,
            key.arn,
            caller.arn,
            f"because no resource-based policy allows the {action} action",
            trace=[{"source": "key policy", "matched": False, "reason": "the key belongs to another account"}],
        )
    current_draft().trace = [
        {"action": action, "resource": decision.resource, "allowed": decision.allowed, "reason": decision.reason},
        *decision.trace,
    ]
    return decision
