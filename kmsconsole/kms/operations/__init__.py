"""One function per KMS operation, grouped by concern; importing this package registers
them all in ``registry.REGISTRY``."""

from . import (  # noqa: F401
    encryption,
    lifecycle,
)
from .registry import REGISTRY, Operation, find

__all__ = ["REGISTRY", "Operation", "find"]
