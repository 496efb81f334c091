-- s_renew.lua — push the store's lease of running deliveries (store.h,
-- renew). KEYS[1]: the queue prefix. ARGV: worker, lease end (us), then task
-- id and deliveries per lease. Returns per lease 0, -16 (lost) or -7 (cancel
-- requested; the lease is pushed all the same).
local p, w, untl, out = KEYS[1], ARGV[1], ARGV[2], {}
for b = 3, #ARGV - 1, 2 do
  local mine, cx = s_holds(p, ARGV[b], w, ARGV[b + 1])
  if mine then
    redis.call('ZADD', p .. 'l', 'XX', untl, ARGV[b])
    out[#out + 1] = cx and -7 or 0
  else
    out[#out + 1] = -16
  end
end
return out
