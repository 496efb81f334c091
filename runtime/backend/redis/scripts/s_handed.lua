-- s_handed.lua — the log has these tasks now: handing -> queued (store.h).
-- Records in any other place are left alone. KEYS[1]: the queue prefix.
-- ARGV: task ids. Returns one 0 per id.
local p, out = KEYS[1], {}
for i = 1, #ARGV do
  local sc = redis.call('ZSCORE', p .. 'h', ARGV[i])
  if sc and sc ~= 'inf' then redis.call('ZADD', p .. 'h', 'XX', '+inf', ARGV[i]) end
  out[i] = 0
end
return out
