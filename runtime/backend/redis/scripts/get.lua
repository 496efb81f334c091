-- get.lua — a task's state hash, its pending-list entry (consumer, idle ms)
-- and its payload; with ARGV[2] = '1' register a waiter (state_wait). KEYS[1]:
-- the queue prefix. ARGV: id, arm, now. Returns false when there is no record
-- (or it expired).
local p, id, now = KEYS[1], ARGV[1], ARGV[3]
local t = tk(p, id)
local h = redis.call('HGETALL', t)
if #h == 0 or gone(t, now) then return false end
local m = {}
for i = 1, #h - 1, 2 do m[h[i]] = h[i + 1] end
local s = tonumber(m.s or '0') or 0
local pel, pay = false, m.d or false
if m.r and not pay and (s == 2 or s == 3) then
  local prio, eid = m.r:match('^(%S+) (%S+)$')
  if eid then
    local pe = redis.pcall('XPENDING', sk(p, prio), G, eid, eid, 1)
    if type(pe) == 'table' and pe[1] then pel = {pe[1][2], pe[1][3], pe[1][4]} end
    local e = redis.call('XRANGE', sk(p, prio), eid, eid)
    if e[1] then
      local f = e[1][2]
      for i = 1, #f - 1, 2 do if f[i] == 'p' then pay = f[i + 1] end end
    end
  end
end
local final = s == 4 or s == 6 or s == 7 or s == 8
if ARGV[2] == '1' and not final then
  redis.call('HINCRBY', t, 'wt', 1)
  redis.call('SADD', p .. 'waiting', id)
end
return {h, pel, pay}
