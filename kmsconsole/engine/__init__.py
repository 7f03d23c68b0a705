"""The KMS engine: cryptography, ciphertext formats, policy language, ARNs and AWS errors.

Pure Python: no Django imports (tests/engine/test_purity.py checks), so every rule here
is unit-testable in milliseconds and reusable outside the web app.
"""
