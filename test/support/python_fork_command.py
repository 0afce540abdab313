"""A command (`feast apply`, run by a script with subprocess) as a fork of python_fork_server.py:
sends the server the script to run with this process's arguments, working folder and environment,
and its stdin, stdout and stderr themselves, then exits with the fork's code. Needs only the
standard library (run with python -S: it starts in milliseconds).

Usage: python -S python_fork_command.py <server socket> <script> [args...]
"""

import json
import os
import socket
import sys


def main() -> int:
    server, script, *args = sys.argv[1:]
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(server)
    job = {"argv": [script, *args], "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(connection, [(json.dumps(job) + "\n").encode()], [0, 1, 2])
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = connection.recv(64)
        if not chunk:
            print(f"python_fork_command.py: the fork server ended before {script} did", file=sys.stderr)
            return 1
        answer += chunk
    code = int(answer)
    # As a shell reports a process a signal ended.
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
