-- cancel.lua — cancel task ARGV[1]: a pending or deferred one is removed
-- and recorded cancelled (its unique key dropped); a running one is flagged.
-- KEYS[1]: the queue prefix. ARGV: id, now. Returns 0 or -4 (not found) /
-- -15 (already ended).
local p, id, now = KEYS[1], ARGV[1], ARGV[2]
local t = tk(p, id)
local s = tonumber(redis.call('HGET', t, 's') or '')
if not s or gone(t, now) then return -4 end
if s == 4 or s == 6 or s == 7 or s == 8 then return -15 end
if s == 2 or s == 3 then
  local r = redis.call('HGET', t, 'r') or ''
  local prio, eid = r:match('^(%S+) (%S+)$')
  if eid then
    local st = sk(p, prio)
    local pe = redis.pcall('XPENDING', st, G, eid, eid, 1)
    if type(pe) == 'table' and pe[1] then
      redis.call('HSET', t, 'cx', '1')
      return 0
    end
    redis.call('XDEL', st, eid)
  end
end
redis.call('ZREM', p .. 'd', id)
redis.call('HSET', t, 's', 7, 'f', now)
redis.call('HDEL', t, 'd', 'r')
expire(p, id, 0, now)
unlock(p, t, id, now)
notify(p, id, t)
return 0
