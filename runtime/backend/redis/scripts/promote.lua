-- promote.lua — move due deferred tasks of the queues in KEYS into their
-- streams (at most ARGV[2] in all), sweep expired records, and return the
-- number moved and the earliest remaining due time. ARGV: now, max.
local now, max, moved, nd, seen = ARGV[1], tonumber(ARGV[2]), 0, -1, {}
for qi = 1, #KEYS do
  local p = KEYS[qi]
  sweep(p, now, 512)
  if moved < max then moved = moved + promote(p, now, max - moved, seen) end
  local d = next_due(p)
  if d >= 0 and (nd < 0 or d < nd) then nd = d end
end
return {moved, nd}
