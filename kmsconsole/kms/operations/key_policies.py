"""Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies."""
