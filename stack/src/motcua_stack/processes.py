"""Start, find and stop the stack's background processes through pid files."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from .paths import log_dir, run_dir


class StackError(RuntimeError):
    """A dependency could not be built, started or reached; the message says what to look at."""


def pid_file(name: str) -> Path:
    return run_dir() / f"{name}.pid"


def log_file(name: str) -> Path:
    return log_dir() / f"{name}.log"


def running_pid(name: str) -> int | None:
    """The pid of our process `name` if it is alive."""
    path = pid_file(name)
    try:
        pid = int(path.read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        path.unlink(missing_ok=True)
        return None
    except PermissionError:
        return None
    if not _alive(pid):  # exited: a zombie child of ours still answers kill(0)
        path.unlink(missing_ok=True)
        return None
    return pid


def start(name: str, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None, user: str | None = None) -> int:
    """Start `argv` detached from this terminal, logging to the stack's log folder (as `user`, when given)."""
    run_dir().mkdir(parents=True, exist_ok=True)
    log_dir().mkdir(parents=True, exist_ok=True)
    with open(log_file(name), "ab") as log:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # survives the caller's Ctrl-C; `down` stops it
            user=user,
        )
    pid_file(name).write_text(str(process.pid))
    return process.pid


def stop(name: str, timeout: float = 30.0, signal_number: int = signal.SIGTERM) -> bool:
    """Stop process `name` (SIGTERM or the given signal, then SIGKILL); True if one was running."""
    pid = running_pid(name)
    if pid is None:
        return False
    os.kill(pid, signal_number)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
    pid_file(name).unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        # Reap our own child if it exited; for a process we did not start this raises ChildProcessError.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    except (FileNotFoundError, IndexError):
        return False


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(name: str, host: str, port: int, timeout: float) -> None:
    """Wait until `name` listens on host:port; fail early if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        pid = running_pid(name)
        if pid is None or not _alive(pid):
            raise StackError(f"{name} exited during start-up; see {log_file(name)}")
        time.sleep(0.3)
    raise StackError(f"{name} did not listen on {host}:{port} within {timeout:.0f}s; see {log_file(name)}")


def needs_start(name: str, host: str, port: int, setting: str) -> bool:
    """Whether the stack's process `name` is to be started: False when it already runs; StackError when
    another process holds its port (`setting` is the variable that moves it)."""
    if running_pid(name) is not None:
        return False
    if port_open(host, port):
        raise StackError(f"port {port} is taken by another process; set {setting}")
    return True
