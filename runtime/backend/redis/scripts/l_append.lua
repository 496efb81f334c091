-- l_append.lua — the log half's append (redis_log.c): add entries of one
-- queue to its priority streams, nothing else (no records, no dedup: the
-- store admits tasks). KEYS[1]: the queue prefix. ARGV: 3 values per entry:
-- task id, priority, payload. Returns 0 per entry.
local p, seen, out = KEYS[1], {}, {}
for b = 1, #ARGV - 2, 3 do
  push(p, ARGV[b], ARGV[b + 1], ARGV[b + 2], seen)
  out[#out + 1] = 0
end
return out
