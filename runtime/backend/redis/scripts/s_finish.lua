-- s_finish.lua — record the end of deliveries this store started (store.h,
-- finish). KEYS[1]: the queue prefix. ARGV: now, then 14 values per
-- completion: ID DELIVERIES WORKER OUTCOME STATE ATTEMPT STARTED ERROR RESULT
-- TTL_MS PAYLOAD RETRY_AT UNIQUE_KEY UNIQUE_TTL_MS. A completion whose record
-- is not running under (worker, deliveries) is skipped. Returns per
-- completion 1 (recorded) or 0 (skipped). A batch of distinct ids reads
-- their leases with one ZMSCORE and takes the ended ones out of P..'l' (and
-- into P..'exp') with one call each at the end; a batch that repeats an id
-- goes one completion after the other (the second copy finds the first
-- one's record ended).
local p, now, out = KEYS[1], ARGV[1], {}
local ok, failed = 0, 0
local anyw = redis.call('SCARD', p .. 'waiting') > 0
local ids = s_ids(ARGV, 2, 14)
local batch = #ids > 0 and distinct(ids)
local inl = batch and redis.call('ZMSCORE', p .. 'l', unpack(ids)) or nil
local rm, xz = {}, {}
local function unlease(id)
  if batch then rm[#rm + 1] = id else redis.call('ZREM', p .. 'l', id) end
end
for b = 2, #ARGV - 13, 14 do
  local id, w, oc, st = ARGV[b], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local t = tk(p, id)
  local mine, cx = s_holds(p, id, w, ARGV[b + 1], inl and inl[#out + 1])
  out[#out + 1] = mine and 1 or 0
  if mine and oc == '4' then
    if cx then
      s_cancelled(p, id, now)
    else
      -- Released: the log gives the delivery back, which does not count.
      unlease(id)
      redis.call('HINCRBY', t, 'dl', -1)
      redis.call('HSET', t, 's', 2)
      redis.call('HDEL', t, 'w', 'b')
      redis.call('ZADD', p .. 'h', '+inf', id)
    end
  elseif mine then
    unlease(id)
    local er, res, pay = ARGV[b + 7], ARGV[b + 8], ARGV[b + 10]
    if oc == '2' then st = 5 elseif oc == '3' then st = 6 end
    local f = {'HSET', t, 's', st, 'a', ARGV[b + 5], 'w', w, 'b', ARGV[b + 6], 'f', now}
    if er ~= '' then f[#f + 1] = 'x'; f[#f + 1] = er end
    if oc == '1' then
      if res ~= '' then f[#f + 1] = 'o'; f[#f + 1] = res end
      redis.call('HDEL', t, 'd', 'cx')
      local ttl = tonumber(ARGV[b + 9]) or 0
      if ttl > 0 then
        local xp = istr(tonumber(now) + ttl * 1000)
        f[#f + 1] = 'xp'; f[#f + 1] = xp
        redis.call(unpack(f))
        if batch then
          xz[#xz + 1] = xp; xz[#xz + 1] = id
        else
          redis.call('ZADD', p .. 'exp', xp, id)
        end
      else
        redis.call(unpack(f))
        expire(p, id, 0, now)
      end
      if anyw then notify(p, id, t) end
      if st == '4' then ok = ok + 1 end
    elseif oc == '2' then
      f[#f + 1] = 'd'; f[#f + 1] = pay; f[#f + 1] = 't'; f[#f + 1] = ARGV[b + 11]
      redis.call(unpack(f))
      redis.call('ZADD', p .. 'd', ARGV[b + 11], id)
      failed = failed + 1
    else
      redis.call(unpack(f))
      if pay == '' then pay = redis.call('HGET', t, 'd') or '' end
      bury_task(p, id, pay, er, now)
      failed = failed + 1
    end
    end_unique(p, id, ARGV[b + 12], ARGV[b + 13], now)
  end
end
s_many('ZREM', p .. 'l', {}, rm)
s_many('ZADD', p .. 'exp', {}, xz)
if ok > 0 then redis.call('HINCRBY', p .. 'stats', 'ok', ok) end
if failed > 0 then redis.call('HINCRBY', p .. 'stats', 'fail', failed) end
return out
