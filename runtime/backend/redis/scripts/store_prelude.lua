-- store_prelude.lua — the helpers of the store role's scripts (s_*.lua): Redis
-- as the store beside a separate log (runtime/backend/store.h). A record is
-- the fused layout's state hash P..'t:'..ID, its payload kept in field d until
-- it ends, and its place is the sorted set that holds its id (times in us):
--   P..'h'  handing (score: end of the handoff window) or queued, in the log
--           (score: +inf);
--   P..'d'  waiting: deferred, a retry, a requeued dead letter (score: due);
--   P..'l'  running under the store's lease (score: lease end).
-- Ended records are as in the fused layout (P..'exp', P..'dlq').
-- Admit one job (the 9 values of orca__redis_add_job): the holder's id when
-- the id or unique key is taken, else false. fresh: as take_id's. hz: nil,
-- or a list that gets the (score, id) pair of a handing job for the caller's
-- one ZADD of P..'h' at the end of its batch.
local function s_admit(p, now, hwin, id, task, prio, eta, att, pay, uk, uttl, sttl, fresh, hz)
  local t = tk(p, id)
  local holder = take_id(p, t, now, id, uk, uttl, fresh)
  if holder then return holder end
  local f = {'HSET', t, 'm', now .. ' ' .. sttl .. ' ' .. task, 'd', pay}
  if prio ~= '0' then f[#f + 1] = 'y'; f[#f + 1] = prio end
  if att ~= '0' then f[#f + 1] = 'a'; f[#f + 1] = att end
  if eta ~= '0' then f[#f + 1] = 't'; f[#f + 1] = eta end
  if uk ~= '' then f[#f + 1] = 'u'; f[#f + 1] = uk end
  if tonumber(eta) > tonumber(now) then
    f[#f + 1] = 's'; f[#f + 1] = 1
    redis.call('ZADD', p .. 'd', eta, id)
  else
    f[#f + 1] = 's'; f[#f + 1] = 2
    local until_us = istr(tonumber(now) + tonumber(hwin))
    if hz then
      hz[#hz + 1] = until_us; hz[#hz + 1] = id
    else
      redis.call('ZADD', p .. 'h', until_us, id)
    end
  end
  redis.call(unpack(f))
  return false
end
-- Record id cancelled now, wherever it waits or runs.
local function s_cancelled(p, id, now)
  local t = tk(p, id)
  redis.call('ZREM', p .. 'h', id)
  redis.call('ZREM', p .. 'd', id)
  redis.call('ZREM', p .. 'l', id)
  redis.call('HSET', t, 's', 7, 'f', now)
  redis.call('HDEL', t, 'd', 'cx')
  expire(p, id, 0, now)
  unlock(p, t, id, now)
  notify(p, id, t)
end
-- Is id running under (worker, deliveries)? Returns the cancel flag too.
-- lease: nil, or id's score in P..'l' read by the caller (false: absent).
local function s_holds(p, id, worker, dl, lease)
  if lease == nil then lease = redis.call('ZSCORE', p .. 'l', id) end
  if not lease then return false end
  local v = redis.call('HMGET', tk(p, id), 'w', 'dl', 'cx')
  return v[1] == worker and v[2] == dl, v[3]
end
-- The ids of a batch in argv from index first, one every step values.
local function s_ids(argv, first, step)
  local ids = {}
  for b = first, #argv - step + 1, step do ids[#ids + 1] = argv[b] end
  return ids
end
-- One call of cmd on key with the flags and the values of list (nothing
-- when the list is empty).
local function s_many(cmd, key, flags, list)
  if #list == 0 then return end
  local a = {cmd, key}
  for _, x in ipairs(flags) do a[#a + 1] = x end
  for _, x in ipairs(list) do a[#a + 1] = x end
  redis.call(unpack(a))
end
