"""IAM and STS operations, one function per AWS operation, registered with the same
``@operation`` decorator as KMS (service ``iam`` or ``sts``); importing this package
registers them all in ``kmsconsole.kms.operations.registry.REGISTRY``."""

from . import access_keys, policies, roles, sts, users  # noqa: F401
