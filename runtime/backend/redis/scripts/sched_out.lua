-- sched_out.lua — the first half of a schedule fire on a Redis Cluster,
-- where the schedules (slot of {sched}) and the target queues live in
-- different slots: when the stored next fire (KEYS[1]) equals ARGV[2], set
-- it to ARGV[3] and record the fire's jobs in the outbox hash KEYS[2]
-- (field: job id; value: cmsgpack array of the fire time and the job's 10
-- values). The caller then enqueues the jobs in their queues (idempotent by
-- id) and deletes the entries; entries a dead caller left are re-sent by
-- the next fire (redis_admin.c). ARGV: name, expected, next, now, jobs (10
-- values each from ARGV[5]). Returns 0, -4 (no such schedule) or -14
-- (fired already).
local name = ARGV[1]
local cur = redis.call('HGET', KEYS[1], name)
if not cur then return -4 end
if cur ~= ARGV[2] then return -14 end
redis.call('HSET', KEYS[1], name, ARGV[3])
for b = 5, #ARGV - 9, 10 do
  local job = {ARGV[4]}
  for i = 0, 9 do job[#job + 1] = ARGV[b + i] end
  redis.call('HSET', KEYS[2], ARGV[b + 1], cmsgpack.pack(job))
end
return 0
