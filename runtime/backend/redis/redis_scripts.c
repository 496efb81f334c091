/* redis_scripts.c — the Lua scripts of the Redis backend, as C strings.
 *
 * Every multi-key step runs as one script so it is atomic on the server:
 * enqueue (dedup, unique key, stream or delayed set, state hash), fetch
 * (promote due tasks, reclaim expired leases with XAUTOCLAIM, read new
 * entries, pin their lease, dead-letter garbage and poison entries), complete
 * (ack+delete and state/result writes for a whole batch), extend, promote,
 * state get/arm, cancel, dead-letter requeue/purge, stats and the schedule
 * compare-and-set. They form one Redis Functions library (Redis 7): the
 * prelude's helpers are compiled once when the library is loaded (FUNCTION
 * LOAD, by the first connection; again if the server lost it) and every
 * script is a function called with FCALL. As EVALSHA scripts, the prelude
 * ran on every call and cost about as much as a small batch's own work.
 *
 * Time: every time comes from the caller's orca_clock (ARGV), never from
 * Redis, so leases, etas and TTLs follow the injected clock in tests. Leases
 * use the pending-entries list: XCLAIM ... TIME (lease_until - K) JUSTID
 * records the lease end as a delivery time, and XAUTOCLAIM with min-idle
 * K + (redis_now - client_now) claims exactly the entries whose lease ran
 * out by the caller's clock (this pinning is used only under an injected
 * clock; with the real clock the idle time itself is the lease). TTL'd
 * records carry their expiry (field xp, unique-key value "ID EXPIRY");
 * finished records are listed in P.."exp" and deleted in batches by the
 * sweep in fetch/promote (cancelled ones get a Redis PEXPIRE). Numbers built
 * in Lua are formatted with %.0f (Lua 5.1 would print 1.7e+15).
 *
 * Key layout (docs/redis.md has the full table): the prefix P of queue Q is
 * "orca:{Q}:"; P.."p:"..PRIO stream per priority (group "orca"), P.."prios"
 * the priorities in use, P.."d" deferred set (score = due time in us),
 * P.."t:"..ID state hash, P.."n:"..ID waiter notify list, P.."u:"..KEY
 * unique key, P.."dlq" dead-letter set, P.."stats" counters, P.."exp"
 * expiry index of finished records, P.."waiting" ids with a state_wait,
 * P.."sig" signal stream (group "orca") that wakes fast-path fetches.
 *
 * State hash fields: s state (orca_state number), m "ENQUEUED_US TTL_MS
 * TASK", y priority, a attempt, t eta us, u unique key, r stream ref
 * "PRIO ENTRYID", d payload while deferred or dead, w worker, b started us,
 * f finished us, x error, o result, xp expiry us, c "ATTEMPT STARTED
 * FINISHED EXPIRY WORKER" (a plain ack; wins over a, b, f, xp, w; ATTEMPT
 * may read "ATTEMPT/DELIVERIES", the deliveries of the acked entry), dl
 * deliveries of the task's earlier stream entries (retries, releases), wt
 * waiter count, cx cancel flag, g garbage marker. Single letters and packed
 * fields keep the hash small and cheap to write.
 *
 * This file is generated from one .lua file per script by a one-off
 * converter; edit the Lua text here directly. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"

/* Helpers every script shares. */
#define PRELUDE                                                                                    \
  "local G = 'orca'\n"                                                                             \
  "-- Lease pinning: an entry's PEL delivery time is set to (lease_until - K) ms,\n"               \
  "-- so 'idle >= K + (redis_now - client_now)' means the lease ran out by the\n"                  \
  "-- client's clock (XCLAIM TIME cannot be in the future, hence K).\n"                            \
  "local K = 315360000000\n"                                                                       \
  "local function istr(x) return string.format('%.0f', x) end\n"                                   \
  "local function redis_ms()\n"                                                                    \
  "  local t = redis.call('TIME')\n"                                                               \
  "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                           \
  "end\n"                                                                                          \
  "local function uget(k, now)\n"                                                                  \
  "  local v = redis.call('GET', k)\n"                                                             \
  "  if not v then return nil end\n"                                                               \
  "  local id, exp = v:match('^(.*) (%d+)$')\n"                                                    \
  "  if not id then return v end\n"                                                                \
  "  if tonumber(exp) > 0 and tonumber(exp) <= tonumber(now) then return nil end\n"                \
  "  return id\n"                                                                                  \
  "end\n"                                                                                          \
  "local function uset(k, id, ttl, now)\n"                                                         \
  "  ttl = tonumber(ttl) or 0\n"                                                                   \
  "  if ttl > 0 then\n"                                                                            \
  "    redis.call('SET', k, id .. ' ' .. istr(tonumber(now) + ttl * 1000), 'PX', ttl)\n"           \
  "  else\n"                                                                                       \
  "    redis.call('SET', k, id .. ' 0')\n"                                                         \
  "  end\n"                                                                                        \
  "end\n"                                                                                          \
  "local function tk(p, id) return p .. 't:' .. id end\n"                                          \
  "local function sk(p, prio) return p .. 'p:' .. prio end\n"                                      \
  "-- Wake-ups: an entry in the queue's signal stream P..'sig' (group G). A\n"                     \
  "-- worker blocked in XREADGROUP on its task stream and the signal stream\n"                     \
  "-- wakes, acknowledges it and runs the fetch script, which sees new\n"                          \
  "-- priority streams and earlier deferred tasks (redis_queue.c, fast fetch).\n"                  \
  "local function wake(p)\n"                                                                       \
  "  redis.call('XADD', p .. 'sig', 'MAXLEN', '~', 64, '*', 'w', '1')\n"                           \
  "end\n"                                                                                          \
  "-- A consumer-group command on stream s. A stream deleted under its queue\n"                    \
  "-- (DEL, while P..'prios' still names it) lost its group, and the next\n"                       \
  "-- XADD makes a stream without one: on NOGROUP create the group (and the\n"                     \
  "-- stream) again, from '0' so entries added since are delivered, and repeat.\n"                 \
  "local function gcall(s, ...)\n"                                                                 \
  "  local r = redis.pcall(...)\n"                                                                 \
  "  if type(r) == 'table' and r.err then\n"                                                       \
  "    if not string.find(r.err, 'NOGROUP', 1, true) then error(r) end\n"                          \
  "    redis.call('XGROUP', 'CREATE', s, G, '0', 'MKSTREAM')\n"                                    \
  "    redis.log(redis.LOG_WARNING, 'orca: ' .. s .. ' had no consumer group ' .. G ..\n"          \
  "              ' (stream deleted?); created it again')\n"                                        \
  "    r = redis.call(...)\n"                                                                      \
  "  end\n"                                                                                        \
  "  return r\n"                                                                                   \
  "end\n"                                                                                          \
  "local function ensure(p, prio, seen)\n"                                                         \
  "  if seen[p .. prio] then return end\n"                                                         \
  "  seen[p .. prio] = true\n"                                                                     \
  "  if redis.call('ZADD', p .. 'prios', 'NX', prio, prio) == 1 then\n"                            \
  "    redis.pcall('XGROUP', 'CREATE', sk(p, prio), G, '0', 'MKSTREAM')\n"                         \
  "    wake(p)\n"                                                                                  \
  "  end\n"                                                                                        \
  "end\n"                                                                                          \
  "-- Put id into the deferred set; a new earliest due time wakes the workers.\n"                  \
  "local function defer(p, id, eta)\n"                                                             \
  "  local h = redis.call('ZRANGE', p .. 'd', 0, 0, 'WITHSCORES')\n"                               \
  "  redis.call('ZADD', p .. 'd', eta, id)\n"                                                      \
  "  if not h[2] or tonumber(eta) < tonumber(h[2]) then wake(p) end\n"                             \
  "end\n"                                                                                          \
  "-- The task id and payload of a stream entry's fields, or nil and why not.\n"                   \
  "local function entry_task(f)\n"                                                                 \
  "  local id, pay\n"                                                                              \
  "  if type(f) == 'table' then\n"                                                                 \
  "    for i = 1, #f - 1, 2 do\n"                                                                  \
  "      if f[i] == 'i' then id = f[i + 1] elseif f[i] == 'p' then pay = f[i + 1] end\n"           \
  "    end\n"                                                                                      \
  "  end\n"                                                                                        \
  "  if not id then return nil, nil, 'no task id field i' end\n"                                   \
  "  if id == '' or #id >= 128 then return nil, nil, 'task id empty or too long' end\n"            \
  "  if not pay then return nil, nil, 'no payload field p' end\n"                                  \
  "  return id, pay\n"                                                                             \
  "end\n"                                                                                          \
  "-- Dead-letter a stream entry that is not a task (no i or p field).\n"                          \
  "-- e = {entry id, {field, value, ...}}.\n"                                                      \
  "local function bury_entry(p, prio, s, e, why, now)\n"                                           \
  "  redis.call('XACK', s, G, e[1])\n"                                                             \
  "  redis.call('XDEL', s, e[1])\n"                                                                \
  "  local f = e[2]\n"                                                                             \
  "  local gid = 'garbage:' .. prio .. ':' .. e[1]\n"                                              \
  "  redis.call('HSET', tk(p, gid), 's', 6, 'g', '1', 'm', now .. ' 0 ', 'f', now,\n"              \
  "             'x', 'malformed stream entry ' .. e[1] .. ' in ' .. s .. ': ' .. why,\n"           \
  "             'd', cmsgpack.pack(type(f) == 'table' and f or {}))\n"                             \
  "  redis.call('ZADD', p .. 'dlq', now, gid)\n"                                                   \
  "end\n"                                                                                          \
  "local function push(p, id, prio, pay, seen)\n"                                                  \
  "  ensure(p, prio, seen)\n"                                                                      \
  "  return prio .. ' ' .. redis.call('XADD', sk(p, prio), '*', 'i', id, 'p', pay)\n"              \
  "end\n"                                                                                          \
  "local function notify(p, id, t)\n"                                                              \
  "  if redis.call('SISMEMBER', p .. 'waiting', id) == 0 then return end\n"                        \
  "  redis.call('SREM', p .. 'waiting', id)\n"                                                     \
  "  local w = tonumber(redis.call('HGET', t, 'wt') or '0') or 0\n"                                \
  "  if w > 0 then\n"                                                                              \
  "    local nk = p .. 'n:' .. id\n"                                                               \
  "    for _ = 1, w do redis.call('RPUSH', nk, '1') end\n"                                         \
  "    redis.call('PEXPIRE', nk, 60000)\n"                                                         \
  "    redis.call('HDEL', t, 'wt')\n"                                                              \
  "  end\n"                                                                                        \
  "end\n"                                                                                          \
  "local function ttl_of(t, ttl)\n"                                                                \
  "  ttl = tonumber(ttl) or 0\n"                                                                   \
  "  if ttl <= 0 then\n"                                                                           \
  "    local m = redis.call('HGET', t, 'm')\n"                                                     \
  "    ttl = tonumber(m and m:match('^%S+ (%d+)') or '0') or 0\n"                                  \
  "  end\n"                                                                                        \
  "  if ttl <= 0 then ttl = 86400000 end\n"                                                        \
  "  return ttl\n"                                                                                 \
  "end\n"                                                                                          \
  "local function unlock(p, t, id, now)\n"                                                         \
  "  local uk = redis.call('HGET', t, 'u')\n"                                                      \
  "  if uk then\n"                                                                                 \
  "    local k = p .. 'u:' .. uk\n"                                                                \
  "    if uget(k, now) == id then redis.call('DEL', k) end\n"                                      \
  "  end\n"                                                                                        \
  "end\n"                                                                                          \
  "local function expire(t, ttl, now)\n"                                                           \
  "  ttl = ttl_of(t, ttl)\n"                                                                       \
  "  redis.call('HSET', t, 'xp', istr(tonumber(now) + ttl * 1000))\n"                              \
  "  redis.call('PEXPIRE', t, ttl)\n"                                                              \
  "end\n"                                                                                          \
  "-- Real-clock mode (pinned == false): a delivery's lease is the Redis idle\n"                   \
  "-- time and every worker of a queue uses the same lease, so fresh reads need\n"                 \
  "-- no XCLAIM. Injected clocks pin every delivery (see redis_scripts.c head).\n"                 \
  "local function pin(s, consumer, ids, until_ms, pinned)\n"                                       \
  "  if #ids == 0 then return end\n"                                                               \
  "  local a = {'XCLAIM', s, G, consumer, 0}\n"                                                    \
  "  for _, x in ipairs(ids) do a[#a + 1] = x end\n"                                               \
  "  if pinned then\n"                                                                             \
  "    a[#a + 1] = 'TIME'; a[#a + 1] = istr(tonumber(until_ms) - K)\n"                             \
  "  end\n"                                                                                        \
  "  a[#a + 1] = 'JUSTID'\n"                                                                       \
  "  redis.call(unpack(a))\n"                                                                      \
  "end\n"                                                                                          \
  "-- Stream entry ids 'MS-SEQ' as numbers, and their order.\n"                                    \
  "local function pid(x)\n"                                                                        \
  "  local m, q = x:match('^(%d+)-(%d+)$')\n"                                                      \
  "  return tonumber(m) or 0, tonumber(q) or 0\n"                                                  \
  "end\n"                                                                                          \
  "local function idlt(a, b)\n"                                                                    \
  "  local am, aq = pid(a)\n"                                                                      \
  "  local bm, bq = pid(b)\n"                                                                      \
  "  if am ~= bm then return am < bm end\n"                                                        \
  "  return aq < bq\n"                                                                             \
  "end\n"                                                                                          \
  "local function gone(t, now)\n"                                                                  \
  "  local v = redis.call('HMGET', t, 'xp', 'c')\n"                                                \
  "  local xp = tonumber(v[2] and v[2]:match('^%S+ %S+ %S+ (%d+)') or v[1] or '0') or 0\n"         \
  "  return xp > 0 and xp <= tonumber(now)\n"                                                      \
  "end\n"                                                                                          \
  "-- fresh: the caller checked that no record of the batch exists.\n"                             \
  "local function enq(p, now, id, task, prio, eta, att, pay, uk, uttl, sttl, seen, fresh)\n"       \
  "  local t = tk(p, id)\n"                                                                        \
  "  if not fresh and redis.call('EXISTS', t) == 1 then\n"                                         \
  "    if not gone(t, now) then return id end\n"                                                   \
  "    redis.call('DEL', t)\n"                                                                     \
  "    redis.call('ZREM', p .. 'exp', id)\n"                                                       \
  "  end\n"                                                                                        \
  "  if uk ~= '' then\n"                                                                           \
  "    local k = p .. 'u:' .. uk\n"                                                                \
  "    local holder = uget(k, now)\n"                                                              \
  "    if holder then return holder end\n"                                                         \
  "    uset(k, id, uttl, now)\n"                                                                   \
  "  end\n"                                                                                        \
  "  local f = {'HSET', t, 'm', now .. ' ' .. sttl .. ' ' .. task}\n"                              \
  "  if prio ~= '0' then f[#f + 1] = 'y'; f[#f + 1] = prio end\n"                                  \
  "  if att ~= '0' then f[#f + 1] = 'a'; f[#f + 1] = att end\n"                                    \
  "  if eta ~= '0' then f[#f + 1] = 't'; f[#f + 1] = eta end\n"                                    \
  "  if uk ~= '' then f[#f + 1] = 'u'; f[#f + 1] = uk end\n"                                       \
  "  if tonumber(eta) > tonumber(now) then\n"                                                      \
  "    defer(p, id, eta)\n"                                                                        \
  "    f[#f + 1] = 's'; f[#f + 1] = 1; f[#f + 1] = 'd'; f[#f + 1] = pay\n"                         \
  "  else\n"                                                                                       \
  "    f[#f + 1] = 's'; f[#f + 1] = 2; f[#f + 1] = 'r'; f[#f + 1] = push(p, id, prio, pay, "       \
  "seen)\n"                                                                                        \
  "  end\n"                                                                                        \
  "  redis.call(unpack(f))\n"                                                                      \
  "  return false\n"                                                                               \
  "end\n"                                                                                          \
  "local function promote(p, now, max, seen)\n"                                                    \
  "  local ids = redis.call('ZRANGEBYSCORE', p .. 'd', '-inf', now, 'LIMIT', 0, max)\n"            \
  "  for _, id in ipairs(ids) do\n"                                                                \
  "    local t = tk(p, id)\n"                                                                      \
  "    local v = redis.call('HMGET', t, 'd', 'y')\n"                                               \
  "    redis.call('ZREM', p .. 'd', id)\n"                                                         \
  "    if v[1] then\n"                                                                             \
  "      redis.call('HSET', t, 's', 2, 'r', push(p, id, v[2] or '0', v[1], seen))\n"               \
  "      redis.call('HDEL', t, 'd')\n"                                                             \
  "    end\n"                                                                                      \
  "  end\n"                                                                                        \
  "  return #ids\n"                                                                                \
  "end\n"                                                                                          \
  "-- Finished records are listed in P..'exp' (score = expiry us) and deleted\n"                   \
  "-- here in batches once expired, instead of one PEXPIRE per task.\n"                            \
  "local function sweep(p, now, max)\n"                                                            \
  "  local ids = redis.call('ZRANGEBYSCORE', p .. 'exp', '-inf', now, 'LIMIT', 0, max)\n"          \
  "  if #ids == 0 then return end\n"                                                               \
  "  local keys = {}\n"                                                                            \
  "  for i, id in ipairs(ids) do keys[i] = tk(p, id) end\n"                                        \
  "  redis.call('DEL', unpack(keys))\n"                                                            \
  "  redis.call('ZREM', p .. 'exp', unpack(ids))\n"                                                \
  "end\n"                                                                                          \
  "local function next_due(p)\n"                                                                   \
  "  local r = redis.call('ZRANGE', p .. 'd', 0, 0, 'WITHSCORES')\n"                               \
  "  if r[2] then return tonumber(r[2]) end\n"                                                     \
  "  return -1\n"                                                                                  \
  "end\n"                                                                                          \
  "local function bury_task(p, id, pay, reason, now)\n"                                            \
  "  local t = tk(p, id)\n"                                                                        \
  "  redis.call('HSET', t, 's', 6, 'x', reason, 'f', now, 'd', pay)\n"                             \
  "  redis.call('HDEL', t, 'r')\n"                                                                 \
  "  redis.call('PERSIST', t)\n"                                                                   \
  "  redis.call('ZADD', p .. 'dlq', now, id)\n"                                                    \
  "  unlock(p, t, id, now)\n"                                                                      \
  "  notify(p, id, t)\n"                                                                           \
  "end\n"

static const char s_enqueue[] =
    "local p, now, seen, out = KEYS[1], ARGV[1], {}, {}\n"
    "-- One EXISTS for the whole batch: when no id is taken (the usual case)\n"
    "-- the jobs skip their own check. Ids repeated within the batch are\n"
    "-- caught by the per-job check, which runs whenever the batch has one.\n"
    "local keys, dup = {}, {}\n"
    "for b = 2, #ARGV - 8, 9 do\n"
    "  local id = ARGV[b]\n"
    "  if dup[id] then keys = nil; break end\n"
    "  dup[id] = true\n"
    "  keys[#keys + 1] = tk(p, id)\n"
    "end\n"
    "local fresh = keys ~= nil and #keys > 0 and redis.call('EXISTS', unpack(keys)) == 0\n"
    "for b = 2, #ARGV - 8, 9 do\n"
    "  local d = enq(p, now, ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4],\n"
    "                ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], ARGV[b + 8], seen, fresh)\n"
    "  out[#out + 1] = d or 0\n"
    "end\n"
    "return out\n";

static const char s_fetch[] =
    "local consumer, want, now, untilms = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]\n"
    "local claim, pmax, maxd = ARGV[5] == '1', tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "-- pinned: injected clock; leases are pinned and running is written. Real\n"
    "-- clock: running is derived from the pending list by the get script.\n"
    "local pinned, lease = ARGV[8] == '1', tonumber(ARGV[9])\n"
    "local minidle = lease\n"
    "if pinned then minidle = K + redis_ms() - math.floor(tonumber(now) / 1000) end\n"
    "if minidle < 0 then minidle = 0 end\n"
    "local taken\n"
    "-- out: next due, wait list (when nothing was read), the priorities of the\n"
    "-- first queue (for the fast fetch path), then 6 values per task.\n"
    "local out, seen, got, nd = {0, {}, {}}, {}, 0, -1\n"
    "local function take(qi, p, prio, s, e, dl)\n"
    "  local id, pay, why = entry_task(e[2])\n"
    "  if not id then\n"
    "    bury_entry(p, prio, s, e, why, now)\n"
    "    return 0\n"
    "  end\n"
    "  if dl > maxd then\n"
    "    redis.call('HINCRBY', tk(p, id), 'dl', dl - 1)\n"
    "    redis.call('XACK', s, G, e[1])\n"
    "    redis.call('XDEL', s, e[1])\n"
    "    bury_task(p, id, pay, 'delivered ' .. dl .. ' times without finishing (poison task)', "
    "now)\n"
    "    return 0\n"
    "  end\n"
    "  if pinned then redis.call('HSET', tk(p, id), 's', 3, 'w', consumer, 'b', now) end\n"
    "  taken[#taken + 1] = e[1]\n"
    "  local n = #out\n"
    "  out[n + 1] = qi; out[n + 2] = prio; out[n + 3] = e[1]; out[n + 4] = dl\n"
    "  out[n + 5] = id; out[n + 6] = pay\n"
    "  return 1\n"
    "end\n"
    "-- Hand out entries whose lease ran out (by the caller's clock), with their\n"
    "-- delivery count; XAUTOCLAIM scans at most 10 x COUNT pending entries.\n"
    "local function reclaim(qi, p, prio, s)\n"
    "  local r = gcall(s, 'XAUTOCLAIM', s, G, consumer, istr(minidle), '0-0', 'COUNT', want - "
    "got)\n"
    "  for _, e in ipairs(r[2]) do\n"
    "    local pe = redis.call('XPENDING', s, G, e[1], e[1], 1)\n"
    "    local dl = 1\n"
    "    if pe[1] then dl = tonumber(pe[1][4]) end\n"
    "    got = got + take(qi, p, prio, s, e, dl)\n"
    "  end\n"
    "end\n"
    "-- Dead consumers (real clock only): a worker renews its leases every\n"
    "-- third of the lease and an idle one reads at least every claim interval,\n"
    "-- so a consumer silent for half the lease (XINFO CONSUMERS idle) has\n"
    "-- died. Its entries idle as long are claimed now instead of when their\n"
    "-- lease runs out; consumers with nothing pending are forgotten.\n"
    "local dead = math.floor(lease / 2)\n"
    "local function reclaim_dead(qi, p, prio, s)\n"
    "  local cs = redis.pcall('XINFO', 'CONSUMERS', s, G)\n"
    "  if type(cs) ~= 'table' then return end\n"
    "  for _, c in ipairs(cs) do\n"
    "    local name, pend, idle\n"
    "    for i = 1, #c - 1, 2 do\n"
    "      if c[i] == 'name' then name = c[i + 1]\n"
    "      elseif c[i] == 'pending' then pend = tonumber(c[i + 1])\n"
    "      elseif c[i] == 'idle' then idle = tonumber(c[i + 1]) end\n"
    "    end\n"
    "    if name and name ~= consumer and idle and idle >= dead then\n"
    "      if pend == 0 then\n"
    "        redis.call('XGROUP', 'DELCONSUMER', s, G, name)\n"
    "      elseif got < want then\n"
    "        local pe = redis.call('XPENDING', s, G, 'IDLE', dead, '-', '+', want - got, name)\n"
    "        if #pe > 0 then\n"
    "          local ids, dl = {}, {}\n"
    "          for i, e in ipairs(pe) do ids[i] = e[1]; dl[e[1]] = tonumber(e[4]) + 1 end\n"
    "          for _, e in ipairs(redis.call('XCLAIM', s, G, consumer, dead, unpack(ids))) do\n"
    "            if type(e) == 'table' and type(e[2]) == 'table' then\n"
    "              got = got + take(qi, p, prio, s, e, dl[e[1]] or 1)\n"
    "            end\n"
    "          end\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "for qi = 1, #KEYS do\n"
    "  local p = KEYS[qi]\n"
    "  sweep(p, now, 512)\n"
    "  promote(p, now, pmax, seen)\n"
    "  local d = next_due(p)\n"
    "  if d >= 0 and (nd < 0 or d < nd) then nd = d end\n"
    "  local prios = {}\n"
    "  if got < want or qi == 1 then prios = redis.call('ZRANGE', p .. 'prios', 0, -1) end\n"
    "  if qi == 1 and #KEYS == 1 and not pinned then\n"
    "    out[3] = prios\n"
    "    -- The fast path also reads the signal stream: make sure its group exists.\n"
    "    -- ('$': signals sent before now are covered by this very call.)\n"
    "    redis.pcall('XGROUP', 'CREATE', p .. 'sig', G, '$', 'MKSTREAM')\n"
    "  end\n"
    "  if got < want then\n"
    "    for j = #prios, 1, -1 do\n"
    "      local prio = prios[j]\n"
    "      local s = sk(p, prio)\n"
    "      taken = {}\n"
    "      if claim and not pinned then reclaim_dead(qi, p, prio, s) end\n"
    "      if claim and got < want then reclaim(qi, p, prio, s) end\n"
    "      -- Read again while garbage entries took places of the batch.\n"
    "      while got < want do\n"
    "        local ask = want - got\n"
    "        local r = gcall(s, 'XREADGROUP', 'GROUP', G, consumer, 'COUNT', ask,\n"
    "                        'STREAMS', s, '>')\n"
    "        local es = r and r[1][2] or {}\n"
    "        for _, e in ipairs(es) do got = got + take(qi, p, prio, s, e, 1) end\n"
    "        if #es < ask then break end\n"
    "      end\n"
    "      -- Off-interval reclaim only when nothing new was read: a scan per\n"
    "      -- partial batch costs an XAUTOCLAIM of up to 10 x COUNT pending\n"
    "      -- entries (~0.9 ms at COUNT 256) on the busy path for nothing.\n"
    "      if got == 0 then reclaim(qi, p, prio, s) end\n"
    "      if pinned then pin(s, consumer, taken, untilms, true) end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "out[1] = nd\n"
    "if got == 0 then\n"
    "  local w = {}\n"
    "  for qi = 1, #KEYS do\n"
    "    local p = KEYS[qi]\n"
    "    for _, prio in ipairs(redis.call('ZRANGE', p .. 'prios', 0, -1)) do\n"
    "      local s = sk(p, prio)\n"
    "      local ld = '0-0'\n"
    "      local gs = redis.pcall('XINFO', 'GROUPS', s)\n"
    "      if type(gs) == 'table' then\n"
    "        for _, g in ipairs(gs) do\n"
    "          local name, last\n"
    "          for i = 1, #g - 1, 2 do\n"
    "            if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then "
    "last = g[i + 1] end\n"
    "          end\n"
    "          if name == G and last then ld = last end\n"
    "        end\n"
    "      end\n"
    "      w[#w + 1] = s; w[#w + 1] = ld\n"
    "    end\n"
    "  end\n"
    "  out[2] = w\n"
    "end\n"
    "return out\n";

/* complete: one call per (queue, priority stream, worker) run of at most
 * ORCA__REDIS_CHUNK completions. ARGV: consumer, now, prio, lowest and
 * highest entry id of the run, then one record per completion: either
 *   'a' EID ID STATE PACKED RESULT EXPIRY               (a plain ack)
 * or
 *   'g' EID ID OUTCOME STATE ATTEMPT STARTED ERROR RESULT TTL PAYLOAD
 *       RETRY_AT UNIQUE_KEY UNIQUE_TTL EXPIRY                (anything else)
 * Only entries this consumer still holds (XPENDING over [lowest, highest])
 * are recorded; the rest lost their lease and belong to someone else.
 * PACKED is the state hash's c field, "ATTEMPT/DELIVERIES STARTED FINISHED
 * EXPIRY WORKER", built by the client (orca__redis_info_from_hash reads it).
 * The general form adds the entry's delivery count (from XPENDING) to the
 * record's dl field. */
static const char s_complete[] =
    "local p, consumer, now, prio = KEYS[1], ARGV[1], ARGV[2], ARGV[3]\n"
    "local s = sk(p, prio)\n"
    "local owned = {}\n"
    "local pe = redis.pcall('XPENDING', s, G, ARGV[4], ARGV[5], 100000, consumer)\n"
    "if type(pe) == 'table' then\n"
    "  for _, e in ipairs(pe) do owned[e[1]] = tonumber(e[4]) or 1 end\n"
    "end\n"
    "sweep(p, now, 512)\n"
    "local ok, failed, seen, mine, exp = 0, 0, {}, {}, {}\n"
    "local anyw = redis.call('SCARD', p .. 'waiting') > 0\n"
    "local b, n = 6, #ARGV\n"
    "while b <= n do\n"
    "  local eid, id = ARGV[b + 1], ARGV[b + 2]\n"
    "  local t = tk(p, id)\n"
    "  if ARGV[b] == 'a' then\n"
    "    if owned[eid] then\n"
    "      owned[eid] = nil\n"
    "      mine[#mine + 1] = eid\n"
    "      local st, c, res, xp = ARGV[b + 3], ARGV[b + 4], ARGV[b + 5], ARGV[b + 6]\n"
    "      if res ~= '' then\n"
    "        redis.call('HSET', t, 's', st, 'c', c, 'o', res)\n"
    "      else\n"
    "        redis.call('HSET', t, 's', st, 'c', c)\n"
    "      end\n"
    "      exp[#exp + 1] = xp; exp[#exp + 1] = id\n"
    "      if anyw then notify(p, id, t) end\n"
    "      if st == '4' then ok = ok + 1 end\n"
    "    end\n"
    "    b = b + 7\n"
    "  else\n"
    "    if owned[eid] then\n"
    "      -- dl: deliveries of the task's earlier stream entries (a release\n"
    "      -- does not count its own).\n"
    "      local dn = owned[eid]\n"
    "      owned[eid] = nil\n"
    "      mine[#mine + 1] = eid\n"
    "      local oc, st, er, res, pay = ARGV[b + 3], ARGV[b + 4], ARGV[b + 7], ARGV[b + 8], ARGV[b "
    "+ 10]\n"
    "      if oc == '2' then st = 5 elseif oc == '3' then st = 6 elseif oc == '4' then dn = dn - 1 "
    "end\n"
    "      if dn > 0 then redis.call('HINCRBY', t, 'dl', dn) end\n"
    "      local f = {'HSET', t, 's', st, 'a', ARGV[b + 5], 'w', consumer, 'b', ARGV[b + 6], 'f', "
    "now}\n"
    "      if er ~= '' then f[#f + 1] = 'x'; f[#f + 1] = er end\n"
    "      if oc == '1' then\n"
    "        if res ~= '' then f[#f + 1] = 'o'; f[#f + 1] = res end\n"
    "        local ttl = tonumber(ARGV[b + 9]) or 0\n"
    "        if ttl > 0 then\n"
    "          f[#f + 1] = 'xp'; f[#f + 1] = ARGV[b + 14]\n"
    "          redis.call(unpack(f))\n"
    "          exp[#exp + 1] = ARGV[b + 14]; exp[#exp + 1] = id\n"
    "        else\n"
    "          redis.call(unpack(f))\n"
    "          expire(t, 0, now)\n"
    "        end\n"
    "        if anyw then notify(p, id, t) end\n"
    "        if st == '4' then ok = ok + 1 end\n"
    "      elseif oc == '2' then\n"
    "        f[#f + 1] = 'd'; f[#f + 1] = pay; f[#f + 1] = 't'; f[#f + 1] = ARGV[b + 11]\n"
    "        redis.call(unpack(f))\n"
    "        defer(p, id, ARGV[b + 11])\n"
    "        failed = failed + 1\n"
    "      elseif oc == '3' then\n"
    "        redis.call(unpack(f))\n"
    "        bury_task(p, id, pay, er, now)\n"
    "        failed = failed + 1\n"
    "      else\n"
    "        redis.call('HSET', t, 's', 2, 'r', push(p, id, prio, pay, seen))\n"
    "      end\n"
    "      local uk = ARGV[b + 12]\n"
    "      if uk ~= '' then\n"
    "        local k = p .. 'u:' .. uk\n"
    "        if (tonumber(ARGV[b + 13]) or 0) > 0 then\n"
    "          uset(k, id, ARGV[b + 13], now)\n"
    "        elseif uget(k, now) == id then\n"
    "          redis.call('DEL', k)\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "    b = b + 15\n"
    "  end\n"
    "end\n"
    "if #mine > 0 then\n"
    "  redis.call('XACK', s, G, unpack(mine))\n"
    "  -- Remove the acknowledged entries. Everything below cut = min(highest id\n"
    "  -- of the run + 1, lowest pending id) was delivered (the group reads in\n"
    "  -- order) and is no longer pending, so XTRIM MINID drops it whole-node;\n"
    "  -- entries of the run above a still-pending one are deleted one by one.\n"
    "  local hm, hq = pid(ARGV[5])\n"
    "  local cut = string.format('%.0f-%.0f', hm, hq + 1)\n"
    "  local sm = redis.call('XPENDING', s, G)\n"
    "  local below = false\n"
    "  if sm[1] > 0 and sm[2] and idlt(sm[2], cut) then cut = sm[2]; below = true end\n"
    "  redis.call('XTRIM', s, 'MINID', cut)\n"
    "  if below then\n"
    "    local rest = {}\n"
    "    for _, x in ipairs(mine) do if not idlt(x, cut) then rest[#rest + 1] = x end end\n"
    "    if #rest > 0 then redis.call('XDEL', s, unpack(rest)) end\n"
    "  end\n"
    "end\n"
    "if #exp > 0 then redis.call('ZADD', p .. 'exp', unpack(exp)) end\n"
    "if ok > 0 then redis.call('HINCRBY', p .. 'stats', 'ok', ok) end\n"
    "if failed > 0 then redis.call('HINCRBY', p .. 'stats', 'fail', failed) end\n"
    "return #mine\n";

/* bury: entries the fast fetch path (a plain XREADGROUP) read that are not
 * tasks are dead-lettered as the fetch script does. ARGV: now, prio, entry
 * ids. */
static const char s_bury[] = "local p, now, prio = KEYS[1], ARGV[1], ARGV[2]\n"
                             "local s = sk(p, prio)\n"
                             "for i = 3, #ARGV do\n"
                             "  local r = redis.call('XRANGE', s, ARGV[i], ARGV[i])\n"
                             "  if r[1] then\n"
                             "    local id, pay, why = entry_task(r[1][2])\n"
                             "    if not id then bury_entry(p, prio, s, r[1], why, now) end\n"
                             "  end\n"
                             "end\n"
                             "return 0\n";

static const char s_extend[] =
    "local p, consumer, untilms, pinned, out = KEYS[1], ARGV[1], ARGV[2], ARGV[3] == '1', {}\n"
    "for b = 4, #ARGV - 2, 3 do\n"
    "  local s, eid = sk(p, ARGV[b]), ARGV[b + 1]\n"
    "  local pe = redis.pcall('XPENDING', s, G, eid, eid, 1, consumer)\n"
    "  if type(pe) ~= 'table' or #pe == 0 then\n"
    "    out[#out + 1] = -16\n"
    "  else\n"
    "    pin(s, consumer, {eid}, untilms, pinned)\n"
    "    if redis.call('HGET', tk(p, ARGV[b + 2]), 'cx') then out[#out + 1] = -7 else out[#out + "
    "1] = 0 end\n"
    "  end\n"
    "end\n"
    "return out\n";

static const char s_promote[] =
    "local now, max, moved, nd, seen = ARGV[1], tonumber(ARGV[2]), 0, -1, {}\n"
    "for qi = 1, #KEYS do\n"
    "  local p = KEYS[qi]\n"
    "  sweep(p, now, 512)\n"
    "  if moved < max then moved = moved + promote(p, now, max - moved, seen) end\n"
    "  local d = next_due(p)\n"
    "  if d >= 0 and (nd < 0 or d < nd) then nd = d end\n"
    "end\n"
    "return {moved, nd}\n";

static const char s_get[] =
    "local p, id, now = KEYS[1], ARGV[1], ARGV[3]\n"
    "local t = tk(p, id)\n"
    "local h = redis.call('HGETALL', t)\n"
    "if #h == 0 or gone(t, now) then return false end\n"
    "local m = {}\n"
    "for i = 1, #h - 1, 2 do m[h[i]] = h[i + 1] end\n"
    "local s = tonumber(m.s or '0') or 0\n"
    "local pel, pay = false, m.d or false\n"
    "if m.r and not pay and (s == 2 or s == 3) then\n"
    "  local prio, eid = m.r:match('^(%S+) (%S+)$')\n"
    "  if eid then\n"
    "    local pe = redis.pcall('XPENDING', sk(p, prio), G, eid, eid, 1)\n"
    "    if type(pe) == 'table' and pe[1] then pel = {pe[1][2], pe[1][3], pe[1][4]} end\n"
    "    local e = redis.call('XRANGE', sk(p, prio), eid, eid)\n"
    "    if e[1] then\n"
    "      local f = e[1][2]\n"
    "      for i = 1, #f - 1, 2 do if f[i] == 'p' then pay = f[i + 1] end end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local final = s == 4 or s == 6 or s == 7 or s == 8\n"
    "if ARGV[2] == '1' and not final then\n"
    "  redis.call('HINCRBY', t, 'wt', 1)\n"
    "  redis.call('SADD', p .. 'waiting', id)\n"
    "end\n"
    "return {h, pel, pay}\n";

static const char s_cancel[] = "local p, id, now = KEYS[1], ARGV[1], ARGV[2]\n"
                               "local t = tk(p, id)\n"
                               "local s = tonumber(redis.call('HGET', t, 's') or '')\n"
                               "if not s or gone(t, now) then return -4 end\n"
                               "if s == 4 or s == 6 or s == 7 or s == 8 then return -15 end\n"
                               "if s == 2 or s == 3 then\n"
                               "  local r = redis.call('HGET', t, 'r') or ''\n"
                               "  local prio, eid = r:match('^(%S+) (%S+)$')\n"
                               "  if eid then\n"
                               "    local st = sk(p, prio)\n"
                               "    local pe = redis.pcall('XPENDING', st, G, eid, eid, 1)\n"
                               "    if type(pe) == 'table' and pe[1] then\n"
                               "      redis.call('HSET', t, 'cx', '1')\n"
                               "      return 0\n"
                               "    end\n"
                               "    redis.call('XDEL', st, eid)\n"
                               "  end\n"
                               "end\n"
                               "redis.call('ZREM', p .. 'd', id)\n"
                               "redis.call('HSET', t, 's', 7, 'f', now)\n"
                               "redis.call('HDEL', t, 'd', 'r')\n"
                               "expire(t, 0, now)\n"
                               "unlock(p, t, id, now)\n"
                               "notify(p, id, t)\n"
                               "return 0\n";

static const char s_dlq_requeue[] =
    "local p, ids = KEYS[1], nil\n"
    "if ARGV[1] ~= '' then\n"
    "  if not redis.call('ZSCORE', p .. 'dlq', ARGV[1]) then return 0 end\n"
    "  ids = {ARGV[1]}\n"
    "else\n"
    "  ids = redis.call('ZRANGE', p .. 'dlq', 0, -1)\n"
    "end\n"
    "local n, seen = 0, {}\n"
    "for _, id in ipairs(ids) do\n"
    "  local t = tk(p, id)\n"
    "  local v = redis.call('HMGET', t, 'd', 'y', 'g')\n"
    "  if v[1] and not v[3] then\n"
    "    redis.call('HSET', t, 's', 2, 'a', 0, 'r', push(p, id, v[2] or '0', v[1], seen))\n"
    "    redis.call('HDEL', t, 'd', 'x', 'f', 'dl')\n"
    "    redis.call('ZREM', p .. 'dlq', id)\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

static const char s_dlq_purge[] =
    "local p, ids = KEYS[1], nil\n"
    "if ARGV[1] ~= '' then\n"
    "  if not redis.call('ZSCORE', p .. 'dlq', ARGV[1]) then return 0 end\n"
    "  ids = {ARGV[1]}\n"
    "else\n"
    "  ids = redis.call('ZRANGE', p .. 'dlq', 0, -1)\n"
    "end\n"
    "for _, id in ipairs(ids) do\n"
    "  redis.call('DEL', tk(p, id))\n"
    "  redis.call('ZREM', p .. 'dlq', id)\n"
    "end\n"
    "return #ids\n";

static const char s_stats[] =
    "local p, len, run = KEYS[1], 0, 0\n"
    "for _, prio in ipairs(redis.call('ZRANGE', p .. 'prios', 0, -1)) do\n"
    "  local s = sk(p, prio)\n"
    "  len = len + redis.call('XLEN', s)\n"
    "  local x = redis.pcall('XPENDING', s, G)\n"
    "  if type(x) == 'table' then run = run + x[1] end\n"
    "end\n"
    "local c = redis.call('HMGET', p .. 'stats', 'ok', 'fail')\n"
    "return {len - run, run, redis.call('ZCARD', p .. 'd'), redis.call('ZCARD', p .. 'dlq'),\n"
    "        tonumber(c[1] or '0'), tonumber(c[2] or '0')}\n";

static const char s_sched_put[] =
    "local name = ARGV[1]\n"
    "if ARGV[5] == '1' and redis.call('HEXISTS', KEYS[1], name) == 1 then return -5 end\n"
    "redis.call('HSET', KEYS[1], name, ARGV[2])\n"
    "redis.call('HSET', KEYS[2], name, ARGV[4])\n"
    "if ARGV[3] == '1' then redis.call('HSET', KEYS[3], name, '1') else redis.call('HDEL', "
    "KEYS[3], name) end\n"
    "return 0\n";

static const char s_sched_fire[] =
    "local name, now, seen = ARGV[1], ARGV[4], {}\n"
    "local cur = redis.call('HGET', KEYS[1], name)\n"
    "if not cur then return -4 end\n"
    "if cur ~= ARGV[2] then return -14 end\n"
    "redis.call('HSET', KEYS[1], name, ARGV[3])\n"
    "for b = 5, #ARGV - 9, 10 do\n"
    "  local q = ARGV[b]\n"
    "  redis.call('SADD', 'orca:queues', q)\n"
    "  enq('orca:{' .. q .. '}:', now, ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4],\n"
    "      ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], ARGV[b + 8], ARGV[b + 9], seen, false)\n"
    "end\n"
    "return 0\n";

static const char *const bodies[ORCA__RS_COUNT] = {
    [ORCA__RS_ENQUEUE] = s_enqueue,     [ORCA__RS_FETCH] = s_fetch,
    [ORCA__RS_COMPLETE] = s_complete,   [ORCA__RS_EXTEND] = s_extend,
    [ORCA__RS_PROMOTE] = s_promote,     [ORCA__RS_GET] = s_get,
    [ORCA__RS_CANCEL] = s_cancel,       [ORCA__RS_DLQ_REQUEUE] = s_dlq_requeue,
    [ORCA__RS_DLQ_PURGE] = s_dlq_purge, [ORCA__RS_STATS] = s_stats,
    [ORCA__RS_SCHED_PUT] = s_sched_put, [ORCA__RS_SCHED_FIRE] = s_sched_fire,
    [ORCA__RS_BURY] = s_bury,
};
static const char *const short_names[ORCA__RS_COUNT] = {
    [ORCA__RS_ENQUEUE] = "enqueue",     [ORCA__RS_FETCH] = "fetch",
    [ORCA__RS_COMPLETE] = "complete",   [ORCA__RS_EXTEND] = "extend",
    [ORCA__RS_PROMOTE] = "promote",     [ORCA__RS_GET] = "get",
    [ORCA__RS_CANCEL] = "cancel",       [ORCA__RS_DLQ_REQUEUE] = "dlq_requeue",
    [ORCA__RS_DLQ_PURGE] = "dlq_purge", [ORCA__RS_STATS] = "stats",
    [ORCA__RS_SCHED_PUT] = "sched_put", [ORCA__RS_SCHED_FIRE] = "sched_fire",
    [ORCA__RS_BURY] = "bury",
};

/* The library is built once per process: "#!lua name=orca_HASH", the
 * prelude, then one register_function per script, named orca_HASH_NAME.
 * HASH (FNV-1a 64 of the prelude and the bodies) changes with the code, so
 * processes of different versions can share one Redis. */
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static char *lib_text;
static char fn_names[ORCA__RS_COUNT][48];

static uint64_t fnv(uint64_t h, const char *s) {
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static void build_library(void) {
  uint64_t h = fnv(14695981039346656037ULL, PRELUDE);
  size_t len = sizeof PRELUDE + 64;
  for (int i = 0; i < ORCA__RS_COUNT; i++) {
    h = fnv(h, bodies[i]);
    len += strlen(bodies[i]) + 128;
  }
  for (int i = 0; i < ORCA__RS_COUNT; i++)
    snprintf(fn_names[i], sizeof fn_names[i], "orca_%016" PRIx64 "_%s", h, short_names[i]);
  char *t = malloc(len);
  if (!t)
    return;
  size_t n = (size_t)snprintf(t, len, "#!lua name=orca_%016" PRIx64 "\n%s", h, PRELUDE);
  for (int i = 0; i < ORCA__RS_COUNT; i++)
    n += (size_t)snprintf(t + n, len - n,
                          "redis.register_function('%s', function(KEYS, ARGV)\n%send)\n",
                          fn_names[i], bodies[i]);
  lib_text = t;
}

const char *orca__redis_library(void) {
  pthread_once(&lib_once, build_library);
  return lib_text;
}

const char *orca__redis_function(int i) {
  pthread_once(&lib_once, build_library);
  return i >= 0 && i < ORCA__RS_COUNT ? fn_names[i] : "";
}
