-- task_list.lua — the ids of one queue's tasks in one state, in that state's
-- order, for orca_task_list. KEYS[1]: the queue prefix. ARGV: state (an
-- orca_state number), offset, limit, now (us), budget (the most index entries
-- to read). Returns {matches skipped for the offset, id, id, ...}.
-- Where each state is read: pending, the stream entries past the group's
-- last delivered id, highest priority first; running, the streams' pending
-- lists; scheduled and failed (a retry waiting), the deferred set by due
-- time, checking each record's state; dead, the dead-letter set by time of
-- death; succeeded, cancelled and expired, the expiry index of ended
-- records, latest first, checking each record's state.
local p, want = KEYS[1], tonumber(ARGV[1])
local off, lim, now = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local budget = tonumber(ARGV[5])
local CHUNK = 256
local out, skipped = {0}, 0
-- Take one matching id; false once the page is full.
local function take(id)
  if skipped < off then
    skipped = skipped + 1
  else
    out[#out + 1] = id
  end
  return #out - 1 < lim
end
local function state_is(id)
  local t = tk(p, id)
  local s = tonumber(redis.call('HGET', t, 's') or '') or -1
  return s == want and not gone(t, now)
end
-- Walk a sorted set CHUNK members at a time; check the record's state when
-- the set holds several states.
local function zwalk(key, rev, check)
  local i = 0
  while budget > 0 do
    local ids = redis.call(rev and 'ZREVRANGE' or 'ZRANGE', key, i, i + CHUNK - 1)
    if #ids == 0 then return end
    for _, id in ipairs(ids) do
      budget = budget - 1
      if (not check or state_is(id)) and not take(id) then return end
    end
    i = i + CHUNK
  end
end
local function entry_task(e)
  local f = e and e[2] or {}
  for i = 1, #f - 1, 2 do
    if f[i] == 'i' then return f[i + 1] end
  end
end
local function last_delivered(s)
  local gs = redis.pcall('XINFO', 'GROUPS', s)
  if type(gs) ~= 'table' or gs.err then return '0-0' end
  for _, g in ipairs(gs) do
    local name, last
    for i = 1, #g - 1, 2 do
      if g[i] == 'name' then name = g[i + 1] end
      if g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    if name == G then return last or '0-0' end
  end
  return '0-0'
end
-- Entries of stream s not yet delivered; false once the page is full.
local function waiting(s)
  local from = '(' .. last_delivered(s)
  while budget > 0 do
    local es = redis.call('XRANGE', s, from, '+', 'COUNT', CHUNK)
    if #es == 0 then return true end
    for _, e in ipairs(es) do
      budget = budget - 1
      local id = entry_task(e)
      if id and not take(id) then return false end
      from = '(' .. e[1]
    end
  end
  return false
end
-- Entries of stream s delivered and not acknowledged: running tasks.
local function leased(s)
  local from = '-'
  while budget > 0 do
    local pe = redis.pcall('XPENDING', s, G, from, '+', CHUNK)
    if type(pe) ~= 'table' or pe.err or #pe == 0 then return true end
    for _, x in ipairs(pe) do
      budget = budget - 1
      local id = entry_task(redis.call('XRANGE', s, x[1], x[1])[1])
      if id and not take(id) then return false end
      from = '(' .. x[1]
    end
  end
  return false
end
if want == 2 or want == 3 then
  for _, prio in ipairs(redis.call('ZREVRANGE', p .. 'prios', 0, -1)) do
    if not (want == 2 and waiting or leased)(sk(p, prio)) then break end
  end
elseif want == 1 or want == 5 then
  zwalk(p .. 'd', false, true)
elseif want == 6 then
  zwalk(p .. 'dlq', false, false)
elseif want == 4 or want == 7 or want == 8 then
  zwalk(p .. 'exp', true, true)
end
out[1] = skipped
return out
