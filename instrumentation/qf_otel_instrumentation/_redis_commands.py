"""Redis command names as metric values (a closed set) and what a hit is for each read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from qf_otel_instrumentation._bounded import count_fold, on_reset
from qf_otel_instrumentation._cache_recording import HIT, MISS

OTHER = "other"

# Common commands by family; anything else (modules, typos, new commands) is `other`.
_COMMAND_WORDS = """get set setex psetex setnx getex getdel getset mget mset msetnx append strlen
    incr incrby
    incrbyfloat decr decrby getrange setrange del unlink exists expire pexpire expireat pexpireat
    ttl pttl persist type rename renamenx keys scan dbsize flushdb flushall ping echo info time
    hget hset hsetnx hmget hmset hgetall hdel hexists hincrby hincrbyfloat hkeys hvals hlen hscan
    lpush rpush lpop rpop lrange llen lindex lset lrem ltrim blpop brpop lmove blmove
    sadd srem smembers sismember smismember scard spop srandmember sscan sinter sunion sdiff
    zadd zrem zscore zincrby zrange zrangebyscore zrevrange zrevrangebyscore zrank zrevrank
    zcard zcount zpopmin zpopmax zscan zremrangebyscore zremrangebyrank
    publish subscribe unsubscribe xadd xread xreadgroup xack xlen xrange xtrim
    eval evalsha script watch unwatch multi exec discard pipeline client select
    pfadd pfcount setbit getbit bitcount"""
COMMANDS = frozenset(_COMMAND_WORDS.split())

# Reads whose result says hit or miss. MGET/HMGET count one hit or miss per key.
_SINGLE: dict[str, Callable[[Any], bool]] = {
    "get": lambda r: r is not None,
    "getex": lambda r: r is not None,
    "getdel": lambda r: r is not None,
    "hget": lambda r: r is not None,
    "lindex": lambda r: r is not None,
    "zscore": lambda r: r is not None,
    "hgetall": lambda r: bool(r),
    "smembers": lambda r: bool(r),
    "exists": lambda r: bool(r),
    "hexists": lambda r: bool(r),
    "sismember": lambda r: bool(r),
}
MULTI_KEY_READS = frozenset({"mget", "hmget"})
# The single-key answers, made once (this runs on every command).
_HIT: tuple[str | None] = (HIT,)
_MISS: tuple[str | None] = (MISS,)
_NO_RESULT: tuple[str | None] = (None,)

_names: dict[Any, str] = {}
on_reset(_names.clear)


def operation(command: Any) -> str:
    """`GET`, b"get", "Get" -> "get"; unknown -> "other" (memoised on the raw value)."""
    found = _names.get(command)
    if found is None:
        text = command.decode("latin-1") if isinstance(command, bytes) else str(command)
        found = text.lower() if text.lower() in COMMANDS else OTHER
        if len(_names) < 1024:
            _names[command] = found
    if found is OTHER:
        count_fold("qf.cache.operation")
    return found


def results(op: str, result: Any) -> Sequence[str | None]:
    """The `qf.cache.result` values one command's result stands for (one per key for MGET)."""
    if op in MULTI_KEY_READS and isinstance(result, list | tuple):
        return [HIT if item is not None else MISS for item in result] or _NO_RESULT
    test = _SINGLE.get(op)
    if test is None:
        return _NO_RESULT
    return _HIT if test(result) else _MISS
