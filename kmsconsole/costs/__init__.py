"""What a workspace's KMS use would cost on AWS, from the guide's pricing facts.

- ``pricing``: the prices as data (pure Python), with where each figure comes from.
- ``estimate``: a month of use (``Usage``) and a what-if (``WhatIf``) turned into line
  items (pure Python).
- ``usage``: the workspace's real use, read from its keys and its audit trail.
"""
