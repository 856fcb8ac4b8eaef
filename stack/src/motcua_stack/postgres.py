"""The PostgreSQL cluster FerretDB keeps its data in: Debian's `postgresql` server binaries, a cluster of
the stack's own under the stack home (initdb, local trust, loopback only, a port of its own), run as a
process the stack owns and tuned for FerretDB as measured (docs/native-stack.md, *The store*)."""

import grp
import hashlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from . import processes, sizes
from .paths import data_dir
from .processes import StackError

NAME = "postgres"
SUPERUSER = "ferretdb"  # the cluster's only role; trust authentication on loopback
DATABASE = "ferretdb"

# FerretDB 1.24 filters with `_jsonb->$1 @> $2` (the key a parameter, containment rather than equality),
# which no btree index serves. With the key known at planning time (plan_cache_mode) a GIN index on the
# same expression does: this event trigger gives every btree index FerretDB creates such a twin, and
# drops the twin with it.
GIN_TWINS = r"""
CREATE OR REPLACE FUNCTION motcua_gin_twin() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
  made record;
  columns text;
BEGIN
  FOR made IN SELECT objid, schema_name, object_identity FROM pg_event_trigger_ddl_commands()
              WHERE object_type = 'index' LOOP
    CONTINUE WHEN (SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam
                   WHERE c.oid = made.objid) <> 'btree';
    SELECT string_agg('(' || pg_get_indexdef(i.indexrelid, k, true) || ') jsonb_path_ops', ', ')
      INTO columns
      FROM pg_index i, generate_series(1, i.indnkeyatts) AS k
     WHERE i.indexrelid = made.objid AND pg_get_indexdef(i.indexrelid, k, true) LIKE '(_jsonb -> %';
    CONTINUE WHEN columns IS NULL;
    -- fastupdate off: a pending list (the default) is read in full by every lookup until a vacuum.
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s) WITH (fastupdate = off)',
                   'gin_' || md5(made.object_identity),
                   (SELECT i.indrelid::regclass::text FROM pg_index i WHERE i.indexrelid = made.objid),
                   columns);
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION motcua_gin_twin_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
  gone record;
BEGIN
  FOR gone IN SELECT schema_name, object_identity FROM pg_event_trigger_dropped_objects()
              WHERE object_type = 'index' AND original LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I.%I', gone.schema_name, 'gin_' || md5(gone.object_identity));
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS motcua_gin_twin;
CREATE EVENT TRIGGER motcua_gin_twin ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION motcua_gin_twin();
DROP EVENT TRIGGER IF EXISTS motcua_gin_twin_drop;
CREATE EVENT TRIGGER motcua_gin_twin_drop ON sql_drop WHEN TAG IN ('DROP INDEX')
  EXECUTE FUNCTION motcua_gin_twin_drop();
"""


def host() -> str:
    return "127.0.0.1"


def port() -> int:
    return int(os.environ.get("MOTCUA_STACK_POSTGRES_PORT", "5433"))


def url() -> str:
    """FerretDB's PostgreSQL URL; pool_max_conns sizes its backend pool (see `sizes`), and connections
    idle for a minute are closed (the pool otherwise keeps every backend of its busiest moment)."""
    return (
        f"postgres://{SUPERUSER}@{host()}:{port()}/{DATABASE}?pool_max_conns={sizes.ferretdb_pool()}"
        "&pool_max_conn_idle_time=1m"
    )


def bin_dir() -> Path:
    """Debian's server binaries (/usr/lib/postgresql/<version>/bin, the newest), or MOTCUA_STACK_POSTGRES_BIN."""
    if os.environ.get("MOTCUA_STACK_POSTGRES_BIN"):
        return Path(os.environ["MOTCUA_STACK_POSTGRES_BIN"])
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise StackError("PostgreSQL is needed for the store: `apt-get install postgresql` (or put a mongod on PATH)")


def os_user() -> str | None:
    """initdb and postgres refuse to run as root: as root, run them as MOTCUA_STACK_POSTGRES_USER (postgres)."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("MOTCUA_STACK_POSTGRES_USER", "postgres")
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise StackError(
            f"running as root, PostgreSQL needs an unprivileged user {name!r} "
            "(Debian's postgresql package makes one; or set MOTCUA_STACK_POSTGRES_USER)"
        ) from None
    return name


def _reachable_by(user: str, folder: Path) -> bool:
    """Can `user` walk down to `folder`? (A checkout under /root, mode 700, is not reachable.)"""
    account = pwd.getpwnam(user)
    groups = {account.pw_gid, *(g.gr_gid for g in grp.getgrall() if user in g.gr_mem)}
    for parent in [folder, *folder.parents]:
        if not parent.exists():
            continue
        mode = parent.stat()
        if mode.st_uid == account.pw_uid:
            allowed = mode.st_mode & 0o100
        elif mode.st_gid in groups:
            allowed = mode.st_mode & 0o010
        else:
            allowed = mode.st_mode & 0o001
        if not allowed:
            return False
    return True


def cluster_dir() -> Path:
    """The cluster's data folder: `<stack home>/data/postgres`, or, when the PostgreSQL user cannot reach
    the stack home, a folder under the system's temporary folder that this one links to (removing the
    stack's data folder then starts a new cluster, as it does otherwise)."""
    home = data_dir() / "postgres"
    user = os_user()
    if user is None or _reachable_by(user, home.parent):
        return home
    outside = Path(tempfile.gettempdir()) / f"motcua-postgres-{hashlib.sha256(str(home).encode()).hexdigest()[:12]}"
    if not home.is_symlink():
        shutil.rmtree(outside, ignore_errors=True)  # left by a stack home that was removed
        home.parent.mkdir(parents=True, exist_ok=True)
        home.symlink_to(outside)
    return outside


def _run(argv: list[str], what: str) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, user=os_user(), cwd="/")
    if result.returncode != 0:
        raise StackError(f"{what} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _init(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    user = os_user()
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(folder, account.pw_uid, account.pw_gid)
    folder.chmod(0o700)
    _run(
        [
            str(bin_dir() / "initdb"),
            "-D",
            str(folder),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        ],
        "initdb",
    )


def settings() -> dict[str, str]:
    """Given on the command line at every start, so a changed size applies to an existing cluster."""
    return {
        "listen_addresses": host(),
        "port": str(port()),
        "unix_socket_directories": "",  # TCP on loopback only
        "max_connections": str(sizes.postgres_max_connections()),
        "shared_buffers": "256MB",
        # FerretDB's filters name the key as a parameter: plan with it known, so the GIN twins serve them.
        "plan_cache_mode": "force_custom_plan",
        # A local stack: a crash may lose the last few hundred milliseconds of commits, never corrupts.
        "synchronous_commit": "off",
        "jit": "off",  # many small queries: compiling costs more than it saves
        "max_wal_size": "2GB",
        "log_min_messages": "warning",
        "log_checkpoints": "off",
    }


def psql(sql: str, database: str = DATABASE) -> str:
    return _run(
        [
            str(bin_dir() / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            host(),
            "-p",
            str(port()),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-At",
            "-c",
            sql,
        ],
        "psql",
    )


def start() -> None:
    """Start the cluster (creating it on first use) and wait until it accepts connections."""
    if not processes.needs_start(NAME, host(), port(), "MOTCUA_STACK_POSTGRES_PORT"):
        return
    folder = cluster_dir()
    fresh = not (folder / "PG_VERSION").exists()
    if fresh:
        _init(folder)
    argv = [str(bin_dir() / "postgres"), "-D", str(folder)]
    for name, value in settings().items():
        argv += ["-c", f"{name}={value}"]
    processes.start(NAME, argv, cwd=Path("/"), user=os_user())
    _wait_ready(timeout=60)
    if fresh:
        psql(f"CREATE DATABASE {DATABASE}", database="postgres")
    psql(GIN_TWINS)


def _wait_ready(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run([str(bin_dir() / "pg_isready"), "-q", "-h", host(), "-p", str(port())], check=False)
        if ready.returncode == 0:
            return
        if processes.running_pid(NAME) is None:
            raise StackError(f"PostgreSQL exited during start-up; see {processes.log_file(NAME)}")
        time.sleep(0.2)
    raise StackError(f"PostgreSQL did not accept connections within {timeout:.0f}s; see {processes.log_file(NAME)}")


def stop() -> bool:
    # SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client to leave).
    return processes.stop(NAME, signal_number=signal.SIGINT)
