"""The upkeep and read scripts of :class:`~uno.jobs.storage.redis.RedisJobStorage`
(heartbeats, deletes, leases, queue heads, counts); :mod:`uno.jobs.storage.redis_lua`
describes the keys and puts its prelude in front of each.

    SCRIPTS.update(upkeep_scripts(PRELUDE))
"""

from __future__ import annotations

# ARGV: P, origin, now (micros), now (ISO), ids...
HEARTBEAT = r"""
for i = 5, #ARGV do
  local key = jkey(ARGV[i])
  if redis.call('HGET', key, 'status') == 'running' then
    redis.call('HSET', key, 'upd', ARGV[3], 'updated', ARGV[4])
    redis.call('ZADD', P .. ':running', ARGV[3], ARGV[i])
  end
end
return 0
"""

# ARGV: P, origin, what (finished|waiting), cutoff micros or queue, batch size.
# Deletes up to a batch; returns how many.
DELETE = r"""
local ids
local batch = tonumber(ARGV[5])
if ARGV[3] == 'finished' then
  ids = redis.call('ZRANGEBYSCORE', P .. ':finished', '-inf', '(' .. ARGV[4], 'LIMIT', 0, batch)
else
  ids = redis.call('ZRANGE', P .. ':s:' .. ARGV[4] .. ':pending', 0, batch - 1)
  if #ids < batch then
    for _, id in ipairs(redis.call('ZRANGE', P .. ':s:' .. ARGV[4] .. ':retrying', 0,
        batch - 1 - #ids)) do
      table.insert(ids, id)
    end
  end
end
for _, id in ipairs(ids) do
  if redis.call('EXISTS', jkey(id)) == 1 then
    unindex_stored(id)
    redis.call('DEL', jkey(id))
  else  -- its job is gone (deleted by hand, evicted): drop its entries (counts)
    redis.call('ZREM', P .. ':finished', id)
    local queues = {ARGV[4]}
    if ARGV[3] == 'finished' then queues = redis.call('SMEMBERS', P .. ':queues') end
    for _, q in ipairs(queues) do
      for st in pairs(ARGV[3] == 'finished' and FINISHED or WAITING) do
        redis.call('ZREM', P .. ':s:' .. q .. ':' .. st, id)
      end
    end
  end
end
return #ids
"""

# ARGV: P, origin, name, holder, now micros, expires micros, ttl ms.
LEASE = r"""
local key = P .. ':lease:' .. ARGV[3]
local holder, expires = unpack(redis.call('HMGET', key, 'holder', 'expires'))
if holder and holder ~= ARGV[4] and tonumber(expires) > tonumber(ARGV[5]) then return 0 end
if tonumber(ARGV[7]) <= 0 then
  redis.call('DEL', key)
else
  redis.call('HSET', key, 'holder', ARGV[4], 'expires', ARGV[6])
  redis.call('PEXPIRE', key, ARGV[7])
end
return 1
"""

# ARGV: P, origin, mode (oldest|next), now micros (oldest) or '' , queues (next).
# oldest: queue, micros, ... for every known queue with a waiting job due at now.
# next: queue, micros of the earliest waiting job of each given queue not paused.
HEADS = r"""
local queues
if ARGV[3] == 'oldest' then
  queues = redis.call('SMEMBERS', P .. ':queues')
else
  queues = {}
  for i = 5, #ARGV do
    if redis.call('SISMEMBER', P .. ':paused', ARGV[i]) == 0 then table.insert(queues, ARGV[i]) end
  end
end
local out = {}
for _, q in ipairs(queues) do
  local first = nil
  for _, p in ipairs(redis.call('ZRANGE', P .. ':prios:' .. q, 0, -1)) do
    local head = redis.call('ZRANGE', P .. ':w:' .. q .. ':' .. p, 0, 0, 'WITHSCORES')
    if head[2] and (not first or tonumber(head[2]) < first) then first = tonumber(head[2]) end
  end
  if first and (ARGV[3] ~= 'oldest' or first <= tonumber(ARGV[4])) then
    table.insert(out, q)
    table.insert(out, string.format('%.0f', first))
  end
end
return out
"""

# ARGV: P, origin, statuses...: queue, status, count, ... of every known queue
# and given status with jobs (each count the ZCARD of that listing set).
COUNTS = r"""
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. ':queues')) do
  for i = 3, #ARGV do
    local n = redis.call('ZCARD', P .. ':s:' .. q .. ':' .. ARGV[i])
    if n > 0 then
      table.insert(out, q)
      table.insert(out, ARGV[i])
      table.insert(out, n)
    end
  end
end
return out
"""


def upkeep_scripts(prelude: str) -> dict[str, str]:
    """Script name -> Lua source, each after ``prelude``."""
    return {"heartbeat": prelude + HEARTBEAT, "delete": prelude + DELETE,
            "lease": prelude + LEASE, "heads": prelude + HEADS, "counts": prelude + COUNTS}
