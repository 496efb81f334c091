-- s_admit.lua — the store's admit (store.h): record a batch of jobs of one
-- queue, ready ones handing, later ones waiting. KEYS[1]: the queue prefix.
-- ARGV: now, handoff window (us), then 9 values per job (orca__redis_add_job).
-- Returns one status per job (0, or the holder's id). One EXISTS checks the
-- whole batch (batch_fresh) and one ZADD puts its ready jobs in P..'h'.
local p, now, hwin, out, hz = KEYS[1], ARGV[1], ARGV[2], {}, {}
local fresh = batch_fresh(p, s_ids(ARGV, 3, 9))
for b = 3, #ARGV - 8, 9 do
  out[#out + 1] = s_admit(p, now, hwin, ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3],
                          ARGV[b + 4], ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], ARGV[b + 8],
                          fresh, hz) or 0
end
s_many('ZADD', p .. 'h', {}, hz)
return out
