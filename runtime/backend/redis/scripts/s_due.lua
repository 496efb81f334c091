-- s_due.lua — hand out the store's tasks whose time came (store.h, due):
-- waiting ones at their due time, handing ones past their window and, with
-- reclaim, running ones whose store lease ran out, earliest first over the
-- queues in KEYS. Each becomes handing until now + window. Also sweeps
-- expired records. ARGV: now, max, reclaim, handoff window (us). Returns
-- {next due or -1, then 6 values per task: queue index, id, m field,
-- priority, attempt, payload}.
local now, max, reclaim = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local untl = istr(now + tonumber(ARGV[4]))
local nows, cand = istr(now), {}
for qi = 1, #KEYS do
  local p = KEYS[qi]
  sweep(p, nows, 512)
  if reclaim then
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'l', '-inf', nows, 'LIMIT', 0, max)) do
      if redis.call('HEXISTS', tk(p, id), 'cx') == 1 then
        s_cancelled(p, id, nows)
      else
        redis.call('ZREM', p .. 'l', id)
        redis.call('HDEL', tk(p, id), 'w', 'b')
        redis.call('ZADD', p .. 'd', nows, id)
      end
    end
  end
  for _, set in ipairs({'d', 'h'}) do
    local r = redis.call('ZRANGEBYSCORE', p .. set, '-inf', nows, 'WITHSCORES', 'LIMIT', 0, max)
    for i = 1, #r - 1, 2 do cand[#cand + 1] = {tonumber(r[i + 1]), qi, r[i]} end
  end
end
table.sort(cand, function(a, b) return a[1] < b[1] end)
local out = {-1}
for i = 1, math.min(#cand, max) do
  local qi, id = cand[i][2], cand[i][3]
  local p = KEYS[qi]
  local t = tk(p, id)
  local v = redis.call('HMGET', t, 'm', 'y', 'a', 'd')
  redis.call('ZREM', p .. 'd', id)
  if v[4] then
    redis.call('ZADD', p .. 'h', untl, id)
    redis.call('HSET', t, 's', 2)
    local n = #out
    out[n + 1] = qi; out[n + 2] = id; out[n + 3] = v[1] or ''
    out[n + 4] = v[2] or '0'; out[n + 5] = v[3] or '0'; out[n + 6] = v[4]
  else
    redis.call('ZREM', p .. 'h', id) -- no payload: nothing to hand out
  end
end
-- The earliest remaining due time, not counting the windows just opened.
local nd, opened = nil, #out > 1
local function seen(r)
  if r[2] and r[2] ~= 'inf' then
    local x = tonumber(r[2])
    if not nd or x < nd then nd = x end
  end
end
for qi = 1, #KEYS do
  local p = KEYS[qi]
  seen(redis.call('ZRANGE', p .. 'd', 0, 0, 'WITHSCORES'))
  if opened then
    seen(redis.call('ZRANGEBYSCORE', p .. 'h', '-inf', '(' .. untl, 'WITHSCORES', 'LIMIT', 0, 1))
    seen(redis.call('ZRANGEBYSCORE', p .. 'h', '(' .. untl, '+inf', 'WITHSCORES', 'LIMIT', 0, 1))
  else
    seen(redis.call('ZRANGE', p .. 'h', 0, 0, 'WITHSCORES'))
  end
  if reclaim then seen(redis.call('ZRANGE', p .. 'l', 0, 0, 'WITHSCORES')) end
end
if nd then out[1] = istr(nd) end
return out
