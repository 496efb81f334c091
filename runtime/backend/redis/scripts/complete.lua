-- complete.lua — one call per (queue, priority stream, worker) run of at most
-- ORCA__REDIS_CHUNK completions. ARGV: consumer, now, prio, lowest and
-- highest entry id of the run, then one record per completion: either
--   'a' EID ID STATE PACKED RESULT EXPIRY               (a plain ack)
-- ('A' instead of 'a': PACKED leaves the worker out, written as w), or
--   'g' EID ID OUTCOME STATE ATTEMPT STARTED ERROR RESULT TTL PAYLOAD
--       RETRY_AT UNIQUE_KEY UNIQUE_TTL EXPIRY                (anything else)
-- Only entries this consumer still holds (XPENDING over [lowest, highest])
-- are recorded; the rest lost their lease and belong to someone else.
-- PACKED is the state hash's c field, "ATTEMPT/DELIVERIES STARTED +RUN +TTL
-- [WORKER]", built by the client (orca__redis_info_from_hash reads it).
-- The general form adds the entry's delivery count (from XPENDING) to the
-- record's dl field.
local p, consumer, now, prio = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local s = sk(p, prio)
local owned = {}
local pe = redis.pcall('XPENDING', s, G, ARGV[4], ARGV[5], 100000, consumer)
if type(pe) == 'table' then
  for _, e in ipairs(pe) do owned[e[1]] = tonumber(e[4]) or 1 end
end
sweep(p, now, 512)
local ok, failed, seen, mine, exp = 0, 0, {}, {}, {}
local anyw = redis.call('SCARD', p .. 'waiting') > 0
local b, n = 6, #ARGV
while b <= n do
  local eid, id = ARGV[b + 1], ARGV[b + 2]
  local t = tk(p, id)
  local tag = ARGV[b]
  if tag == 'a' or tag == 'A' then
    if owned[eid] then
      owned[eid] = nil
      mine[#mine + 1] = eid
      local st, c, res, xp = ARGV[b + 3], ARGV[b + 4], ARGV[b + 5], ARGV[b + 6]
      if tag == 'A' then
        if res ~= '' then
          redis.call('HSET', t, 's', st, 'c', c, 'w', consumer, 'o', res)
        else
          redis.call('HSET', t, 's', st, 'c', c, 'w', consumer)
        end
      elseif res ~= '' then
        redis.call('HSET', t, 's', st, 'c', c, 'o', res)
      else
        redis.call('HSET', t, 's', st, 'c', c)
      end
      exp[#exp + 1] = xp; exp[#exp + 1] = id
      if anyw then notify(p, id, t) end
      if st == '4' then ok = ok + 1 end
    end
    b = b + 7
  else
    if owned[eid] then
      -- dl: deliveries of the task's earlier stream entries (a release
      -- does not count its own).
      local dn = owned[eid]
      owned[eid] = nil
      mine[#mine + 1] = eid
      local oc, st, er, res, pay = ARGV[b + 3], ARGV[b + 4], ARGV[b + 7], ARGV[b + 8], ARGV[b + 10]
      if oc == '2' then st = 5 elseif oc == '3' then st = 6 elseif oc == '4' then dn = dn - 1 end
      if dn > 0 then redis.call('HINCRBY', t, 'dl', dn) end
      local f = {'HSET', t, 's', st, 'a', ARGV[b + 5], 'w', consumer, 'b', ARGV[b + 6], 'f', now}
      if er ~= '' then f[#f + 1] = 'x'; f[#f + 1] = er end
      if oc == '1' then
        if res ~= '' then f[#f + 1] = 'o'; f[#f + 1] = res end
        local ttl = tonumber(ARGV[b + 9]) or 0
        if ttl > 0 then
          f[#f + 1] = 'xp'; f[#f + 1] = ARGV[b + 14]
          redis.call(unpack(f))
          exp[#exp + 1] = ARGV[b + 14]; exp[#exp + 1] = id
        else
          redis.call(unpack(f))
          expire(p, id, 0, now)
        end
        if anyw then notify(p, id, t) end
        if st == '4' then ok = ok + 1 end
      elseif oc == '2' then
        f[#f + 1] = 'd'; f[#f + 1] = pay; f[#f + 1] = 't'; f[#f + 1] = ARGV[b + 11]
        redis.call(unpack(f))
        defer(p, id, ARGV[b + 11])
        failed = failed + 1
      elseif oc == '3' then
        redis.call(unpack(f))
        bury_task(p, id, pay, er, now)
        failed = failed + 1
      else
        redis.call('HSET', t, 's', 2, 'r', push(p, id, prio, pay, seen))
      end
      end_unique(p, id, ARGV[b + 12], ARGV[b + 13], now)
    end
    b = b + 15
  end
end
if #mine > 0 then
  redis.call('XACK', s, G, unpack(mine))
  -- Remove the acknowledged entries. Everything below cut = min(highest id
  -- of the run + 1, lowest pending id) was delivered (the group reads in
  -- order) and is no longer pending, so XTRIM MINID drops it whole-node;
  -- entries of the run above a still-pending one are deleted one by one.
  local hm, hq = pid(ARGV[5])
  local cut = string.format('%.0f-%.0f', hm, hq + 1)
  local sm = redis.call('XPENDING', s, G)
  local below = false
  if sm[1] > 0 and sm[2] and idlt(sm[2], cut) then cut = sm[2]; below = true end
  redis.call('XTRIM', s, 'MINID', cut)
  if below then
    local rest = {}
    for _, x in ipairs(mine) do if not idlt(x, cut) then rest[#rest + 1] = x end end
    if #rest > 0 then redis.call('XDEL', s, unpack(rest)) end
  end
end
if #exp > 0 then redis.call('ZADD', p .. 'exp', unpack(exp)) end
if ok > 0 then redis.call('HINCRBY', p .. 'stats', 'ok', ok) end
if failed > 0 then redis.call('HINCRBY', p .. 'stats', 'fail', failed) end
return #mine
