-- fetch.lua — lease up to `want` tasks over the queues in KEYS (in order):
-- promote due deferred tasks, reclaim expired leases (XAUTOCLAIM), read new
-- entries, pin their lease under an injected clock, dead-letter garbage and
-- poison entries. ARGV: consumer, want, now, lease until (ms), claim, max
-- priorities, max deliveries, pinned, lease (ms), log only (redis_fetch.c).
-- Log only (the log half, redis_log.c): the streams and their pending lists
-- are all there is; no records, deferred set or dead letters are touched (a
-- garbage entry is dropped with a warning, deliveries are counted by the
-- store).
local consumer, want, now, untilms = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local claim, pmax, maxd = ARGV[5] == '1', tonumber(ARGV[6]), tonumber(ARGV[7])
-- pinned: injected clock; leases are pinned and running is written. Real
-- clock: running is derived from the pending list by the get script.
local pinned, lease, logonly = ARGV[8] == '1', tonumber(ARGV[9]), ARGV[10] == '1'
local minidle = lease
if pinned then minidle = K + redis_ms() - math.floor(tonumber(now) / 1000) end
if minidle < 0 then minidle = 0 end
local taken
-- out: next due, wait list (when nothing was read), the priorities of the
-- first queue (for the fast fetch path), then 6 values per task.
local out, seen, got, nd = {0, {}, {}}, {}, 0, -1
local function take(qi, p, prio, s, e, dl)
  local id, pay, why = entry_task(e[2])
  if not id and logonly then
    redis.call('XACK', s, G, e[1])
    redis.call('XDEL', s, e[1])
    redis.log(redis.LOG_WARNING, 'orca: dropped malformed entry ' .. e[1] .. ' of ' .. s .. ': ' .. why)
    return 0
  elseif not id then
    bury_entry(p, prio, s, e, why, now)
    return 0
  end
  if dl > maxd and not logonly then
    redis.call('HINCRBY', tk(p, id), 'dl', dl - 1)
    redis.call('XACK', s, G, e[1])
    redis.call('XDEL', s, e[1])
    bury_task(p, id, pay, 'delivered ' .. dl .. ' times without finishing (poison task)', now)
    return 0
  end
  if pinned and not logonly then redis.call('HSET', tk(p, id), 's', 3, 'w', consumer, 'b', now) end
  taken[#taken + 1] = e[1]
  local n = #out
  out[n + 1] = qi; out[n + 2] = prio; out[n + 3] = e[1]; out[n + 4] = dl
  out[n + 5] = id; out[n + 6] = pay
  return 1
end
-- Hand out entries whose lease ran out (by the caller's clock), with their
-- delivery count; XAUTOCLAIM scans at most 10 x COUNT pending entries.
local function reclaim(qi, p, prio, s)
  local r = gcall(s, 'XAUTOCLAIM', s, G, consumer, istr(minidle), '0-0', 'COUNT', want - got)
  for _, e in ipairs(r[2]) do
    local pe = redis.call('XPENDING', s, G, e[1], e[1], 1)
    local dl = 1
    if pe[1] then dl = tonumber(pe[1][4]) end
    got = got + take(qi, p, prio, s, e, dl)
  end
end
-- Dead consumers (real clock only): a worker renews its leases every
-- third of the lease and an idle one reads at least every claim interval,
-- so a consumer silent for half the lease (XINFO CONSUMERS idle) has
-- died. Its entries idle as long are claimed now instead of when their
-- lease runs out; consumers with nothing pending are forgotten.
local dead = math.floor(lease / 2)
local function reclaim_dead(qi, p, prio, s)
  local cs = redis.pcall('XINFO', 'CONSUMERS', s, G)
  if type(cs) ~= 'table' then return end
  for _, c in ipairs(cs) do
    local name, pend, idle
    for i = 1, #c - 1, 2 do
      if c[i] == 'name' then name = c[i + 1]
      elseif c[i] == 'pending' then pend = tonumber(c[i + 1])
      elseif c[i] == 'idle' then idle = tonumber(c[i + 1]) end
    end
    if name and name ~= consumer and idle and idle >= dead then
      if pend == 0 then
        redis.call('XGROUP', 'DELCONSUMER', s, G, name)
      elseif got < want then
        local pe = redis.call('XPENDING', s, G, 'IDLE', dead, '-', '+', want - got, name)
        if #pe > 0 then
          local ids, dl = {}, {}
          for i, e in ipairs(pe) do ids[i] = e[1]; dl[e[1]] = tonumber(e[4]) + 1 end
          for _, e in ipairs(redis.call('XCLAIM', s, G, consumer, dead, unpack(ids))) do
            if type(e) == 'table' and type(e[2]) == 'table' then
              got = got + take(qi, p, prio, s, e, dl[e[1]] or 1)
            end
          end
        end
      end
    end
  end
end
for qi = 1, #KEYS do
  local p = KEYS[qi]
  if not logonly then
    sweep(p, now, 512)
    promote(p, now, pmax, seen)
    local d = next_due(p)
    if d >= 0 and (nd < 0 or d < nd) then nd = d end
  end
  local prios = {}
  if got < want or qi == 1 then prios = redis.call('ZRANGE', p .. 'prios', 0, -1) end
  if qi == 1 and #KEYS == 1 and not pinned then
    out[3] = prios
    -- The fast path also reads the signal stream: make sure its group exists.
    -- ('$': signals sent before now are covered by this very call.)
    redis.pcall('XGROUP', 'CREATE', p .. 'sig', G, '$', 'MKSTREAM')
  end
  if got < want then
    for j = #prios, 1, -1 do
      local prio = prios[j]
      local s = sk(p, prio)
      taken = {}
      if claim and not pinned then reclaim_dead(qi, p, prio, s) end
      if claim and got < want then reclaim(qi, p, prio, s) end
      -- Read again while garbage entries took places of the batch.
      while got < want do
        local ask = want - got
        local r = gcall(s, 'XREADGROUP', 'GROUP', G, consumer, 'COUNT', ask,
                        'STREAMS', s, '>')
        local es = r and r[1][2] or {}
        for _, e in ipairs(es) do got = got + take(qi, p, prio, s, e, 1) end
        if #es < ask then break end
      end
      -- Off-interval reclaim only when nothing new was read: a scan per
      -- partial batch costs an XAUTOCLAIM of up to 10 x COUNT pending
      -- entries (~0.9 ms at COUNT 256) on the busy path for nothing.
      if got == 0 then reclaim(qi, p, prio, s) end
      if pinned then pin(s, consumer, taken, untilms, true) end
    end
  end
end
out[1] = nd
if got == 0 then
  local w = {}
  for qi = 1, #KEYS do
    local p = KEYS[qi]
    for _, prio in ipairs(redis.call('ZRANGE', p .. 'prios', 0, -1)) do
      local s = sk(p, prio)
      local ld = '0-0'
      local gs = redis.pcall('XINFO', 'GROUPS', s)
      if type(gs) == 'table' then
        for _, g in ipairs(gs) do
          local name, last
          for i = 1, #g - 1, 2 do
            if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
          end
          if name == G and last then ld = last end
        end
      end
      w[#w + 1] = s; w[#w + 1] = ld
    end
  end
  out[2] = w
end
return out
