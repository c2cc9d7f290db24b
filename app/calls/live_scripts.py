"""The Redis store's Lua scripts: each one a single atomic step on one call's keys (one hash slot).

Every write script starts with GUARD, so it answers 0 for a call that is gone and -1 for a call that
is closing (being finalized), and writes nothing in either case.
"""

# Every write script starts here: 0 when the call is gone, -1 when it is closing (being finalized).
GUARD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'closing') == '1' then return -1 end
"""

# Turn appends are one atomic script: a repeated seq is ignored, a missing seq gets the next one.
_APPEND_BODY = """
local next_seq = tonumber(redis.call('HGET', KEYS[1], 'next_seq') or '0')
local accepted = {}
for _, turn in ipairs(cjson.decode(ARGV[1])) do
  local seq = turn['seq']
  if seq == nil or seq == cjson.null then seq = next_seq end
  turn['seq'] = seq
  if redis.call('HSETNX', KEYS[2], tostring(seq), cjson.encode(turn)) == 1 then
    accepted[#accepted + 1] = seq
    if seq >= next_seq then next_seq = seq + 1 end
  end
end
redis.call('HSET', KEYS[1], 'next_seq', next_seq, 'last_activity', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
"""
APPEND_TURNS = GUARD + _APPEND_BODY + "return cjson.encode(accepted)\n"

# The transcript hot path: the same append, only to a call of the org in ARGV[4] (0, nothing written,
# for a call that is gone or another org's), answering the meta fields ARGV[5..] as they were before
# it, so the line needs no read of its own. An unknown key reads as all false: no EXISTS needed.
APPEND_TURNS_CHECKED = (
    """
local read = redis.call('HMGET', KEYS[1], 'org_id', 'closing', unpack(ARGV, 5))
if read[1] ~= ARGV[4] then return 0 end
if read[2] == '1' then return -1 end
"""
    + _APPEND_BODY
    + "return {cjson.encode(accepted), unpack(read, 3, #ARGV - 2)}\n"
)

CREATE_CALL = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
redis.call('EXPIRE', KEYS[1], ARGV[2])
for i = 3, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
if #ARGV >= 3 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1
"""

UPDATE_META = (
    GUARD
    + """
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[1])))
return 1
"""
)

SET_INTAKE = (
    GUARD
    + """
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return 1
"""
)

ADD_EVENT = (
    GUARD
    + """
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""
)

# 1 when this call claimed the tool call id, else the output stored by the first claim.
CLAIM_TOOL = (
    GUARD
    + """
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return 1
end
return redis.call('HGET', KEYS[2], ARGV[1])
"""
)

BEGIN_CLOSE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'closing', '1')
return 1
"""

COUNT_FAILURE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'finalize_failures', 1)
"""

SET_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
