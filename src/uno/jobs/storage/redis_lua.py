"""The Lua scripts behind :class:`~uno.jobs.storage.redis.RedisJobStorage`.

Every script gets the key prefix as ``ARGV[1]`` and builds its key names from
it (one standalone Redis or a primary with replicas; not Redis Cluster). Keys,
for prefix ``P``:

- ``P:job:ID`` hash: ``data`` (the job's JSON), ``status``, ``worker`` (JSON),
  ``updated`` (ISO time), ``started`` (ISO time, set by a claim until the next
  write) -- these override ``data`` when read; an add stores neither ``worker``
  nor ``updated`` (``data`` has them) --, ``q`` (queue), ``p`` (priority),
  ``seq`` (insertion order: 16 digits, the adding client's clock in epoch
  microseconds, increasing per client), ``upd`` (updated_at, epoch
  microseconds; written from the first change on), ``tok`` (the token of the
  add that stored it)
- ``P:w:QUEUE:PRIO`` zset of waiting jobs, score due time (epoch microseconds),
  member ``SEQ .. ID`` (equal scores sort by member: first in, first out);
  ``P:prios:QUEUE`` zset of the priorities that have waiting jobs
- ``P:s:QUEUE:STATUS`` zset of ids by ``seq`` (listing); ``P:running`` and
  ``P:finished`` zsets of ids by ``upd`` (stall sweep, clean-up)
- ``P:queues`` (every queue a job was stored in), ``P:paused`` sets; the count of
  a queue and status is the ``ZCARD`` of its ``P:s:QUEUE:STATUS``;
  ``P:lease:NAME`` hash; ``P:done:TOKEN`` replay records
- ``P:wake`` pub/sub channel: a waiting job was stored or a queue resumed.

Scripts that are not idempotent take a token, so a call that redis-py retries
after a lost reply is answered again instead of run twice: an add keeps it in
its jobs' hashes (``tok``); a claim or a transition records its answer under it
for 30 seconds (a claim hands back the same jobs).
"""

from __future__ import annotations

from uno.jobs.storage.redis_lua_upkeep import upkeep_scripts

# What every script starts with: the key names and index(), which stores a job's
# entries in the indexes (the add script needs no more).
INDEX = r"""
local P = ARGV[1]
local function jkey(id) return P .. ':job:' .. id end

-- Returns false when the queue surely has its entry in P:queues already (it
-- had waiting jobs of this priority), true when it may not.
local function index(id, q, st, p, seq, due, upd)
  redis.call('ZADD', P .. ':s:' .. q .. ':' .. st, seq, id)
  if st == 'pending' or st == 'retrying' then
    redis.call('ZADD', P .. ':w:' .. q .. ':' .. p, due, seq .. id)
    return redis.call('ZADD', P .. ':prios:' .. q, p, p) == 1
  elseif st == 'running' then redis.call('ZADD', P .. ':running', upd, id)
  elseif st ~= 'reserved' then redis.call('ZADD', P .. ':finished', upd, id) end
  return true
end
"""

PRELUDE = INDEX + r"""
local WAITING = {pending = true, retrying = true}
local FINISHED = {completed = true, failed = true, cancelled = true, timeout = true}

local function unindex(id, q, st, p, seq)
  redis.call('ZREM', P .. ':s:' .. q .. ':' .. st, id)
  if WAITING[st] then
    local w = P .. ':w:' .. q .. ':' .. p
    redis.call('ZREM', w, seq .. id)
    if redis.call('ZCARD', w) == 0 then redis.call('ZREM', P .. ':prios:' .. q, p) end
  elseif st == 'running' then redis.call('ZREM', P .. ':running', id)
  elseif FINISHED[st] then redis.call('ZREM', P .. ':finished', id) end
end

local function unindex_stored(id)
  local old = redis.call('HMGET', jkey(id), 'q', 'status', 'p', 'seq')
  unindex(id, old[1], old[2], old[3], old[4])
  return old
end

local function replayed(token)
  if token == '' then return false end
  return redis.call('GET', P .. ':done:' .. token)
end

local function remember(token, answer)
  if token ~= '' then redis.call('SET', P .. ':done:' .. token, answer, 'EX', 30) end
end
"""

# ARGV: P, origin, token, then per job eight values: id, queue, status,
# priority, due, upd, seq, data (plain arguments: no JSON to decode for the
# common one-job add; seq, the insertion order, comes from the client: see
# RedisJobStorage._seqs). All or nothing: 'dup:ID' when a job exists. The token
# is kept in each job's hash ('tok'), so redis-py's retry of a call whose reply
# was lost finds its first job stored under that token and answers 'ok' again.
ADD = INDEX + r"""
local token = ARGV[3]
local first = redis.call('HMGET', jkey(ARGV[4]), 'status', 'tok')
if first[2] == token then return 'ok' end
if first[1] then return 'dup:' .. ARGV[4] end
for b = 12, #ARGV, 8 do
  if redis.call('EXISTS', jkey(ARGV[b])) == 1 then return 'dup:' .. ARGV[b] end
end
local wake = false
for b = 4, #ARGV, 8 do
  local id, q, st, p, seq = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 6]
  redis.call('HSET', jkey(id), 'q', q, 'status', st, 'p', p, 'seq', seq,
    'data', ARGV[b + 7], 'tok', token)
  if index(id, q, st, p, seq, ARGV[b + 4], ARGV[b + 5]) then
    redis.call('SADD', P .. ':queues', q)
  end
  if st == 'pending' or st == 'retrying' then wake = true end
end
if wake then redis.call('PUBLISH', P .. ':wake', ARGV[2]) end
return 'ok'
"""

# ARGV: P, origin, token, mode (update|cas), expected ("st,st"), then the job's
# fields (one argument, a JSON array of strings: id, queue, status, priority,
# due, upd, worker, updated) and its data.
PUT = PRELUDE + r"""
local token, mode = ARGV[3], ARGV[4]
local done = replayed(token)
if done then return done end
local id, q, st, p, due, upd, worker, updated = unpack(cjson.decode(ARGV[6]))
local old = redis.call('HMGET', jkey(id), 'q', 'status', 'p', 'seq')
if not old[2] then return 'missing:' .. id end
if mode == 'cas' and not string.find(',' .. ARGV[5] .. ',', ',' .. old[2] .. ',', 1, true) then
  remember(token, 'stale')
  return 'stale'
end
unindex(id, old[1], old[2], old[3], old[4])
redis.call('HDEL', jkey(id), 'started')  -- the claim's start time: now in data
redis.call('HSET', jkey(id), 'q', q, 'status', st, 'p', p, 'seq', old[4], 'upd', upd,
  'worker', worker, 'updated', updated, 'data', ARGV[7])
index(id, q, st, p, old[4], due, upd)
redis.call('SADD', P .. ':queues', q)
if WAITING[st] then redis.call('PUBLISH', P .. ':wake', ARGV[2]) end
remember(token, 'ok')
return 'ok'
"""

# ARGV: P, origin, token, worker (JSON), now (micros), now (ISO), limit, queues...
# Returns id, data, id, data, ... of the claimed jobs (RUNNING by ``worker``, started now).
CLAIM = PRELUDE + r"""
local token, worker, now, now_iso = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local out = {}
local done = replayed(token)
if done then
  for _, id in ipairs(cjson.decode(done)) do
    table.insert(out, id)
    table.insert(out, redis.call('HGET', jkey(id), 'data'))
  end
  return out
end
local prios = {}
for i = 8, #ARGV do
  local q = ARGV[i]
  if redis.call('SISMEMBER', P .. ':paused', q) == 0 then
    prios[q] = redis.call('ZRANGE', P .. ':prios:' .. q, 0, -1)
  end
end
local ids = {}
for _ = 1, tonumber(ARGV[7]) do
  local best = nil  -- {priority, due, member, queue, priority as stored}
  for q, ps in pairs(prios) do
    for _, p in ipairs(ps) do
      local pn = tonumber(p)
      if best and pn > best[1] then break end
      local head = redis.call('ZRANGEBYSCORE', P .. ':w:' .. q .. ':' .. p, '-inf', now,
        'WITHSCORES', 'LIMIT', 0, 1)
      if head[1] then
        local due = tonumber(head[2])
        if not best or pn < best[1] or due < best[2] or (due == best[2] and head[1] < best[3]) then
          best = {pn, due, head[1], q, p}
        end
        break
      end
    end
  end
  if not best then break end
  local id, seq = string.sub(best[3], 17), string.sub(best[3], 1, 16)
  local key = jkey(id)
  local status = redis.call('HGET', key, 'status')
  if not status then  -- its job is gone (deleted by hand, evicted): drop its entries
    unindex(id, best[4], 'pending', best[5], seq)
    redis.call('ZREM', P .. ':s:' .. best[4] .. ':retrying', id)
  else
    unindex(id, best[4], status, best[5], seq)
    redis.call('HSET', key, 'status', 'running', 'worker', worker, 'updated', now_iso,
      'started', now_iso, 'upd', now)
    index(id, best[4], 'running', best[5], seq, best[2], now)
    table.insert(ids, id)
    table.insert(out, id)
    table.insert(out, redis.call('HGET', key, 'data'))
  end
end
if #ids > 0 then remember(token, cjson.encode(ids)) end
return out
"""

# ARGV: P, origin, now (micros), now (ISO), error, id: fail a job whose data is corrupt.
FAIL = PRELUDE + r"""
local id = ARGV[6]
if redis.call('EXISTS', jkey(id)) == 0 then return 0 end
local old = unindex_stored(id)
redis.call('HSET', jkey(id), 'status', 'failed', 'upd', ARGV[3], 'updated', ARGV[4],
  'error', ARGV[5])
index(id, old[1], 'failed', old[3], old[4], 0, ARGV[3])
return 1
"""

SCRIPTS = {"add": ADD, "put": PUT, "claim": CLAIM, "fail": FAIL, **upkeep_scripts(PRELUDE)}
