"""Tag rules shared by CreateKey, TagResource and UntagResource."""

from __future__ import annotations

from typing import Any

from kmsconsole.engine.errors import TagException

MAX_TAGS_PER_KEY = 50


def check_new_tags(tags: list[dict[str, Any]], *, existing_keys: set[str] | None = None) -> dict[str, str]:
    """Validate tags to add (lengths are checked from botocore's model beforehand) and
    return them as a dict. AWS reserves the ``aws:`` prefix in any letter case."""
    new: dict[str, str] = {}
    for tag in tags:
        tag_key = tag["TagKey"]
        if tag_key.lower().startswith("aws:"):
            raise TagException("Tags beginning with aws: are reserved")
        if tag_key in new:
            raise TagException("Duplicate tag keys")
        new[tag_key] = tag.get("TagValue", "")
    if len((existing_keys or set()) | set(new)) > MAX_TAGS_PER_KEY:
        raise TagException("Too many tags")
    return new
