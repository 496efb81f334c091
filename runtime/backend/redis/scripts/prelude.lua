-- prelude.lua — the helpers every script of the orca library shares. The
-- library (redis_scripts.c) is this prelude followed by one Redis function per
-- other file here, each file being the body of function(KEYS, ARGV). Key
-- layout and state hash fields: the head of redis_scripts.c and docs/redis.md.
local G = 'orca'
-- The consumer that holds the entries of a worker the peer network declared
-- dead until a live worker claims them (release_worker.lua;
-- ORCA__REDIS_RELEASED in redis_internal.h).
local RELEASED = 'orca:released'
-- Lease pinning: an entry's PEL delivery time is set to (lease_until - K) ms,
-- so 'idle >= K + (redis_now - client_now)' means the lease ran out by the
-- client's clock (XCLAIM TIME cannot be in the future, hence K).
local K = 315360000000
local function istr(x) return string.format('%.0f', x) end
local function redis_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function uget(k, now)
  local v = redis.call('GET', k)
  if not v then return nil end
  local id, exp = v:match('^(.*) (%d+)$')
  if not id then return v end
  if tonumber(exp) > 0 and tonumber(exp) <= tonumber(now) then return nil end
  return id
end
local function uset(k, id, ttl, now)
  ttl = tonumber(ttl) or 0
  if ttl > 0 then
    redis.call('SET', k, id .. ' ' .. istr(tonumber(now) + ttl * 1000), 'PX', ttl)
  else
    redis.call('SET', k, id .. ' 0')
  end
end
local function tk(p, id) return p .. 't:' .. id end
local function sk(p, prio) return p .. 'p:' .. prio end
-- Wake-ups: an entry in the queue's signal stream P..'sig' (group G). A
-- worker blocked in XREADGROUP on its task stream and the signal stream
-- wakes, acknowledges it and runs the fetch script, which sees new
-- priority streams and earlier deferred tasks (redis_queue.c, fast fetch).
local function wake(p)
  redis.call('XADD', p .. 'sig', 'MAXLEN', '~', 64, '*', 'w', '1')
end
-- A consumer-group command on stream s. A stream deleted under its queue
-- (DEL, while P..'prios' still names it) lost its group, and the next
-- XADD makes a stream without one: on NOGROUP create the group (and the
-- stream) again, from '0' so entries added since are delivered, and repeat.
local function gcall(s, ...)
  local r = redis.pcall(...)
  if type(r) == 'table' and r.err then
    if not string.find(r.err, 'NOGROUP', 1, true) then error(r) end
    redis.call('XGROUP', 'CREATE', s, G, '0', 'MKSTREAM')
    redis.log(redis.LOG_WARNING, 'orca: ' .. s .. ' had no consumer group ' .. G ..
              ' (stream deleted?); created it again')
    r = redis.call(...)
  end
  return r
end
local function ensure(p, prio, seen)
  if seen[p .. prio] then return end
  seen[p .. prio] = true
  if redis.call('ZADD', p .. 'prios', 'NX', prio, prio) == 1 then
    redis.pcall('XGROUP', 'CREATE', sk(p, prio), G, '0', 'MKSTREAM')
    wake(p)
  end
end
-- Put id into the deferred set; a new earliest due time wakes the workers.
local function defer(p, id, eta)
  local h = redis.call('ZRANGE', p .. 'd', 0, 0, 'WITHSCORES')
  redis.call('ZADD', p .. 'd', eta, id)
  if not h[2] or tonumber(eta) < tonumber(h[2]) then wake(p) end
end
-- The task id and payload of a stream entry's fields, or nil and why not.
local function entry_task(f)
  local id, pay
  if type(f) == 'table' then
    for i = 1, #f - 1, 2 do
      if f[i] == 'i' then id = f[i + 1] elseif f[i] == 'p' then pay = f[i + 1] end
    end
  end
  if not id then return nil, nil, 'no task id field i' end
  if id == '' or #id >= 128 then return nil, nil, 'task id empty or too long' end
  if not pay then return nil, nil, 'no payload field p' end
  return id, pay
end
-- Dead-letter a stream entry that is not a task (no i or p field).
-- e = {entry id, {field, value, ...}}.
local function bury_entry(p, prio, s, e, why, now)
  redis.call('XACK', s, G, e[1])
  redis.call('XDEL', s, e[1])
  local f = e[2]
  local gid = 'garbage:' .. prio .. ':' .. e[1]
  redis.call('HSET', tk(p, gid), 's', 6, 'g', '1', 'm', now .. ' 0 ', 'f', now,
             'x', 'malformed stream entry ' .. e[1] .. ' in ' .. s .. ': ' .. why,
             'd', cmsgpack.pack(type(f) == 'table' and f or {}))
  redis.call('ZADD', p .. 'dlq', now, gid)
end
local function push(p, id, prio, pay, seen)
  ensure(p, prio, seen)
  return prio .. ' ' .. redis.call('XADD', sk(p, prio), '*', 'i', id, 'p', pay)
end
local function notify(p, id, t)
  if redis.call('SISMEMBER', p .. 'waiting', id) == 0 then return end
  redis.call('SREM', p .. 'waiting', id)
  local w = tonumber(redis.call('HGET', t, 'wt') or '0') or 0
  if w > 0 then
    local nk = p .. 'n:' .. id
    for _ = 1, w do redis.call('RPUSH', nk, '1') end
    redis.call('PEXPIRE', nk, 60000)
    redis.call('HDEL', t, 'wt')
  end
end
local function ttl_of(t, ttl)
  ttl = tonumber(ttl) or 0
  if ttl <= 0 then
    local m = redis.call('HGET', t, 'm')
    ttl = tonumber(m and m:match('^%S+ (%d+)') or '0') or 0
  end
  if ttl <= 0 then ttl = 86400000 end
  return ttl
end
local function unlock(p, t, id, now)
  local uk = redis.call('HGET', t, 'u')
  if uk then
    local k = p .. 'u:' .. uk
    if uget(k, now) == id then redis.call('DEL', k) end
  end
end
-- An ended record lives ttl ms (the task's state ttl when ttl is 0); it is
-- listed in P..'exp' like the records complete ends, so ended tasks can be
-- listed by state (task_list.lua) and the sweep deletes it on time.
local function expire(p, id, ttl, now)
  local t = tk(p, id)
  ttl = ttl_of(t, ttl)
  local xp = istr(tonumber(now) + ttl * 1000)
  redis.call('HSET', t, 'xp', xp)
  redis.call('PEXPIRE', t, ttl)
  redis.call('ZADD', p .. 'exp', xp, id)
end
-- Real-clock mode (pinned == false): a delivery's lease is the Redis idle
-- time and every worker of a queue uses the same lease, so fresh reads need
-- no XCLAIM. Injected clocks pin every delivery (see redis_scripts.c head).
local function pin(s, consumer, ids, until_ms, pinned)
  if #ids == 0 then return end
  local a = {'XCLAIM', s, G, consumer, 0}
  for _, x in ipairs(ids) do a[#a + 1] = x end
  if pinned then
    a[#a + 1] = 'TIME'; a[#a + 1] = istr(tonumber(until_ms) - K)
  end
  a[#a + 1] = 'JUSTID'
  redis.call(unpack(a))
end
-- Stream entry ids 'MS-SEQ' as numbers, and their order.
local function pid(x)
  local m, q = x:match('^(%d+)-(%d+)$')
  return tonumber(m) or 0, tonumber(q) or 0
end
local function idlt(a, b)
  local am, aq = pid(a)
  local bm, bq = pid(b)
  if am ~= bm then return am < bm end
  return aq < bq
end
-- A number of a packed field: "+N" is N after base.
local function rel(base, s)
  if s:sub(1, 1) == '+' then return base + (tonumber(s:sub(2)) or 0) end
  return tonumber(s) or 0
end
-- The expiry in a plain ack's packed c field, "ATTEMPT STARTED FINISHED
-- EXPIRY [WORKER]" (FINISHED may be "+" the run, EXPIRY "+" the TTL).
local function packed_expiry(c)
  local b, f, x = c:match('^%S+ (%d+) (%+?%d+) (%+?%d+)')
  if not b then return nil end
  return rel(rel(tonumber(b) or 0, f), x)
end
local function gone(t, now)
  local v = redis.call('HMGET', t, 'xp', 'c')
  local xp = v[2] and packed_expiry(v[2]) or tonumber(v[1] or '0') or 0
  return xp > 0 and xp <= tonumber(now)
end
-- A task's run ended: its unique key uk ('' = none) is kept uttl ms more
-- when uttl > 0 (uniqueness past the end), else released if id holds it.
local function end_unique(p, id, uk, uttl, now)
  if uk == '' then return end
  local k = p .. 'u:' .. uk
  if (tonumber(uttl) or 0) > 0 then
    uset(k, id, uttl, now)
  elseif uget(k, now) == id then
    redis.call('DEL', k)
  end
end
-- Take task id (record t; a gone record of it is dropped) and its unique
-- key uk: the holder's id when either is taken, else nil. fresh: the
-- caller checked that no record exists.
local function take_id(p, t, now, id, uk, uttl, fresh)
  if not fresh and redis.call('EXISTS', t) == 1 then
    if not gone(t, now) then return id end
    redis.call('DEL', t)
    redis.call('ZREM', p .. 'exp', id)
  end
  if uk ~= '' then
    local k = p .. 'u:' .. uk
    local holder = uget(k, now)
    if holder then return holder end
    uset(k, id, uttl, now)
  end
end
-- Batches. A script may read the places of a whole batch in one call and
-- write them in one call at its end only when no id repeats in it (a repeat
-- must see what its first copy did). Batches hold at most ORCA__REDIS_CHUNK
-- items (redis_internal.h), well within what unpack takes.
local function distinct(ids)
  local seen = {}
  for _, id in ipairs(ids) do
    if seen[id] then return false end
    seen[id] = true
  end
  return true
end
-- True when the ids of a batch are distinct and none has a record, by one
-- EXISTS: the jobs may skip their own check (take_id's fresh).
local function batch_fresh(p, ids)
  if #ids == 0 or not distinct(ids) then return false end
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = tk(p, id) end
  return redis.call('EXISTS', unpack(keys)) == 0
end
-- fresh: the caller checked that no record of the batch exists.
local function enq(p, now, id, task, prio, eta, att, pay, uk, uttl, sttl, seen, fresh)
  local t = tk(p, id)
  local holder = take_id(p, t, now, id, uk, uttl, fresh)
  if holder then return holder end
  local f = {'HSET', t, 'm', now .. ' ' .. sttl .. ' ' .. task}
  if prio ~= '0' then f[#f + 1] = 'y'; f[#f + 1] = prio end
  if att ~= '0' then f[#f + 1] = 'a'; f[#f + 1] = att end
  if eta ~= '0' then f[#f + 1] = 't'; f[#f + 1] = eta end
  if uk ~= '' then f[#f + 1] = 'u'; f[#f + 1] = uk end
  if tonumber(eta) > tonumber(now) then
    defer(p, id, eta)
    f[#f + 1] = 's'; f[#f + 1] = 1; f[#f + 1] = 'd'; f[#f + 1] = pay
  else
    f[#f + 1] = 's'; f[#f + 1] = 2; f[#f + 1] = 'r'; f[#f + 1] = push(p, id, prio, pay, seen)
  end
  redis.call(unpack(f))
  return false
end
local function promote(p, now, max, seen)
  local ids = redis.call('ZRANGEBYSCORE', p .. 'd', '-inf', now, 'LIMIT', 0, max)
  for _, id in ipairs(ids) do
    local t = tk(p, id)
    local v = redis.call('HMGET', t, 'd', 'y')
    redis.call('ZREM', p .. 'd', id)
    if v[1] then
      redis.call('HSET', t, 's', 2, 'r', push(p, id, v[2] or '0', v[1], seen))
      redis.call('HDEL', t, 'd')
    end
  end
  return #ids
end
-- Finished records are listed in P..'exp' (score = expiry us) and deleted
-- here in batches once expired, instead of one PEXPIRE per task.
local function sweep(p, now, max)
  local ids = redis.call('ZRANGEBYSCORE', p .. 'exp', '-inf', now, 'LIMIT', 0, max)
  if #ids == 0 then return end
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = tk(p, id) end
  redis.call('DEL', unpack(keys))
  redis.call('ZREM', p .. 'exp', unpack(ids))
end
local function next_due(p)
  local r = redis.call('ZRANGE', p .. 'd', 0, 0, 'WITHSCORES')
  if r[2] then return tonumber(r[2]) end
  return -1
end
local function bury_task(p, id, pay, reason, now)
  local t = tk(p, id)
  redis.call('HSET', t, 's', 6, 'x', reason, 'f', now, 'd', pay)
  redis.call('HDEL', t, 'r')
  redis.call('PERSIST', t)
  redis.call('ZADD', p .. 'dlq', now, id)
  unlock(p, t, id, now)
  notify(p, id, t)
end
