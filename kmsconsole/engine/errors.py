"""AWS error types with AWS's exact names, as the KMS, STS and IAM wire protocols send them.

Every failure a client can cause is one of these; the API encodes it as HTTP 4xx with
``{"__type": code, "message": text}``. Messages never contain key material or plaintext.
"""

from __future__ import annotations

from typing import ClassVar


class AWSError(Exception):
    """Base of every error a client may see. ``code`` is the wire ``__type``."""

    code: ClassVar[str] = "InternalFailure"
    status: ClassVar[int] = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


# Authentication and protocol (common to every AWS JSON service).


class MissingAuthenticationTokenException(AWSError):
    code = "MissingAuthenticationTokenException"


class IncompleteSignatureException(AWSError):
    code = "IncompleteSignatureException"


class InvalidSignatureException(AWSError):
    code = "InvalidSignatureException"


class UnrecognizedClientException(AWSError):
    code = "UnrecognizedClientException"


class ExpiredTokenException(AWSError):
    code = "ExpiredTokenException"


class SerializationException(AWSError):
    code = "SerializationException"


class UnknownOperationException(AWSError):
    code = "UnknownOperationException"


class ValidationException(AWSError):
    code = "ValidationException"


class AccessDeniedException(AWSError):
    code = "AccessDeniedException"


class NotAuthorizedException(AWSError):
    code = "NotAuthorizedException"


class RequestEntityTooLargeException(AWSError):
    code = "RequestEntityTooLargeException"
    status = 413


# KMS (botocore KMS model).


class AlreadyExistsException(AWSError):
    code = "AlreadyExistsException"


class DisabledException(AWSError):
    code = "DisabledException"


class DryRunOperationException(AWSError):
    code = "DryRunOperationException"


class IncorrectKeyException(AWSError):
    code = "IncorrectKeyException"


class InvalidAliasNameException(AWSError):
    code = "InvalidAliasNameException"


class InvalidArnException(AWSError):
    code = "InvalidArnException"


class InvalidCiphertextException(AWSError):
    code = "InvalidCiphertextException"


class InvalidGrantIdException(AWSError):
    code = "InvalidGrantIdException"


class InvalidGrantTokenException(AWSError):
    code = "InvalidGrantTokenException"


class InvalidKeyUsageException(AWSError):
    code = "InvalidKeyUsageException"


class InvalidMarkerException(AWSError):
    code = "InvalidMarkerException"


class KMSInternalException(AWSError):
    code = "KMSInternalException"
    status = 500


class KMSInvalidMacException(AWSError):
    code = "KMSInvalidMacException"


class KMSInvalidSignatureException(AWSError):
    code = "KMSInvalidSignatureException"


class KMSInvalidStateException(AWSError):
    code = "KMSInvalidStateException"


class LimitExceededException(AWSError):
    code = "LimitExceededException"


class MalformedPolicyDocumentException(AWSError):
    code = "MalformedPolicyDocumentException"


class NotFoundException(AWSError):
    code = "NotFoundException"


class TagException(AWSError):
    code = "TagException"


class UnsupportedOperationException(AWSError):
    code = "UnsupportedOperationException"


class ConflictException(AWSError):
    code = "ConflictException"


class DryRunSucceeded(DryRunOperationException):
    """Raised after every check passed on a ``DryRun`` request, with AWS's fixed text."""

    def __init__(self) -> None:
        super().__init__("The request would have succeeded, but the DryRun option is set.")


def validation_error(member: str, value: object, rule: str, *, sensitive: bool = False) -> AWSError:
    """Build AWS's ``1 validation error detected`` message for one member.

    ``member`` is the lowerCamel wire path (``plaintext``, ``tags.1.member.tagKey``);
    sensitive values (plaintext, secrets) are left out of the text, as AWS does.
    """
    shown = "" if sensitive else f" '{value}'"
    return ValidationException(
        f"1 validation error detected: Value{shown} at '{member}' failed to satisfy constraint: Member must {rule}"
    )


# IAM and STS (Query protocol). Their wire codes drop the ``Exception`` suffix the JSON
# services use, so each class is named after its code, as botocore's IAM and STS models
# give it (``NoSuchEntityException`` shape, code ``NoSuchEntity``).


class NoSuchEntity(AWSError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(AWSError):
    code = "EntityAlreadyExists"
    status = 409


class DeleteConflict(AWSError):
    code = "DeleteConflict"
    status = 409


class LimitExceeded(AWSError):
    code = "LimitExceeded"
    status = 409


class MalformedPolicyDocument(AWSError):
    code = "MalformedPolicyDocument"

    def __init__(self, message: str = "", *, explanation: str = "") -> None:
        super().__init__(message)
        self.explanation = explanation or message


class ValidationError(AWSError):
    code = "ValidationError"


class InvalidInput(AWSError):
    code = "InvalidInput"


class AccessDenied(AWSError):
    code = "AccessDenied"
    status = 403


class InvalidAction(AWSError):
    """An ``Action`` the service's API version does not have."""

    code = "InvalidAction"


# CloudTrail (botocore cloudtrail model: LookupEvents).


class InvalidLookupAttributesException(AWSError):
    code = "InvalidLookupAttributesException"


class InvalidTimeRangeException(AWSError):
    code = "InvalidTimeRangeException"


class InvalidMaxResultsException(AWSError):
    code = "InvalidMaxResultsException"


class InvalidNextTokenException(AWSError):
    code = "InvalidNextTokenException"


class InvalidEventCategoryException(AWSError):
    code = "InvalidEventCategoryException"
