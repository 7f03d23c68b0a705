"""Signing: Sign, Verify, GetPublicKey."""
