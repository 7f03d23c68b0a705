"""Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies.

A KMS key has exactly one key policy, named ``default``; the name exists in the API only
for a future that never came, so any other name is simply not found.
"""

from __future__ import annotations

from kmsconsole.engine.errors import NotFoundException
from kmsconsole.iam.callers import Caller

from ..key_policy_rules import DEFAULT_POLICY_NAME, check_key_policy
from .common import key_for
from .registry import Request, Response, operation


@operation("GetKeyPolicy", read_only=True)
def get_key_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html"""
    key = key_for(caller, request["KeyId"], operation="GetKeyPolicy")
    _require_default_name(request)
    return {"Policy": key.policy, "PolicyName": DEFAULT_POLICY_NAME}


@operation("PutKeyPolicy")
def put_key_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html

    Unless ``BypassPolicyLockoutSafetyCheck``, the caller must keep the right to change the
    policy. An AWS managed key's fixed policy does not allow kms:PutKeyPolicy, so its
    policy never changes."""
    key = key_for(caller, request["KeyId"], operation="PutKeyPolicy", for_update=True)
    _require_default_name(request)
    policy = request["Policy"]
    check_key_policy(
        caller, policy, key_arn=key.arn, bypass_lockout_check=bool(request.get("BypassPolicyLockoutSafetyCheck"))
    )
    key.policy = policy
    key.policy_revision += 1
    key.save(update_fields=["policy", "policy_revision"])
    return {}


@operation("ListKeyPolicies", read_only=True)
def list_key_policies(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyPolicies.html

    One policy per key, so there is never a second page, whatever ``Limit`` says."""
    key_for(caller, request["KeyId"], operation="ListKeyPolicies")
    return {"PolicyNames": [DEFAULT_POLICY_NAME], "Truncated": False}


def _require_default_name(request: Request) -> None:
    if request.get("PolicyName", DEFAULT_POLICY_NAME) != DEFAULT_POLICY_NAME:
        raise NotFoundException("No such policy exists")
