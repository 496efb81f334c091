-- s_sched_fire.lua — the store's exactly-once schedule fire (store.h): when
-- the stored next fire (KEYS[1]) equals ARGV[2], set it to ARGV[3] and admit
-- the fire's jobs (10 values each from ARGV[6]: queue, then as s_admit) in
-- the same step. ARGV: name, expected, next, now, handoff window (us), jobs.
-- Returns {0, one status per job (0 or the holder's id)}, {-4} (no such
-- schedule) or {-14} (fired already).
local name, now, hwin = ARGV[1], ARGV[4], ARGV[5]
local cur = redis.call('HGET', KEYS[1], name)
if not cur then return {-4} end
if cur ~= ARGV[2] then return {-14} end
redis.call('HSET', KEYS[1], name, ARGV[3])
local out = {0}
for b = 6, #ARGV - 9, 10 do
  local q = ARGV[b]
  redis.call('SADD', 'orca:queues', q)
  out[#out + 1] = s_admit('orca:{' .. q .. '}:', now, hwin, ARGV[b + 1], ARGV[b + 2],
                          ARGV[b + 3], ARGV[b + 4], ARGV[b + 5], ARGV[b + 6], ARGV[b + 7],
                          ARGV[b + 8], ARGV[b + 9]) or 0
end
return out
