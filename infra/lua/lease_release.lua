-- Give a connection lease back: remove it from the tenant's and the user's set together.
--
-- KEYS[1] the tenant's lease set, KEYS[2] the user's lease set. ARGV[1] the lease id.
-- Releasing a lease that already expired (or was released) removes nothing and is harmless.
-- Returns how many sets held it.

return redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREM', KEYS[2], ARGV[1])
