-- s_start.lua — decide which deliveries from the log run (store.h, start).
-- KEYS[1]: the queue prefix. ARGV: worker, now, lease end (us), takeover
-- ('1': the log has leases), then task ids. Returns per id the record's new
-- delivery count (it runs) or 0 (a leftover: drop it).
local p, w, now, untl, take, out = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1', {}
for i = 5, #ARGV do
  local id = ARGV[i]
  local run = redis.call('ZSCORE', p .. 'h', id) ~= false
  if not run then
    local lu = redis.call('ZSCORE', p .. 'l', id)
    if lu and (take or tonumber(lu) <= tonumber(now)) then
      if redis.call('HEXISTS', tk(p, id), 'cx') == 1 then
        s_cancelled(p, id, now)
      else
        run = true
      end
    end
  end
  if run then
    local t = tk(p, id)
    redis.call('ZREM', p .. 'h', id)
    redis.call('ZADD', p .. 'l', untl, id)
    redis.call('HSET', t, 's', 3, 'w', w, 'b', now)
    out[#out + 1] = redis.call('HINCRBY', t, 'dl', 1)
  else
    out[#out + 1] = 0
  end
end
return out
