"""Data keys: GenerateDataKey*, GenerateDataKeyPair*, GenerateRandom."""
