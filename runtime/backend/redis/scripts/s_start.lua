-- s_start.lua — decide which deliveries from the log run (store.h, start).
-- KEYS[1]: the queue prefix. ARGV: worker, now, lease end (us), takeover
-- ('1': the log has leases), then task ids. Returns per id the record's new
-- delivery count (it runs) or 0 (a leftover: drop it). A batch of distinct
-- ids reads their places in P..'h' with one ZMSCORE and moves the started
-- ones to P..'l' with one ZREM and one ZADD at the end; a batch that
-- repeats an id goes one id after the other (its second copy must see the
-- first one running).
local p, w, now, untl, take, out = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1', {}
local ids = s_ids(ARGV, 5, 1)
local batch = #ids > 0 and distinct(ids)
local inh = batch and redis.call('ZMSCORE', p .. 'h', unpack(ids)) or nil
local rm, lz = {}, {}
for i, id in ipairs(ids) do
  local run
  if inh then
    run = inh[i] ~= false
  else
    run = redis.call('ZSCORE', p .. 'h', id) ~= false
  end
  if not run then
    local lu = redis.call('ZSCORE', p .. 'l', id)
    if lu and (take or tonumber(lu) <= tonumber(now)) then
      if redis.call('HEXISTS', tk(p, id), 'cx') == 1 then
        s_cancelled(p, id, now)
      else
        run = true
      end
    end
  end
  if run then
    local t = tk(p, id)
    if batch then
      rm[#rm + 1] = id; lz[#lz + 1] = untl; lz[#lz + 1] = id
    else
      redis.call('ZREM', p .. 'h', id)
      redis.call('ZADD', p .. 'l', untl, id)
    end
    redis.call('HSET', t, 's', 3, 'w', w, 'b', now)
    out[#out + 1] = redis.call('HINCRBY', t, 'dl', 1)
  else
    out[#out + 1] = 0
  end
end
s_many('ZREM', p .. 'h', {}, rm)
s_many('ZADD', p .. 'l', {}, lz)
return out
