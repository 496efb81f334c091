-- stats.lua — the counts of one queue: {pending, running, scheduled, dead,
-- succeeded, failed}, running being the entries in the streams' pending
-- lists. KEYS[1]: the queue prefix. No ARGV.
local p, len, run = KEYS[1], 0, 0
for _, prio in ipairs(redis.call('ZRANGE', p .. 'prios', 0, -1)) do
  local s = sk(p, prio)
  len = len + redis.call('XLEN', s)
  local x = redis.pcall('XPENDING', s, G)
  if type(x) == 'table' then run = run + x[1] end
end
local c = redis.call('HMGET', p .. 'stats', 'ok', 'fail')
return {len - run, run, redis.call('ZCARD', p .. 'd'), redis.call('ZCARD', p .. 'dlq'),
        tonumber(c[1] or '0'), tonumber(c[2] or '0')}
