"""One function per KMS operation, grouped by concern; importing this package registers
them all in ``registry.REGISTRY``."""

from . import (  # noqa: F401
    agreement,
    aliases,
    data_keys,
    encryption,
    grants,
    key_policies,
    key_state,
    lifecycle,
    macs,
    rotation,
    signing,
    tags,
    unsupported,
    usage,
)
from .registry import REGISTRY, Operation, find

__all__ = ["REGISTRY", "Operation", "find"]
