"""Calls made by a simulated AWS service on a principal's behalf.

Real services (S3, EBS, RDS, Lambda, SSM, Secrets Manager) call KMS for their users: the
request carries ``kms:ViaService`` (``<service>.<region>.amazonaws.com``), grants they
create satisfy ``kms:GrantIsForAWSResource``, and CloudTrail names the service in
``userIdentity.invokedBy``. ``via_service`` gives labs, the console and tests such a
caller, so those conditions and service-created grants can be exercised.
"""

from __future__ import annotations

from dataclasses import replace

from kmsconsole.engine.errors import ValidationException
from kmsconsole.iam.callers import Caller

# The services a caller can act through.
SIMULATED_SERVICES = ("s3", "ebs", "rds", "lambda", "ssm", "secretsmanager", "dynamodb", "sqs", "sns")
# Services whose kms:ViaService prefix differs from their name: EBS volumes are
# encrypted by EC2, so EBS calls arrive via ec2.
_ENDPOINT_PREFIX = {"ebs": "ec2"}


def via_service_value(service: str, region: str) -> str:
    """The ``kms:ViaService`` value of ``service`` in ``region``."""
    return f"{_ENDPOINT_PREFIX.get(service, service)}.{region}.amazonaws.com"


def via_service(caller: Caller, service: str) -> Caller:
    """``caller``'s requests as ``service`` would make them on the caller's behalf."""
    if service not in SIMULATED_SERVICES:
        raise ValidationException(f"Unknown service {service!r}; choose one of {', '.join(SIMULATED_SERVICES)}.")
    return replace(caller, via_service=via_service_value(service, caller.region))
