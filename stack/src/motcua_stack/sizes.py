"""How many store connections the stack must allow, so the store can never stall.

FerretDB 1.24 holds one PostgreSQL connection from its pool for every open cursor and for every update
statement of a command until the command ends; when those in flight reach the pool it waits for ever.
So every process bounds what it can hold at once (docs/native-stack.md, *Sizes*):
  its client's `maxPoolSize` (commands in flight, each a read read to the end or one write)
  + the update statements of bulk writes it has in flight (motcua_shared.mongo's limiter),
and the pool and PostgreSQL's `max_connections` are at least twice that, summed over every process that
may use the store at once (every service instance, the tests, the benchmarks)."""

import os

from motcua_shared.mongo import DEFAULT_MAX_POOL_SIZE, updates_in_flight

# PostgreSQL's own connections (autovacuum, psql, pg_isready) beside FerretDB's pool.
RESERVED = 20


def clients() -> int:
    """MOTCUA_STACK_STORE_CLIENTS (default 20): processes that may use the store at once."""
    return int(os.environ.get("MOTCUA_STACK_STORE_CLIENTS", "20"))


def per_process() -> int:
    return DEFAULT_MAX_POOL_SIZE + updates_in_flight()


def ferretdb_pool() -> int:
    """FerretDB's backend pool (`pool_max_conns`): twice the most all clients can hold at once."""
    return 2 * clients() * per_process()


def postgres_max_connections() -> int:
    return ferretdb_pool() + RESERVED


def describe() -> str:
    return (
        f"{clients()} processes x (maxPoolSize {DEFAULT_MAX_POOL_SIZE} + {updates_in_flight()} update "
        f"statements in flight) = {clients() * per_process()}; FerretDB pool_max_conns {ferretdb_pool()} "
        f"(2x), PostgreSQL max_connections {postgres_max_connections()}"
    )
