-- enqueue.lua — store a batch of jobs of one queue: dedup by id, unique
-- keys, the priority stream or the deferred set, the state hash. KEYS[1]: the
-- queue prefix. ARGV: now, then 9 values per job (redis_queue.c,
-- orca__redis_add_job). Returns one status per job (0, or the holder's id).
local p, now, seen, out = KEYS[1], ARGV[1], {}, {}
-- One EXISTS for the whole batch (batch_fresh): when no id is taken (the
-- usual case) the jobs skip their own check. Ids repeated within the batch
-- are caught by the per-job check, which runs whenever the batch has one.
local ids = {}
for b = 2, #ARGV - 8, 9 do ids[#ids + 1] = ARGV[b] end
local fresh = batch_fresh(p, ids)
for b = 2, #ARGV - 8, 9 do
  local d = enq(p, now, ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4],
                ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], ARGV[b + 8], seen, fresh)
  out[#out + 1] = d or 0
end
return out
