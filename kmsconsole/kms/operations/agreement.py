"""Key agreement: DeriveSharedSecret."""
