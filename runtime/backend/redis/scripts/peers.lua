-- peers.lua — discovery for the peer network (docs/peers.md). KEYS[1]: the
-- cluster id (orca:cluster), KEYS[2]: the advertisements (hash orca:peers:
-- worker id -> "EXPIRY_US SEALED ADDR HOST"). ARGV: now, a fresh random
-- cluster id (kept only if none exists), this worker's id ('' = none), its
-- record, '1' to store it or '0' to remove it. Expired records are dropped.
-- Returns the cluster id, then id and record of every other live worker.
local now = tonumber(ARGV[1])
redis.call('SET', KEYS[1], ARGV[2], 'NX')
local out = {redis.call('GET', KEYS[1])}
local all = redis.call('HGETALL', KEYS[2])
local drop = {}
for i = 1, #all - 1, 2 do
  local id, v = all[i], all[i + 1]
  local exp = tonumber(v:match('^(%d+) ') or '0') or 0
  if exp <= now then
    drop[#drop + 1] = id
  elseif id ~= ARGV[3] then
    out[#out + 1] = id; out[#out + 1] = v
  end
end
if #drop > 0 then redis.call('HDEL', KEYS[2], unpack(drop)) end
if ARGV[3] ~= '' then
  if ARGV[5] == '1' then
    redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
  else
    redis.call('HDEL', KEYS[2], ARGV[3])
  end
end
return out
