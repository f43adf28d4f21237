-- Append a batch of events to one stream, atomically, in one round trip.
--
-- KEYS[1] the stream, KEYS[2] its meta hash (epoch, last), KEYS[3] the idempotency record.
-- ARGV[1] an epoch to use if the stream is new (or lost its data)
-- ARGV[2] max events kept (0: no cap)       ARGV[3] max age in ms (0: no cap)
-- ARGV[4] idempotency TTL in ms (0: none)   ARGV[5] digest of the request body
-- ARGV[6..] pairs of (type, data).
--
-- Each entry stores its predecessor's ID ('p') and the epoch ('e'), so a reader can tell
-- "nothing lost" (p == last seen) from "trimmed" (p > last seen) from "new incarnation".
-- Returns {'seen', record} for a repeated idempotency key, else {'new', epoch, id...}.

if ARGV[4] ~= '0' then
  local seen = redis.call('GET', KEYS[3])
  if seen then
    return {'seen', seen}
  end
end

local meta = redis.call('HMGET', KEYS[2], 'epoch', 'last')
local epoch, prev = meta[1], meta[2]
if redis.call('EXISTS', KEYS[1]) == 0 then
  -- A new stream, or one whose data was lost: a new epoch makes old cursors detectably stale.
  epoch = ARGV[1]
  prev = '0-0'
elseif not epoch or not prev then
  -- Only the meta hash was lost: recover both from the newest entry when there is one.
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
  epoch = epoch or (newest and field(newest[2], 'e')) or ARGV[1]
  prev = prev or (newest and newest[1]) or '0-0'
end

local reply = {'new', epoch}
for i = 6, #ARGV, 2 do
  prev = redis.call('XADD', KEYS[1], '*', 't', ARGV[i], 'd', ARGV[i + 1], 'p', prev, 'e', epoch)
  reply[#reply + 1] = prev
end

if ARGV[2] ~= '0' then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', '=', ARGV[2])
end
if ARGV[3] ~= '0' then
  local now = redis.call('TIME')
  local cutoff = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[3])
  if cutoff > 0 then
    redis.call('XTRIM', KEYS[1], 'MINID', '=', string.format('%d', cutoff))
  end
end
redis.call('HSET', KEYS[2], 'epoch', epoch, 'last', prev)

if ARGV[4] ~= '0' then
  local record = ARGV[5] .. ' ' .. epoch .. ' ' .. table.concat(reply, ',', 3)
  redis.call('SET', KEYS[3], record, 'PX', ARGV[4])
end
return reply
