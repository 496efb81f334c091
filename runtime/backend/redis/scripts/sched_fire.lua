-- sched_fire.lua — the exactly-once fire of a schedule: when its stored
-- next fire (KEYS[1]) equals ARGV[2], set it to ARGV[3] and enqueue the fire's
-- jobs (10 values each from ARGV[5]) in the same step. ARGV: name, expected,
-- next, now, jobs. Returns 0, -4 (no such schedule) or -14 (fired already).
local name, now, seen = ARGV[1], ARGV[4], {}
local cur = redis.call('HGET', KEYS[1], name)
if not cur then return -4 end
if cur ~= ARGV[2] then return -14 end
redis.call('HSET', KEYS[1], name, ARGV[3])
for b = 5, #ARGV - 9, 10 do
  local q = ARGV[b]
  redis.call('SADD', 'orca:queues', q)
  enq('orca:{' .. q .. '}:', now, ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4],
      ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], ARGV[b + 8], ARGV[b + 9], seen, false)
end
return 0
