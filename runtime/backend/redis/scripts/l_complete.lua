-- l_complete.lua — the log half's complete (redis_log.c): end deliveries
-- of one queue in the streams only. KEYS[1]: the queue prefix. ARGV: 4
-- values per completion: consumer, priority, entry id, release ('1' or
-- '0'). A delivery no longer pending under its consumer is skipped (its
-- lease ran out and it belongs to someone else). A release moves it to
-- RELEASED with its delivery time at the epoch, as release_worker.lua does,
-- so the next fetch of any worker reclaims it; anything else acknowledges
-- and deletes it. Returns 1 per completion applied, 0 per one skipped.
local p, out, woke = KEYS[1], {}, false
for b = 1, #ARGV - 3, 4 do
  local consumer, s, eid = ARGV[b], sk(p, ARGV[b + 1]), ARGV[b + 2]
  local pe = redis.pcall('XPENDING', s, G, eid, eid, 1, consumer)
  if type(pe) ~= 'table' or pe.err or #pe == 0 then
    out[#out + 1] = 0
  else
    if ARGV[b + 3] == '1' then
      redis.call('XCLAIM', s, G, RELEASED, 0, eid, 'TIME', 0, 'JUSTID')
      woke = true
    else
      redis.call('XACK', s, G, eid)
      redis.call('XDEL', s, eid)
    end
    out[#out + 1] = 1
  end
end
if woke then wake(p) end
return out
