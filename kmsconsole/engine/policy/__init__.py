"""The IAM policy language: parse and validate key, identity and trust policies, and
evaluate one policy against one request with a per-statement trace.

Pure Python: no Django imports. Combining several policies, grants and the cross-account
rules into one decision belongs to ``kmsconsole.kms.authz``.
"""

from .context import PrincipalType, RequestContext
from .document import Policy, Statement, parse_policy
from .evaluate import Outcome, PolicyResult, StatementResult, evaluate_policy, evaluate_statement
from .grammar import InvalidPolicyDocument, PolicyKind

__all__ = [
    "InvalidPolicyDocument",
    "Outcome",
    "Policy",
    "PolicyKind",
    "PolicyResult",
    "PrincipalType",
    "RequestContext",
    "Statement",
    "StatementResult",
    "evaluate_policy",
    "evaluate_statement",
    "parse_policy",
]
