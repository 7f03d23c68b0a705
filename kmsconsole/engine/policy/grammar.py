"""How a policy document can be wrong, and what AWS says about it.

Pure Python: no Django imports.

One problem, two audiences. IAM answers identity and trust policies with its parser's
sentences (``Missing required field Effect``, ``This policy contains invalid Json``...),
and those go on the wire as they are. KMS has one sentence of its own, for bad principals;
for everything else it was seen answering with an empty message (kms-behaviour.md §2,
after aws/aws-sdk-ruby#1784). An empty message tells a learner nothing, so there the wire
carries the ``explanation`` instead: which statement, which element, what is allowed. The
error code stays AWS's, so clients branch on it exactly as they would against AWS. Every
error keeps ``explanation`` for the console and labs.
"""

from __future__ import annotations

from typing import Literal

from kmsconsole.engine.errors import MalformedPolicyDocumentException

PolicyKind = Literal["key", "identity", "trust"]

KMS_INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."
IAM_SYNTAX_ERROR = "Syntax errors in policy."


class GrammarError(Exception):
    """A rule of the policy grammar broken while parsing; ``parse_policy`` turns it into
    the kind-specific public error.

    ``iam_message`` is what IAM says (identity and trust policies); ``kms_message`` what
    KMS says (key policies), empty where AWS says nothing, and the explanation is sent.
    """

    def __init__(self, explanation: str, *, iam_message: str = IAM_SYNTAX_ERROR, kms_message: str = "") -> None:
        super().__init__(explanation)
        self.explanation = explanation
        self.iam_message = iam_message
        self.kms_message = kms_message

    def message_for(self, kind: PolicyKind) -> str:
        return (self.kms_message or self.explanation) if kind == "key" else self.iam_message


class InvalidPrincipal(GrammarError):
    """A Principal or NotPrincipal value that names nobody AWS recognises."""

    def __init__(self, explanation: str, *, principal_type: str, value: object) -> None:
        super().__init__(
            explanation,
            iam_message=f'Invalid principal in policy: "{principal_type}":"{value}"',
            kms_message=KMS_INVALID_PRINCIPALS,
        )


class InvalidPolicyDocument(MalformedPolicyDocumentException):
    """AWS's ``MalformedPolicyDocumentException`` (same wire code and message), plus a
    plain-language ``explanation`` of what is wrong and where."""

    def __init__(self, message: str, *, explanation: str) -> None:
        super().__init__(message)
        self.explanation = explanation

    def __repr__(self) -> str:
        return f"InvalidPolicyDocument({self.message!r}, explanation={self.explanation!r})"
