-- s_cancel.lua — the store's cancel (store.h): a handing, queued or waiting
-- task is recorded cancelled at once (its log entry, if any, is dropped by
-- start); a running one is flagged. KEYS[1]: the queue prefix. ARGV: id,
-- now. Returns 0, -4 (not found) or -15 (already ended).
local p, id, now = KEYS[1], ARGV[1], ARGV[2]
local t = tk(p, id)
local s = tonumber(redis.call('HGET', t, 's') or '')
if not s or gone(t, now) then return -4 end
if s == 4 or s == 6 or s == 7 or s == 8 then return -15 end
if redis.call('ZSCORE', p .. 'l', id) then
  redis.call('HSET', t, 'cx', '1')
  return 0
end
s_cancelled(p, id, now)
return 0
