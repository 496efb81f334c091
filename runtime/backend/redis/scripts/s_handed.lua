-- s_handed.lua — the log has these tasks now: handing -> queued (store.h).
-- Records in any other place are left alone. KEYS[1]: the queue prefix.
-- ARGV: task ids. Returns one 0 per id. One ZADD for the batch: XX adds no
-- record, GT moves a handing one (a finite score) to +inf and leaves a
-- queued one (+inf already) as it is.
local p, out, a = KEYS[1], {}, {}
for i = 1, #ARGV do
  a[#a + 1] = '+inf'; a[#a + 1] = ARGV[i]
  out[i] = 0
end
s_many('ZADD', p .. 'h', {'XX', 'GT'}, a)
return out
