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


def run_job(job: dict, wakeup: tuple) -> None:
    """In the forked process: becomes `python SCRIPT ARGS...` and never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in wakeup:
            os.close(fd)
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        stdin = os.open(job["stdin"] or os.devnull, os.O_RDONLY)
        stdout = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        stderr = stdout if job["stderr"] == job["stdout"] else os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
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


def main() -> None:
    for module in sys.argv[1:]:
        importlib.import_module(module)
    sys.stdout.flush()
    sys.stderr.flush()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    jobs: dict = {}  # pid -> job id
    pending = b""
    reading = True
    kill_at = None
    while reading or jobs:
        if kill_at is not None and time.monotonic() >= kill_at:
            for pid in jobs:
                os.kill(pid, signal.SIGKILL)
            kill_at = None
        ready, _, _ = select.select([0, wake_read] if reading else [wake_read], [], [], None if kill_at is None else 1.0)
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
                pid = os.fork()
                if pid == 0:
                    run_job(job, (wake_read, wake_write))
                jobs[pid] = job["id"]
                reply({"id": job["id"], "pid": pid})
        while jobs:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            reply({"id": jobs.pop(pid), "code": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main()
