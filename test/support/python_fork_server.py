"""Runs Python scripts as forks of one interpreter that has imported the expensive modules once, for
test/support/python-fork-server.ts. Importing Feast costs ~4 s of CPU a process (typeguard
recompiles its classes at import), and a Feast test file runs dozens of short Feast processes: each
is forked from here instead, a new process that starts where `import feast` ended, and then runs
its script as `python SCRIPT ARGS...` would (as __main__, with its own argv, cwd, environment,
stdin, stdout and stderr, exit code and atexit handlers).

Usage: python python_fork_server.py MODULE... (the modules to import before any fork)

Reads one job a line on stdin, {"id", "argv": [script, args...], "cwd", "env", "stdin": path or
null, "stdout": path, "stderr": path} (stdout and stderr may be the same file), and answers
{"id", "pid"} when its process started and {"id", "code"} when it ended (a negative code: the
signal that ended it). At the end of stdin the jobs still running are sent SIGTERM.
"""

import atexit
import importlib
import json
import os
import runpy
import select
import signal
import socket
import sys
import time
import traceback


def reply(message: dict) -> None:
    # Straight to the descriptor: nothing of the server's may sit in a buffer a fork inherits.
    try:
        os.write(1, (json.dumps(message) + "\n").encode())
    except BrokenPipeError:
        pass  # The test process is gone: its jobs still end, and so does the server.


def exit_code(exit: SystemExit) -> int:
    """The status `python SCRIPT` ends with on this SystemExit."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    print(exit.code, file=sys.stderr)
    return 1


def job_streams(job: dict) -> list:
    """The descriptors of a job's stdin, stdout and stderr: its files, opened here."""
    stdin = os.open(job["stdin"] or os.devnull, os.O_RDONLY)
    stdout = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    stderr = stdout if job["stderr"] == job["stdout"] else os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    return [stdin, stdout, stderr]


def run_job(job: dict, streams: list, server_fds: list) -> None:
    """In the forked process: becomes `python SCRIPT ARGS...` on `streams` and never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in server_fds:
            os.close(fd)
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        stdin, stdout, stderr = streams
        for source, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(source, target)
        for fd in {stdin, stdout, stderr}:
            os.close(fd)
        script = job["argv"][0]
        sys.argv = list(job["argv"])
        sys.path[0] = os.path.dirname(os.path.realpath(script))
        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as exit:
            code = exit_code(exit)
        except BaseException:
            sys.excepthook(*sys.exc_info())
            code = 1
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)


def receive_command(listener: socket.socket) -> tuple:
    """A job from python_fork_command.py: its JSON line and the three descriptors sent with it."""
    connection, _ = listener.accept()
    data, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    while not data.endswith(b"\n"):
        chunk = connection.recv(1 << 20)
        if not chunk:
            raise EOFError("python_fork_command.py hung up before its job was sent")
        data += chunk
    return connection, json.loads(data), fds


def main() -> None:
    # Listening before the imports: a command that connects meanwhile waits in the backlog.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sys.argv[1])
    listener.listen(16)
    for module in sys.argv[2:]:
        importlib.import_module(module)
    sys.stdout.flush()
    sys.stderr.flush()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    jobs: dict = {}  # pid -> job id, or the connection of a command's job
    pending = b""
    reading = True
    kill_at = None
    while reading or jobs:
        if kill_at is not None and time.monotonic() >= kill_at:
            for pid in jobs:
                os.kill(pid, signal.SIGKILL)
            kill_at = None
        sources = [0, wake_read, listener] if reading else [wake_read]
        ready, _, _ = select.select(sources, [], [], None if kill_at is None else 1.0)
        if wake_read in ready:
            os.read(wake_read, 4096)
        if 0 in ready:
            chunk = os.read(0, 65536)
            if not chunk:
                reading = False
                for pid in jobs:
                    os.kill(pid, signal.SIGTERM)
                kill_at = time.monotonic() + 10
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                job = json.loads(line)
                streams = job_streams(job)
                pid = os.fork()
                if pid == 0:
                    run_job(job, streams, [wake_read, wake_write, listener.fileno(), *connections(jobs)])
                for fd in set(streams):
                    os.close(fd)
                jobs[pid] = job["id"]
                reply({"id": job["id"], "pid": pid})
        if reading and listener in ready:
            try:
                connection, job, streams = receive_command(listener)
            except (OSError, EOFError, ValueError) as error:
                print(f"python_fork_server: a command's job was lost: {error}", file=sys.stderr, flush=True)
            else:
                pid = os.fork()
                if pid == 0:
                    run_job(job, streams, [wake_read, wake_write, listener.fileno(), connection.fileno(), *connections(jobs)])
                for fd in streams:
                    os.close(fd)
                jobs[pid] = connection
        while jobs:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            owner, code = jobs.pop(pid), os.waitstatus_to_exitcode(status)
            if isinstance(owner, socket.socket):
                try:
                    owner.sendall(f"{code}\n".encode())
                except OSError:
                    pass  # The command's process is gone.
                owner.close()
            else:
                reply({"id": owner, "code": code})


def connections(jobs: dict) -> list:
    """The descriptors of the commands' connections, which no fork may keep open."""
    return [owner.fileno() for owner in jobs.values() if isinstance(owner, socket.socket)]


if __name__ == "__main__":
    main()
