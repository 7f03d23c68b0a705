"""Lab checks. Importing this package imports every module in it, so each module's
``@check`` functions register themselves: a new file of checks needs no other change."""

from __future__ import annotations

import importlib
import pkgutil

from .base import REGISTRY, CheckContext, CheckResult, check, get_check, not_yet, passed

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY", "CheckContext", "CheckResult", "check", "get_check", "not_yet", "passed"]
