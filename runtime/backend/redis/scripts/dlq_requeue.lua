-- dlq_requeue.lua — put dead-lettered tasks back as pending with attempt
-- reset: ARGV[1] is a task id, or '' for the whole dead-letter set. KEYS[1]:
-- the queue prefix. Returns how many were requeued.
local p, ids = KEYS[1], nil
if ARGV[1] ~= '' then
  if not redis.call('ZSCORE', p .. 'dlq', ARGV[1]) then return 0 end
  ids = {ARGV[1]}
else
  ids = redis.call('ZRANGE', p .. 'dlq', 0, -1)
end
local n, seen = 0, {}
for _, id in ipairs(ids) do
  local t = tk(p, id)
  local v = redis.call('HMGET', t, 'd', 'y', 'g')
  if v[1] and not v[3] then
    redis.call('HSET', t, 's', 2, 'a', 0, 'r', push(p, id, v[2] or '0', v[1], seen))
    redis.call('HDEL', t, 'd', 'x', 'f', 'dl')
    redis.call('ZREM', p .. 'dlq', id)
    n = n + 1
  end
end
return n
