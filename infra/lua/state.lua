-- Read what a request needs before reading a stream, in one atomic snapshot.
--
-- KEYS[1] the stream, KEYS[2] its meta hash.
-- Returns {} for a stream that does not exist (never written, or its data was lost),
-- else {epoch or false, head, oldest id or false, oldest's predecessor or false}.
-- If only the meta hash was lost, epoch and head are recovered from the newest entry, so the
-- events that are still there do not cause a false reset.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {}
end
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'last')
local epoch, head = meta[1], meta[2]
if not epoch or not head then
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
  if newest then
    epoch = epoch or field(newest[2], 'e')
    head = head or newest[1]
  end
end
local oldest, oldest_prev = false, false
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if first then
  oldest = first[1]
  oldest_prev = field(first[2], 'p')
end
return {epoch or false, head or '0-0', oldest, oldest_prev}
