-- Spend from a tenant's token bucket of published events, atomically, on Redis' clock.
--
-- KEYS[1] the bucket (a hash: tokens, ts in ms).
-- ARGV[1] refill rate in events per second   ARGV[2] capacity (the burst allowance)
-- ARGV[3] cost (the number of events in the batch)
--
-- The bucket starts full and refills continuously up to its capacity. Redis' TIME is the one
-- clock, so every process of the fleet spends from the same bucket at the same rate. A refused
-- batch spends nothing. The key expires once the bucket would be full again.
-- Returns {1} when spent, {0, ms until the cost is available}, or {-1} when the cost is over
-- the capacity and can never be spent.

local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
if cost > capacity then
  return {-1}
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
  ts = now
end

if tokens < cost then
  return {0, math.ceil((cost - tokens) * 1000 / rate)}
end
tokens = tokens - cost
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%d', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1000)
return {1}
