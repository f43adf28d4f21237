"""Security tests: auth matrix, tenant isolation, leases, limits, key safety, fuzzing."""
