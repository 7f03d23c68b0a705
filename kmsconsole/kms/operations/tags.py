"""Tags: TagResource, UntagResource, ListResourceTags."""
