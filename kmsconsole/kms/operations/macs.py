"""HMAC: GenerateMac, VerifyMac."""
