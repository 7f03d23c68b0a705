"""Tags: TagResource, UntagResource, ListResourceTags.

Only customer managed keys can be tagged: an AWS managed key's fixed key policy does not
allow kms:TagResource or kms:UntagResource, so ``key_for`` refuses them.
"""

from __future__ import annotations

from kmsconsole.iam.callers import Caller

from ..models import Tag
from ..pagination import paginate
from ..tagging import check_new_tags
from .common import key_for
from .registry import Request, Response, operation

DEFAULT_TAGS_PER_PAGE = 50
MAX_TAGS_PER_PAGE = 50


@operation("TagResource")
def tag_resource(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_TagResource.html

    A tag key the key already has gets the new value; the tag count limit counts the
    key's tags after the change."""
    key = key_for(caller, request["KeyId"], operation="TagResource", for_update=True)
    existing_keys = set(key.tags.values_list("tag_key", flat=True))
    new_tags = check_new_tags(request["Tags"], existing_keys=existing_keys)
    Tag.objects.bulk_create(
        [Tag(key=key, tag_key=tag_key, tag_value=tag_value) for tag_key, tag_value in new_tags.items()],
        update_conflicts=True,
        unique_fields=["key", "tag_key"],
        update_fields=["tag_value"],
    )
    return {}


@operation("UntagResource")
def untag_resource(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_UntagResource.html

    Tag keys the key does not have are ignored, as AWS ignores them."""
    key = key_for(caller, request["KeyId"], operation="UntagResource", for_update=True)
    key.tags.filter(tag_key__in=request["TagKeys"]).delete()
    return {}


@operation("ListResourceTags", read_only=True)
def list_resource_tags(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ListResourceTags.html"""
    key = key_for(caller, request["KeyId"], operation="ListResourceTags")
    page = paginate(
        key.tags.all(),
        order_field="tag_key",
        request=request,
        default_limit=DEFAULT_TAGS_PER_PAGE,
        max_limit=MAX_TAGS_PER_PAGE,
    )
    return {"Tags": [{"TagKey": tag.tag_key, "TagValue": tag.tag_value} for tag in page.items], **page.envelope()}
