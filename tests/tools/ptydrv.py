#!/usr/bin/python3
"""ptydrv: runs a command on a pseudo-terminal and drives it like a user.

    ptydrv.py SCRIPT -- COMMAND [ARGS...]

SCRIPT lines:
    > TEXT      type TEXT and Enter
    ^ C         type control-C (any letter)
    ? TEXT      wait until TEXT shows in the output after the last wait
    ! CMD       run CMD with sh (a delivery while the session is open)
    # ...       comment
Every wait has a deadline (10 s): the run then stops with exit 3.  At the
end the whole output goes to stdout with CRs removed, and ptydrv exits
with the command's exit status (wait for its end with a last "? ..." or
it is killed after 10 s)."""
import os, pty, select, signal, subprocess, sys, time

def main():
    script = open(sys.argv[1]).read().splitlines()
    cmd = sys.argv[sys.argv.index('--') + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = bytearray()
    mark = 0

    def pump(timeout):
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        out.extend(data)
        return True

    status = 0
    for line in script:
        if not line or line.startswith('#'):
            continue
        op, arg = line[0], line[2:]
        if op == '>':
            os.write(fd, arg.encode() + b'\r')
            time.sleep(0.05)
        elif op == '^':
            os.write(fd, bytes([ord(arg[0].upper()) - 64]))
        elif op == '!':
            subprocess.run(arg, shell=True)
        elif op == '?':
            want = arg.encode()
            end = time.time() + 10
            while want not in out[mark:]:
                if time.time() > end or not pump(0.2) and want not in out[mark:]:
                    if want in out[mark:]:
                        break
                    if time.time() > end:
                        sys.stdout.write(out.decode('utf-8', 'replace').replace('\r', ''))
                        sys.stdout.write('\nptydrv: timed out waiting for %r\n' % arg)
                        os.kill(pid, signal.SIGKILL)
                        sys.exit(3)
            mark = out.index(want, mark) + len(want)
    end = time.time() + 10
    while time.time() < end:
        if not pump(0.2):
            break
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            while pump(0.05):
                r, _, _ = select.select([fd], [], [], 0)
                if not r:
                    break
            status = os.waitstatus_to_exitcode(st)
            pid = 0
            break
    if pid:
        # the pty may close before the child is reaped: wait a while
        end = time.time() + 10
        try:
            while True:
                p, st = os.waitpid(pid, os.WNOHANG)
                if p:
                    status = os.waitstatus_to_exitcode(st)
                    break
                if time.time() > end:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    status = 124
                    break
                pump(0.05)
        except ChildProcessError:
            pass
    sys.stdout.write(out.decode('utf-8', 'replace').replace('\r', ''))
    sys.exit(status)

main()
