-- Take a connection lease for one burst, counted per tenant and per user, atomically.
--
-- KEYS[1] the tenant's lease set, KEYS[2] the user's lease set (same tenant, same slot).
-- ARGV[1] the lease id   ARGV[2] its life in ms (the burst's deadline plus a grace)
-- ARGV[3] the tenant's limit   ARGV[4] the user's limit
--
-- A lease set is a sorted set: member = lease id, score = expiry in ms on Redis' clock, so a
-- lease whose holder died (process killed, Lambda frozen) stops counting by itself. Expired
-- members are dropped first, both counts are checked, and the lease is added to both sets or
-- to neither. Each set expires with its last lease, so an idle tenant leaves nothing behind.
-- Returns {1} when granted, else {0, 'tenant' or 'user', ms until that set's first expiry}.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function full(key, limit)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) < tonumber(limit) then
    return nil
  end
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(0, tonumber(first[2]) - now)
end

local wait = full(KEYS[1], ARGV[3])
if wait then
  return {0, 'tenant', wait}
end
wait = full(KEYS[2], ARGV[4])
if wait then
  return {0, 'user', wait}
end

local life = tonumber(ARGV[2])
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now + life, ARGV[1])
  if redis.call('PTTL', KEYS[i]) < life then
    redis.call('PEXPIRE', KEYS[i], life)
  end
end
return {1}
