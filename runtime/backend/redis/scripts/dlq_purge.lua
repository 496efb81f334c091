-- dlq_purge.lua — delete dead-lettered tasks: ARGV[1] is a task id, or ''
-- for the whole dead-letter set. KEYS[1]: the queue prefix. Returns how many
-- were deleted.
local p, ids = KEYS[1], nil
if ARGV[1] ~= '' then
  if not redis.call('ZSCORE', p .. 'dlq', ARGV[1]) then return 0 end
  ids = {ARGV[1]}
else
  ids = redis.call('ZRANGE', p .. 'dlq', 0, -1)
end
for _, id in ipairs(ids) do
  redis.call('DEL', tk(p, id))
  redis.call('ZREM', p .. 'dlq', id)
end
return #ids
