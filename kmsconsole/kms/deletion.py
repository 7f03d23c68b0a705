"""The end of a key's deletion waiting period: the key and everything that hangs off it go.

AWS deletes the key, its key material and all data associated with it, including the
aliases that refer to it; afterwards the key is simply unknown (DescribeKey answers
NotFoundException) and its ciphertext can never be decrypted again.
"""

from __future__ import annotations

import functools

from django.db import transaction

from . import materials
from .models import Key


def delete_key_now(key: Key) -> None:
    """Delete ``key`` for good. Its material versions, aliases, tags and grants cascade
    with the row; the audit trail keeps its events, which name the key only by ARN.

    This process's cache of unwrapped material is dropped once the deletion commits, so
    the secret does not outlive the row here. (Other processes never consult their cache
    for a key they cannot find, and key ids are never reused.)"""
    key_id = key.key_id
    key.delete()
    transaction.on_commit(functools.partial(materials.forget, key_id))
