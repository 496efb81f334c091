-- s_dlq_requeue.lua — the store's dead-letter requeue (store.h): entries
-- become waiting, due now, with attempt and deliveries reset; `due` hands
-- them to the log. KEYS[1]: the queue prefix. ARGV: a task id or '' (all),
-- now. Returns how many were requeued.
local p, now, ids = KEYS[1], ARGV[2], nil
if ARGV[1] ~= '' then
  if not redis.call('ZSCORE', p .. 'dlq', ARGV[1]) then return 0 end
  ids = {ARGV[1]}
else
  ids = redis.call('ZRANGE', p .. 'dlq', 0, -1)
end
local n = 0
for _, id in ipairs(ids) do
  local t = tk(p, id)
  local v = redis.call('HMGET', t, 'd', 'g')
  if v[1] and not v[2] then
    redis.call('HSET', t, 's', 2, 'a', 0)
    redis.call('HDEL', t, 'x', 'f', 'dl', 'cx', 'w', 'b')
    redis.call('ZREM', p .. 'dlq', id)
    redis.call('ZADD', p .. 'd', now, id)
    n = n + 1
  end
end
return n
