"""GetKeyLastUsage."""
