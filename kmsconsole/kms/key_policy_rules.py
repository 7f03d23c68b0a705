"""What a key policy must satisfy before it is stored (CreateKey, PutKeyPolicy).

A policy is parsed with the policy engine (AWS's grammar and messages), every user and
role it names must exist, and, unless the caller bypasses it, the lockout safety check
must pass: the caller must still be able to change the policy afterwards.
"""

from __future__ import annotations

import re

from kmsconsole.engine.errors import MalformedPolicyDocumentException
from kmsconsole.engine.policy import Policy, parse_policy
from kmsconsole.engine.policy.grammar import KMS_INVALID_PRINCIPALS
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import Principal, PrincipalType

from . import authz

MAX_POLICY_BYTES = 32 * 1024
# A key has exactly one key policy, and this is its name.
DEFAULT_POLICY_NAME = "default"
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."

_IAM_IDENTITY = re.compile(r"^arn:aws:iam::(?P<account>\d{12}):(?P<kind>user|role)(?P<path>/(?:.*/)?)(?P<name>[^/]+)$")


def check_key_policy(caller: Caller, text: str, *, key_arn: str, bypass_lockout_check: bool) -> Policy:
    """Parse ``text`` as a key policy for ``key_arn`` and apply KMS's checks; return it parsed."""
    policy = parse_policy(text, kind="key")
    _require_existing_principals(caller, policy)
    if not bypass_lockout_check and not authz.may_put_key_policy(caller, policy, key_arn):
        raise MalformedPolicyDocumentException(LOCKOUT_MESSAGE)
    return policy


def _require_existing_principals(caller: Caller, policy: Policy) -> None:
    """Users and roles a policy names must exist, as AWS resolves them when the policy is
    stored; account roots and role sessions are accepted as named."""
    for arn in policy.named_principal_arns():
        match = _IAM_IDENTITY.match(arn)
        if match is None:
            continue
        kind = PrincipalType.USER if match["kind"] == "user" else PrincipalType.ROLE
        exists = Principal.objects.filter(
            account__workspace_id=caller.account.workspace_id,
            account__account_id=match["account"],
            kind=kind,
            path=match["path"],
            name=match["name"],
        ).exists()
        if not exists:
            raise MalformedPolicyDocumentException(KMS_INVALID_PRINCIPALS)
