"""Steps most KMS operations share, so each rule is written once."""

from __future__ import annotations

from typing import Any

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine import keyspecs
from kmsconsole.engine.enums import KeySpec, KeyUsage
from kmsconsole.engine.errors import DryRunSucceeded
from kmsconsole.engine.keystates import require_state
from kmsconsole.iam.callers import Caller

from .. import authz
from ..grant_rules import require_valid_grant_tokens
from ..keys import resolve_key
from ..models import Key


def key_for(
    caller: Caller,
    key_ref: str,
    *,
    operation: str,
    for_update: bool = False,
    action: str | None = None,
) -> Key:
    """Resolve, authorize and state-check the key an operation acts on, in AWS's order:
    the key must exist, the caller must be allowed, its state must permit the operation,
    and (for cryptographic operations) its key usage must fit."""
    key = resolve_key(caller, key_ref, operation=operation, for_update=for_update)
    check_use(caller, key, operation=operation, action=action)
    return key


def check_use(caller: Caller, key: Key, *, operation: str, action: str | None = None) -> None:
    """Authorize ``operation`` on an already resolved key and check its state and usage."""
    require_valid_grant_tokens(current_draft().request)
    authz.decide(caller, action or f"kms:{operation}", key).enforce()
    require_state(operation, key.key_state, key.arn)
    if operation in keyspecs.USAGE_BY_OPERATION:
        keyspecs.require_usage(KeySpec(key.key_spec), KeyUsage(key.key_usage), key.arn, operation)


def stop_if_dry_run(request: dict[str, Any]) -> None:
    """Every check has passed: a DryRun request ends here, changing nothing."""
    if request.get("DryRun"):
        raise DryRunSucceeded()
