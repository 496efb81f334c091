-- release_worker.lua — the peer network declared worker ARGV[1] dead: make
-- every stream entry pending under that consumer, in the queues of KEYS,
-- look as if its lease had run out, at once. KEYS: queue prefixes
-- `orca:{Q}:` (every queue in one call on one server, one queue per call on
-- a Redis Cluster, where a script touches one slot). ARGV: worker, now, log
-- only ('1' from the log half: no records are read or written, cancelled
-- tasks are the store's business).
-- Each entry stays in the pending list with its delivery count but moves
-- to the consumer RELEASED with its delivery time back at the epoch
-- (XCLAIM ... TIME 0 JUSTID), so the next XAUTOCLAIM of any worker takes
-- it over (counting a delivery, which keeps poison tasks detectable), and
-- a signal on the queue makes workers blocked on the fast path run the
-- fetch script, which reclaims when it reads nothing new. The old holder's
-- completions and renewals are refused from now on (the entry is no longer
-- pending under it); state_get reports such an entry as pending.
-- A task whose cancel was requested while it ran is recorded cancelled
-- instead. Returns the number of tasks released.
local worker, now, logonly, n = ARGV[1], ARGV[2], ARGV[3] == '1', 0
for _, p in ipairs(KEYS) do
  local any = false
  for _, prio in ipairs(redis.call('ZRANGE', p .. 'prios', 0, -1)) do
    local s = sk(p, prio)
    local pe = redis.pcall('XPENDING', s, G, '-', '+', 1000000, worker)
    if type(pe) == 'table' and not pe.err and #pe > 0 then
      local back = {}
      for _, e in ipairs(pe) do
        local eid = e[1]
        local r = redis.call('XRANGE', s, eid, eid)
        local id = not logonly and r[1] and entry_task(r[1][2])
        local t = id and tk(p, id)
        if t and redis.call('HGET', t, 'cx') then
          redis.call('XACK', s, G, eid)
          redis.call('XDEL', s, eid)
          redis.call('HINCRBY', t, 'dl', tonumber(e[4]) or 1)
          redis.call('HSET', t, 's', 7, 'f', now)
          redis.call('HDEL', t, 'r')
          expire(p, id, 0, now)
          unlock(p, t, id, now)
          notify(p, id, t)
        else
          if t then redis.call('HSET', t, 's', 2) end
          back[#back + 1] = eid
        end
        n = n + 1
      end
      for i = 1, #back, 1000 do
        local a = {'XCLAIM', s, G, RELEASED, 0}
        for j = i, math.min(i + 999, #back) do a[#a + 1] = back[j] end
        a[#a + 1] = 'TIME'; a[#a + 1] = 0; a[#a + 1] = 'JUSTID'
        redis.call(unpack(a))
        any = true
      end
    end
  end
  if any then wake(p) end
end
return n
