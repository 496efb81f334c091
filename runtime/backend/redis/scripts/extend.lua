-- extend.lua — push the leases of running tasks to `untilms` and report
-- cancel flags. KEYS[1]: the queue prefix. ARGV: consumer, until (ms), pinned,
-- then 3 values per lease: priority, entry id, task id ('' from the log
-- half, which has no records: no cancel flag is read). Returns one status
-- per lease: 0, -16 (lost) or -7 (cancel requested).
local p, consumer, untilms, pinned, out = KEYS[1], ARGV[1], ARGV[2], ARGV[3] == '1', {}
for b = 4, #ARGV - 2, 3 do
  local s, eid = sk(p, ARGV[b]), ARGV[b + 1]
  local pe = redis.pcall('XPENDING', s, G, eid, eid, 1, consumer)
  if type(pe) ~= 'table' or #pe == 0 then
    out[#out + 1] = -16
  else
    pin(s, consumer, {eid}, untilms, pinned)
    if ARGV[b + 2] ~= '' and redis.call('HGET', tk(p, ARGV[b + 2]), 'cx') then out[#out + 1] = -7 else out[#out + 1] = 0 end
  end
end
return out
