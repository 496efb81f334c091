-- sched_put.lua — store or replace a schedule: next fire, spec and pause
-- flag in the schedules hashes (KEYS[1..3]). ARGV: name, next fire, paused,
-- spec, if_absent. Returns 0 or -5 (exists, with if_absent).
local name = ARGV[1]
if ARGV[5] == '1' and redis.call('HEXISTS', KEYS[1], name) == 1 then return -5 end
redis.call('HSET', KEYS[1], name, ARGV[2])
redis.call('HSET', KEYS[2], name, ARGV[4])
if ARGV[3] == '1' then redis.call('HSET', KEYS[3], name, '1') else redis.call('HDEL', KEYS[3], name) end
return 0
