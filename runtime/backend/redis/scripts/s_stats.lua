-- s_stats.lua — the counts of one queue in the store role, as stats.lua's:
-- {pending (handing and queued), running, waiting, dead, succeeded,
-- failed}. KEYS[1]: the queue prefix. No ARGV.
local p = KEYS[1]
local c = redis.call('HMGET', p .. 'stats', 'ok', 'fail')
return {redis.call('ZCARD', p .. 'h'), redis.call('ZCARD', p .. 'l'), redis.call('ZCARD', p .. 'd'),
        redis.call('ZCARD', p .. 'dlq'), tonumber(c[1] or '0'), tonumber(c[2] or '0')}
