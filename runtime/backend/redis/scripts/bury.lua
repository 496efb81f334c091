-- bury.lua — entries the fast fetch path (a plain XREADGROUP) read that are not
-- tasks are dead-lettered as the fetch script does. ARGV: now, prio, entry
-- ids.
local p, now, prio = KEYS[1], ARGV[1], ARGV[2]
local s = sk(p, prio)
for i = 3, #ARGV do
  local r = redis.call('XRANGE', s, ARGV[i], ARGV[i])
  if r[1] then
    local id, pay, why = entry_task(r[1][2])
    if not id then bury_entry(p, prio, s, r[1], why, now) end
  end
end
return 0
