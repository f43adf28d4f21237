-- Read what a request needs before reading a stream, in one atomic snapshot.
--
-- KEYS[1] the stream, KEYS[2] its meta hash.
-- Returns {} for a stream that does not exist (never written, or its data was lost),
-- else {epoch or false, head, oldest id or false, oldest's predecessor or false}.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {}
end
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'last')
local head = meta[2]
if not head then
  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  head = last[1] and last[1][1] or '0-0'
end
local oldest, oldest_prev = false, false
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if first[1] then
  oldest = first[1][1]
  local fields = first[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'p' then
      oldest_prev = fields[i + 1]
    end
  end
end
return {meta[1] or false, head, oldest, oldest_prev}
