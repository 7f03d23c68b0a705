"""The root key that wraps every stored secret: KMS key material and IAM secret keys.

It is loaded once per process from ``KMSCONSOLE_ROOT_KEY`` or the 0600 key file, and
never leaves this module except as the argument of a wrap/unwrap call.
"""

from __future__ import annotations

import functools

from django.conf import settings

from kmsconsole.engine import wrapping


@functools.cache
def _root_key() -> bytes:
    return wrapping.load_or_create_root_key(settings.KMSCONSOLE_ROOT_KEY, settings.KMSCONSOLE_ROOT_KEY_FILE)


def seal(secret: bytes, *, purpose: str) -> bytes:
    """Wrap ``secret`` for storage; ``purpose`` binds the blob to the row it belongs to."""
    return wrapping.wrap(_root_key(), secret, purpose=purpose)


def unseal(blob: bytes, *, purpose: str) -> bytes:
    return wrapping.unwrap(_root_key(), bytes(blob), purpose=purpose)
