#!/usr/bin/python3
"""bench.py: "make bench".  Measures postbox against its peers on the same
machine, in one run, and prints medians and ratios (BENCH.md).  Never a
test: nothing here passes or fails.

  bench.py [SECTION...]     sections: makemap sendmail m4 smtpd mail
                            local pop3d tls (default: all)

Peers are installed from Debian's packages when missing and run privately
(no service is started or left running).  Everything stays on loopback and
every loop is bounded.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POSTBOX = os.path.join(SRC, "postbox")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def apt_install(*pkgs, env_extra=None):
    missing = [p for p in pkgs if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
        text=True).stdout.find("ok installed") < 0]
    if not missing:
        return True
    if os.geteuid() != 0:
        print("  (missing %s: apt-get install %s)" % (" ".join(missing),
              " ".join(missing)))
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    env.update(env_extra or {})
    r = subprocess.run(["apt-get", "install", "-y", "-q",
                        "--no-install-recommends"] + missing,
                       env=env, capture_output=True, text=True)
    return r.returncode == 0


def timed(cmd, stdin_path=None, cwd=None, env=None):
    """Wall seconds and child CPU seconds of one run of cmd."""
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    r0 = os.times()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=fin, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, cwd=cwd, env=env)
    t1 = time.perf_counter()
    r1 = os.times()
    if stdin_path:
        fin.close()
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                           p.stderr.decode(errors="replace")[:300]))
    return t1 - t0, (r1.children_user - r0.children_user +
                     r1.children_system - r0.children_system)


def median_of(fn, runs=RUNS):
    walls, cpus = [], []
    for _ in range(runs):
        w, c = fn()
        walls.append(w)
        cpus.append(c)
    return statistics.median(walls), statistics.median(cpus)


def row(name, wall, cpu, ref=None):
    ratio = "" if ref is None else "%6.2fx" % (wall / ref)
    print("  %-34s %9.3f s %9.3f s cpu %s" % (name, wall, cpu, ratio))


def postfix_private(d):
    """A private Postfix config folder for postmap (no daemon started)."""
    # Debconf first, so the package installs with "No configuration" and
    # sets up nothing; no Postfix daemon is ever started here.
    subprocess.run(["sh", "-c", "echo 'postfix postfix/main_mailer_type "
                    "select No configuration' | debconf-set-selections"],
                   capture_output=True)
    if not apt_install("postfix"):
        return None
    cfg = os.path.join(d, "postfix")
    os.makedirs(cfg, exist_ok=True)
    with open(os.path.join(cfg, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\nalias_maps =\n"
                "queue_directory = %s/pq\ndata_directory = %s/pd\n" % (d, d))
    return cfg


def bench_makemap():
    print("makemap: a 1,000,000-entry access-style map (median of %d)" % RUNS)
    apt_install("tinycdb")
    d = tempfile.mkdtemp(prefix="bench-makemap-")
    src = os.path.join(d, "access")
    with open(src, "w") as f:
        for i in range(1000000):
            if i % 3 == 0:
                f.write("Connect:10.%d.%d.%d\tRELAY\n" %
                        (i >> 16 & 255, i >> 8 & 255, i & 255))
            elif i % 3 == 1:
                f.write("From:user%d@example%d.org\tREJECT\n" % (i, i % 997))
            else:
                f.write("To:host%d.example.net\tERROR:5.7.1:550 no\n" % i)
    pb = median_of(lambda: timed([POSTBOX, "makemap", "hash",
                                  os.path.join(d, "pb")], src))
    row("postbox makemap hash", *pb)
    if shutil.which("cdb"):
        # tinycdb's own builder on the same input ("key value" lines).
        c = median_of(lambda: timed(["cdb", "-c", "-m",
                                     os.path.join(d, "t.cdb")], src))
        row("tinycdb cdb -c -m", *c)
        print("  ratio postbox/cdb: %.2f (goal <= 1.3)" % (pb[0] / c[0]))
    cfg = postfix_private(d)
    if cfg and shutil.which("postmap"):
        env = dict(os.environ, MAIL_CONFIG=cfg)
        shutil.copy(src, os.path.join(d, "pf"))
        p = median_of(lambda: timed(["postmap", "-c", cfg, "hash:" +
                                     os.path.join(d, "pf")], env=env),
                      runs=max(1, RUNS // 2))
        row("postfix postmap hash", *p)
        print("  ratio postbox/postmap: %.2f" % (pb[0] / p[0]))
    shutil.rmtree(d, ignore_errors=True)


def latencies(cmd, stdin_bytes, n, env=None):
    """Wall seconds of n sequential runs of cmd, each fed stdin_bytes."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, input=stdin_bytes, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env)
        out.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise RuntimeError("%s: exit %d: %s" % (
                " ".join(cmd), p.returncode, p.stderr[:300]))
    return out


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def bench_sendmail():
    n = int(os.environ.get("BENCH_N", "200"))
    print("sendmail -t: submission latency until exit, durable, queue-only "
          "(%d sequential runs)" % n)
    msg = (b"To: nobody@localhost\nSubject: bench\n\n" + b"x" * 1000 +
           b"\n")
    d = tempfile.mkdtemp(prefix="bench-sendmail-")
    os.makedirs(d + "/q")
    with open(d + "/sendmail.cf", "w") as f:
        f.write("O QueueDirectory=%s/q\nO DeliveryMode=q\n" % d)
    pb = latencies([POSTBOX, "sendmail", "-C", d + "/sendmail.cf", "-t",
                    "-i"], msg, n)
    print("  %-34s p50 %7.2f ms  p90 %7.2f ms" % (
        "postbox sendmail -t", pct(pb, .5) * 1e3, pct(pb, .9) * 1e3))
    ref = None
    cfg = postfix_private(d) if os.geteuid() == 0 else None
    if cfg and os.path.exists("/usr/sbin/postdrop"):
        with open(cfg + "/main.cf", "a") as f:
            f.write("myhostname = bench.localdomain\n"
                    "mydestination = localhost\n"
                    "inet_interfaces = 127.0.0.1\n"
                    "inet_protocols = ipv4\n")
        shutil.copy("/etc/postfix/master.cf", cfg + "/master.cf") \
            if os.path.exists("/etc/postfix/master.cf") else None
        # The folders postdrop writes (no daemon: the maildrop just fills;
        # postdrop's warning that pickup is not running is expected).
        for sub, mode in (("maildrop", 0o1730), ("public", 0o2710)):
            os.makedirs("%s/pq/%s" % (d, sub), exist_ok=True)
            shutil.chown("%s/pq/%s" % (d, sub), "postfix", "postdrop")
            os.chmod("%s/pq/%s" % (d, sub), mode)
        env = dict(os.environ, MAIL_CONFIG=cfg)
        try:
            pf = latencies(["/usr/sbin/sendmail", "-C", cfg, "-t", "-i"],
                           msg, n, env=env)
            ref = pct(pf, .5)
            print("  %-34s p50 %7.2f ms  p90 %7.2f ms" % (
                "postfix sendmail -t (postdrop)", pct(pf, .5) * 1e3,
                pct(pf, .9) * 1e3))
            print("  ratio postbox/postfix: %.2f (goal <= 0.25)" %
                  (pct(pb, .5) / ref))
        except RuntimeError as e:
            print("  postfix: failed: %s" % e)
    shutil.rmtree(d, ignore_errors=True)


def bench_m4():
    cfdir = "/usr/share/sendmail/cf/cf"
    apt_install("m4", "sendmail-cf")
    if not os.path.isdir(cfdir) or not shutil.which("m4"):
        print("m4: sendmail-cf or GNU m4 missing")
        return
    mcs = sorted(f for f in os.listdir(cfdir) if f.endswith(".mc"))
    link = tempfile.mkdtemp(prefix="bench-m4-") + "/m4"
    os.symlink(POSTBOX, link)
    gnu = shutil.which("m4")
    # Interleaved (postbox, GNU, postbox, ...), so machine noise hits both
    # alike; with and without cf's makeinfo.sh, which runs a shell script
    # per file that both programs wait on alike.
    for label, extra in (("whole build", []),
                         ("engine only, -D_NO_MAKEINFO_",
                          ["-D_NO_MAKEINFO_"])):
        tot = {link: [0.0, 0.0], gnu: [0.0, 0.0]}
        walls = {link: [], gnu: []}
        for _ in range(RUNS):
            run = {link: 0.0, gnu: 0.0}
            for mc in mcs:
                for m4 in (link, gnu):
                    w, c = timed([m4] + extra + ["../m4/cf.m4", mc],
                                 cwd=cfdir)
                    run[m4] += w
                    tot[m4][1] += c
            for m4 in run:
                walls[m4].append(run[m4])
        pb = statistics.median(walls[link]), tot[link][1] / RUNS
        gn = statistics.median(walls[gnu]), tot[gnu][1] / RUNS
        print("m4: the %d sendmail-cf examples, %s (median of %d)" %
              (len(mcs), label, RUNS))
        row("postbox m4", *pb)
        row("GNU m4", *gn)
        print("  ratio postbox/GNU: %.2f wall, %.2f cpu (goal <= 0.7)" %
              (pb[0] / gn[0], pb[1] / gn[1] if gn[1] else 0))
    shutil.rmtree(os.path.dirname(link), ignore_errors=True)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def count_mbox(path):
    """Messages in an mbox, cheaply (the poll must not steal the CPU the
    daemon under test needs)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return 0
    return data.count(b"\nFrom ") + (1 if data.startswith(b"From ") else 0)


def wait_for(pred, limit):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        if pred():
            return time.perf_counter() - t0
        time.sleep(0.05)
    return None


def proc_cpu(pid):
    """utime+stime+cutime+cstime of PID, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in v[11:15]) / os.sysconf("SC_CLK_TCK")


def smtp_source(port, n, sessions):
    t0 = time.perf_counter()
    subprocess.run(["smtp-source", "-c", "-l", "1024", "-m", str(n), "-s",
                    str(sessions), "-f", "bench@localhost", "-t",
                    "nobody@localhost", "127.0.0.1:%d" % port],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=600)
    return time.perf_counter() - t0


def postbox_smtpd(d, port, extra=""):
    os.chmod(d, 0o755)         # mkdtemp's 0700 would shut out the sessions
    os.makedirs(d + "/q")
    os.makedirs(d + "/mail")
    os.chmod(d + "/mail", 0o1777)
    shutil.chown(d + "/q", group="nogroup")
    os.chmod(d + "/q", 0o2770)
    cf = d + "/sendmail.cf"
    with open(cf, "w") as f:
        f.write("Djbench.localdomain\nCwlocalhost\n"
                "O DaemonPortOptions=Port=%d,Addr=127.0.0.1,Name=MTA\n"
                "O QueueDirectory=%s/q\nO PostboxMailbox=mbox:%s/mail/%%u\n"
                "O AliasFile=%s/aliases\nO DefaultUser=nobody\n"
                "O MaxDaemonChildren=0\n" % (port, d, d, d))
        f.write(extra)
    open(d + "/aliases", "w").close()
    p = subprocess.Popen([POSTBOX, "smtpd", "-C", cf],
                         stderr=open(d + "/smtpd.log", "w"))
    wait_for(lambda: subprocess.run(
        ["sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/%d" % port],
        executable="/bin/bash", capture_output=True).returncode == 0, 10)
    return p, d + "/mail/nobody"


def postfix_instance(d, port, extra=""):
    cfg = d + "/pf"
    os.chmod(d, 0o755)
    os.makedirs(cfg)
    for sub in ("pq", "pd", "mail"):
        os.makedirs(d + "/" + sub)
    shutil.chown(d + "/pd", "postfix")
    os.chmod(d + "/mail", 0o1777)
    with open(cfg + "/main.cf", "w") as f:
        f.write("""compatibility_level = 3.6
queue_directory = {d}/pq
data_directory = {d}/pd
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.localdomain
mydestination = localhost
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
mail_spool_directory = {d}/mail
maillog_file = {d}/maillog
maillog_file_prefixes = /var, /dev/stdout, {d}
default_transport = error:5.7.1 outbound disabled
relay_transport = error:5.7.1 outbound disabled
smtp_dns_support_level = disabled
smtpd_banner = $myhostname ESMTP
""".format(d=d) + extra)
    out = []
    with open("/etc/postfix/master.cf") as f:
        for line in f:
            w = line.split()
            if w and w[0] == "smtp" and w[1] == "inet":
                out.append("127.0.0.1:%d inet n - n - - smtpd\n" % port)
                continue
            if w and not line[0].isspace() and not line.startswith("#") \
                    and len(w) >= 8:
                w[4] = "n"     # chroot off everywhere
                line = "  ".join(w[:8]) + ("  " + " ".join(w[8:])
                                           if len(w) > 8 else "") + "\n"
            out.append(line)
    with open(cfg + "/master.cf", "w") as f:
        f.writelines(out)
    env = dict(os.environ, MAIL_CONFIG=cfg)
    subprocess.run(["postfix", "-c", cfg, "set-permissions"],
                   capture_output=True, env=env)
    r = subprocess.run(["postfix", "-c", cfg, "start"], capture_output=True,
                       text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError("postfix start: " + r.stderr[:300])
    wait_for(lambda: subprocess.run(
        ["sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/%d" % port],
        executable="/bin/bash", capture_output=True).returncode == 0, 20)
    return cfg, d + "/mail/nobody"


def tree_pids(pid):
    """PID and its live descendants."""
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def tree_cpu(pid):
    """CPU seconds of PID's live tree, reaped children included."""
    t = 0.0
    for p in tree_pids(pid):
        try:
            t += proc_cpu(p)
        except OSError:
            pass
    return t


def tree_pss(pid):
    """PSS of PID's live tree in KiB."""
    t = 0
    for p in tree_pids(pid):
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        t += int(line.split()[1])
        except OSError:
            pass
    return t


def open_sessions(port, n):
    """N SMTP sessions left open after EHLO."""
    import socket
    out = []
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        f = c.makefile("rb")
        f.readline()
        c.sendall(b"EHLO bench.example\r\n")
        while True:
            line = f.readline()
            if not line or line[3:4] != b"-":
                break
        out.append((c, f))
    return out


def pss_per_session(pid, port, n=50):
    time.sleep(0.5)
    idle = tree_pss(pid)
    ss = open_sessions(port, n)
    time.sleep(1.0)
    busy = tree_pss(pid)
    for c, f in ss:
        c.close()
    return (busy - idle) / n


def smtp_latencies(port, n=200):
    """Seconds from MAIL FROM to the 250 after DATA, N sequential
    messages of 1 KiB on one connection (TCP_NODELAY: BENCH.md)."""
    import smtplib
    import socket
    body = b"Subject: latency\r\n\r\n" + (b"x" * 70 + b"\r\n") * 13
    c = smtplib.SMTP("127.0.0.1", port, timeout=60)
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.ehlo("bench.example")
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.sendmail("bench@localhost", ["nobody@localhost"], body)
        out.append(time.perf_counter() - t0)
    c.quit()
    return out


def fsyncs_per_msg(pids, port, n=200):
    """fsync+fdatasync calls per message over the whole daemon tree
    (strace attached to each process, following forks)."""
    if not shutil.which("strace"):
        return None
    out = tempfile.mktemp(prefix="bench-strace-")
    cmd = ["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", out]
    for p in pids:
        cmd += ["-p", str(p)]
    st = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    smtp_source(port, n, 1)
    time.sleep(2.0)
    st.terminate()
    st.wait(30)
    calls = 0
    try:
        with open(out) as f:
            for line in f:
                w = line.split()
                if len(w) >= 5 and w[-1] in ("fsync", "fdatasync"):
                    calls += int(w[3])
        os.unlink(out)
    except OSError:
        return None
    return calls / n


def postfix_master(d):
    try:
        with open(d + "/pq/pid/master.pid") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def settle():
    """Between two daemons' runs: on ext4 without a journal (this
    machine's disk), an inode freed in the last 30 s, or whose table block
    is not yet written back, is skipped by every new allocation, so one
    run's deleted queue files would slow the next run down (whichever MTA
    it is).  BENCH_SETTLE seconds (default 35) after a sync."""
    subprocess.run(["sync"])
    time.sleep(float(os.environ.get("BENCH_SETTLE", "35")))


def bench_smtpd():
    """smtpd: durable accept + local delivery against Postfix (BENCH.md),
    the smtp-sink ceiling, fsyncs per message, PSS per idle session and
    accept latency."""
    n = int(os.environ.get("BENCH_MSGS", "2000"))
    if os.geteuid() != 0:
        print("smtpd: needs root (private daemons, privilege drop)")
        return
    if not shutil.which("smtp-source"):
        pd = tempfile.mkdtemp(prefix="bench-pf-")
        postfix_private(pd)
        shutil.rmtree(pd, ignore_errors=True)
    if not shutil.which("smtp-source"):
        print("smtpd: smtp-source (Debian postfix) is missing")
        return
    print("smtpd: durable accept + local delivery to mbox, %d x 1 KiB "
          "messages, smtp-source -s SESSIONS; CPU = the daemon's whole "
          "process tree" % n)
    for sessions in (1, 10, 50):
        d = tempfile.mkdtemp(prefix="bench-smtpd-")
        port = free_port()
        settle()
        p, mbox = postbox_smtpd(d, port)
        try:
            acc = smtp_source(port, n, sessions)
            e2e = wait_for(lambda: count_mbox(mbox) >= n, 120)
            cpu = tree_cpu(p.pid)
            got = count_mbox(mbox)
        finally:
            p.terminate()
            p.wait(30)
        tot = acc + (e2e if e2e is not None else 120)
        print("  postbox s=%-3d accept %6.0f msg/s  end-to-end %6.0f msg/s"
              "  %5.2f ms CPU/msg  (%d delivered)" % (
                  sessions, n / acc, n / tot, cpu * 1e3 / n, got))
        d2 = tempfile.mkdtemp(prefix="bench-postfix-")
        port2 = free_port()
        settle()
        try:
            cfg, mbox2 = postfix_instance(d2, port2)
        except Exception as e:
            print("  postfix: %s" % e)
            shutil.rmtree(d, ignore_errors=True)
            continue
        try:
            master = postfix_master(d2)
            cpu0 = tree_cpu(master) if master else 0
            acc2 = smtp_source(port2, n, sessions)
            e2e2 = wait_for(lambda: count_mbox(mbox2) >= n, 300)
            cpu2 = tree_cpu(master) - cpu0 if master else 0
            got2 = count_mbox(mbox2)
        finally:
            subprocess.run(["postfix", "-c", cfg, "stop"],
                           capture_output=True)
        tot2 = acc2 + (e2e2 if e2e2 is not None else 300)
        print("  postfix s=%-3d accept %6.0f msg/s  end-to-end %6.0f msg/s"
              "  %5.2f ms CPU/msg  (%d delivered)" % (
                  sessions, n / acc2, n / tot2, cpu2 * 1e3 / n, got2))
        print("  ratio postbox/postfix s=%d: end-to-end %.2fx (goal >= 2), "
              "CPU %.2fx" % (sessions, tot2 / tot,
                             (cpu / n) / (cpu2 / n) if cpu2 else 0))
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(d2, ignore_errors=True)
    # the protocol-only ceiling
    port = free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "nobody",
                             "127.0.0.1:%d" % port, "1000"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for(lambda: subprocess.run(
        ["sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/%d" % port],
        executable="/bin/bash", capture_output=True).returncode == 0, 10)
    try:
        acc = smtp_source(port, n, 50)
        print("  smtp-sink (no disk, protocol only) s=50: %6.0f msg/s" %
              (n / acc))
    finally:
        sink.terminate()
        sink.wait(10)
    # fsyncs, memory and latency, one daemon of each
    d = tempfile.mkdtemp(prefix="bench-smtpd-")
    port = free_port()
    p, mbox = postbox_smtpd(d, port)
    d2 = tempfile.mkdtemp(prefix="bench-postfix-")
    port2 = free_port()
    cfg = None
    try:
        f1 = fsyncs_per_msg(tree_pids(p.pid), port)
        pss1 = pss_per_session(p.pid, port)
        lat1 = sorted(smtp_latencies(port))
        cfg, mbox2 = postfix_instance(d2, port2)
        master = postfix_master(d2)
        f2 = fsyncs_per_msg(tree_pids(master), port2) if master else None
        pss2 = pss_per_session(master, port2) if master else 0
        lat2 = sorted(smtp_latencies(port2))
        fmt = lambda v: "%.1f" % v if v is not None else "?"
        print("  fsyncs per message (strace, 200 messages, whole tree): "
              "postbox %s, postfix %s" % (fmt(f1), fmt(f2)))
        print("  PSS per idle session (50 after EHLO): postbox %.0f KB, "
              "postfix %.0f KB (goal <= 200 KB)" % (pss1, pss2))
        print("  accept latency, 200 sequential messages: postbox p50 "
              "%.2f ms p90 %.2f ms; postfix p50 %.2f ms p90 %.2f ms; "
              "p50 ratio %.2fx" % (
                  pct(lat1, 0.5) * 1e3, pct(lat1, 0.9) * 1e3,
                  pct(lat2, 0.5) * 1e3, pct(lat2, 0.9) * 1e3,
                  pct(lat1, 0.5) / pct(lat2, 0.5)))
    finally:
        p.terminate()
        p.wait(30)
        if cfg:
            subprocess.run(["postfix", "-c", cfg, "stop"],
                           capture_output=True)
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(d2, ignore_errors=True)


def proc_cpu_after(p):
    # After the daemon exits its own and its reaped children's CPU is in
    # our rusage for that child: not separable here, so 0.
    return 0.0


def timed_rss(cmd, stdin_bytes=None, env=None):
    """Wall seconds and peak RSS (KiB, from GNU time: the rusage of a
    child forked from Python would count Python's pages) of one run."""
    with tempfile.NamedTemporaryFile() as tf:
        t0 = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd,
                       input=stdin_bytes, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=env)
        wall = time.perf_counter() - t0
        rss = int((open(tf.name).read().split() or ["0"])[-1])
    return wall, rss


def bench_mail():
    """mail -H -f on a 10,000-message mbox against s-nail and bsd-mailx."""
    print("mail: header summary of a 10,000-message mbox (median of %d)" %
          RUNS)
    apt_install("s-nail", "time")
    d = tempfile.mkdtemp(prefix="bench-mail-")
    big = os.path.join(d, "big")
    subprocess.run(["/usr/bin/python3", os.path.join(
        SRC, "tests/tools/mkmbox.py"), "big", big, "10000"], check=True)
    env = dict(os.environ, HOME=d, TZ="UTC")
    link = os.path.join(d, "mail")
    os.symlink(POSTBOX, link)
    peers = [("postbox mail -H", [link, "-H", "-f", big], None)]
    if shutil.which("s-nail"):
        peers.append(("s-nail -H", ["s-nail", "-n", "-H", "-f", big], None))
    # bsd-mailx depends on an MTA: unpacked here, never installed
    bsd = os.path.join(d, "bsd")
    os.makedirs(bsd)
    subprocess.run(["apt-get", "download", "bsd-mailx", "liblockfile1"],
                   cwd=bsd, capture_output=True)
    for deb in os.listdir(bsd):
        if deb.endswith(".deb"):
            subprocess.run(["dpkg", "-x", deb, "x"], cwd=bsd)
    bx = os.path.join(bsd, "x/usr/bin/bsd-mailx")
    if os.path.exists(bx):
        env["LD_LIBRARY_PATH"] = os.path.join(bsd,
                                              "x/usr/lib/x86_64-linux-gnu")
        peers.append(("bsd-mailx (from *)", [bx, "-N", "-f", big],
                      b"from *\nx\n"))
    res = {}
    for name, cmd, inp in peers:
        runs = [timed_rss(cmd, inp, env) for _ in range(RUNS)]
        res[name] = (statistics.median(r[0] for r in runs),
                     max(r[1] for r in runs))
        print("  %-34s %9.3f s %9d KiB peak RSS" % (name, *res[name]))
    others = [v[0] for k, v in res.items() if not k.startswith("postbox")]
    if others:
        print("  ratio postbox/fastest peer: %.2f (goal <= 0.5)" %
              (res["postbox mail -H"][0] / min(others)))
    shutil.rmtree(d, ignore_errors=True)


def fsync_rate(d, n=2000):
    """The disk's limit: open, write 1 KiB, fsync, close, rename, fsync
    the folder, n times (BENCH.md)."""
    data = b"x" * 1024
    dfd = os.open(d, os.O_RDONLY)
    t0 = time.perf_counter()
    for i in range(n):
        tmp = "%s/t%d" % (d, i)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, "%s/f%d" % (d, i))
        os.fsync(dfd)
    t = time.perf_counter() - t0
    os.close(dfd)
    return n / t


def bench_local():
    n = int(os.environ.get("BENCH_LOCAL", "10000"))
    print("local delivery: %d x 1 KiB messages queued with -odq, then one "
          "sendmail -q run" % n)
    d = tempfile.mkdtemp(prefix="bench-local-")
    os.makedirs(d + "/disk")
    print("  the disk: %.0f fsync+rename per second (one writer)" %
          fsync_rate(d + "/disk"))
    body = b"Subject: bench\n\n" + (b"x" * 63 + b"\n") * 16
    user = "root" if os.geteuid() == 0 else os.environ.get("USER", "root")
    for kind, spec in (("mbox", "mbox:%s/mail/%%u" % d),
                       ("Maildir", "maildir:%s/md/%%u" % d)):
        q = "%s/q-%s" % (d, kind)
        os.makedirs(q)
        os.makedirs(d + "/mail", exist_ok=True)
        cf = "%s/%s.cf" % (d, kind)
        with open(cf, "w") as f:
            f.write("O QueueDirectory=%s\nO PostboxMailbox=%s\n"
                    "O AliasFile=%s/aliases\nO DeliveryMode=q\n" %
                    (q, spec, d))
        open(d + "/aliases", "w").close()
        for _ in range(n):
            subprocess.run([POSTBOX, "sendmail", "-C", cf, "-odq", user],
                           input=body, check=True)
        w, c = timed([POSTBOX, "sendmail", "-C", cf, "-q"])
        left = len([x for x in os.listdir(q) if x.startswith("qf")])
        print("  %-8s %7.0f msg/s  %5.2f ms CPU/msg  (%d left queued)" %
              (kind, n / w, c * 1e3 / n, left))
    shutil.rmtree(d, ignore_errors=True)


def tls_certs(d):
    """A self-signed RSA-2048 and ECDSA P-256 certificate in d:
    {"RSA-2048": (cert, key), "ECDSA P-256": (cert, key)}."""
    out = {}
    for name, args in (("RSA-2048", ["-newkey", "rsa:2048"]),
                       ("ECDSA P-256", ["-newkey", "ec", "-pkeyopt",
                                        "ec_paramgen_curve:P-256"])):
        k = name.split()[0].split("-")[0].lower()
        crt, key = "%s/%s.crt" % (d, k), "%s/%s.key" % (d, k)
        subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "30",
                        "-subj", "/CN=localhost", "-keyout", key, "-out",
                        crt] + args, check=True, capture_output=True)
        os.chmod(key, 0o644)   # Postfix's smtpd reads it as postfix
        out[name] = (crt, key)
    return out


def smtp_reply(s, buf):
    """Reads one (multi-line) SMTP reply from socket s; buf is a one-item
    list holding the bytes read ahead.  Returns the reply's code."""
    while True:
        while b"\r\n" not in buf[0]:
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("connection closed")
            buf[0] += chunk
        line, buf[0] = buf[0].split(b"\r\n", 1)
        if line[3:4] != b"-":
            return int(line[:3])


def tls_worker(args):
    """n STARTTLS handshakes (EHLO, STARTTLS, handshake, QUIT), each on a
    new connection: full ones, or with `resume` each offering the session
    of one full handshake made first (not counted; TLS 1.2, as BearSSL
    has no 1.3).  Returns the protocol and cipher of the last one, with
    "(resumed K)" when resuming."""
    import socket
    import ssl
    port, n = args[:2]
    resume = len(args) > 2 and args[2]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if resume:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    last, sess, reused = None, None, 0
    for i in range(n + (1 if resume else 0)):
        s = socket.create_connection(("127.0.0.1", port), 10)
        # the client's Finished ends a resumed handshake: without this,
        # the QUIT behind it waits for the server's delayed ACK (40 ms)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = [b""]
        smtp_reply(s, buf)
        s.sendall(b"EHLO bench.localdomain\r\n")
        smtp_reply(s, buf)
        s.sendall(b"STARTTLS\r\n")
        if smtp_reply(s, buf) != 220:
            raise RuntimeError("STARTTLS refused")
        t = ctx.wrap_socket(s, server_hostname="localhost", session=sess)
        last = "%s %s" % (t.version(), t.cipher()[0])
        if resume and i == 0:
            sess = t.session
        elif t.session_reused:
            reused += 1
        t.sendall(b"QUIT\r\n")
        smtp_reply(t, [b""])
        t.close()
    return last + (" (resumed %d)" % reused if resume else "")


def tls_rate(port, n, workers, resume=False):
    """Handshakes per second of n handshakes over `workers` processes."""
    import multiprocessing
    with multiprocessing.Pool(workers) as pool:
        t0 = time.perf_counter()
        last = pool.map(tls_worker, [(port, n // workers, resume)] * workers)
        t = time.perf_counter() - t0
    return (n // workers) * workers / t, last[0]


def tls_latency(port, n):
    """Seconds per message of n sequential smtplib sessions: connect,
    EHLO, STARTTLS, EHLO, one 1 KiB message, QUIT."""
    import smtplib
    import ssl
    ctx = ssl._create_unverified_context()
    msg = b"Subject: bench\r\n\r\n" + (b"x" * 62 + b"\r\n") * 16
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, "bench.localdomain",
                          timeout=30) as c:
            c.starttls(context=ctx)
            c.sendmail("bench@localhost", ["nobody@localhost"], msg)
        out.append(time.perf_counter() - t0)
    return out


# Postfix's maillog_file goes through postlogd; once a bench instance
# stalled for good with postlogd gone and every daemon blocked writing
# to its socket.  These instances log nowhere (syslog: no /dev/log here).
PF_NOLOG = "maillog_file =\n"


def postfix_tls(crt, key):
    return (PF_NOLOG + "smtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\n"
            "smtpd_tls_security_level = may\nsmtpd_tls_loglevel = 0\n"
            "smtpd_tls_session_cache_database =\n"
            "smtpd_tls_session_cache_timeout = 0\n"
            "tls_random_source = dev:/dev/urandom\n" % (crt, key))


def postbox_tls(crt, key):
    return "O ServerCertFile=%s\nO ServerKeyFile=%s\n" % (crt, key)


def stop_postfix(cfg):
    """postfix stop; a master that does not go within 60 s (one seen
    blocked writing to a dead postlogd) is killed by its pid file."""
    try:
        subprocess.run(["postfix", "-c", cfg, "stop"], capture_output=True,
                       env=dict(os.environ, MAIL_CONFIG=cfg), timeout=60)
    except subprocess.TimeoutExpired:
        try:
            with open(os.path.dirname(cfg) + "/pq/pid/master.pid") as f:
                os.kill(int(f.read().split()[0]), 9)
        except (OSError, ValueError, IndexError):
            pass


def count_files(d):
    try:
        return len(os.listdir(d))
    except OSError:
        return 0


def bench_tls():
    """STARTTLS handshakes per second and accept latency, postbox smtpd
    beside Postfix with the same certificates; relay throughput postbox ->
    postbox over STARTTLS beside Postfix -> smtp-sink."""
    if os.geteuid() != 0:
        print("tls: needs root (private daemons, privilege drop)")
        return
    # BENCH_TLS_POSTFIX=0: postbox alone, Postfix neither installed nor run
    want_pf = os.environ.get("BENCH_TLS_POSTFIX", "1") != "0"
    if want_pf and not shutil.which("smtp-source"):
        pd = tempfile.mkdtemp(prefix="bench-pf-")
        postfix_private(pd)
        shutil.rmtree(pd, ignore_errors=True)
    have_pf = want_pf and bool(shutil.which("smtp-source")) and \
        os.path.exists("/etc/postfix/master.cf")
    n = int(os.environ.get("BENCH_TLS_N", "400"))
    workers = int(os.environ.get("BENCH_TLS_WORKERS", "4"))
    lat_n = int(os.environ.get("BENCH_N", "200"))
    rounds = max(RUNS, 3)
    cd = tempfile.mkdtemp(prefix="bench-tls-certs-")
    os.chmod(cd, 0o755)
    certs = tls_certs(cd)
    print("tls: STARTTLS handshakes/s (%d, %d client processes, full and "
          "resumed (the session of one full handshake per client process); median of %d rounds, the servers taking turns) and accept "
          "latency (%d sequential smtplib sessions with starttls(), 1 KiB)"
          % (n, workers, rounds, lat_n))
    for name, (crt, key) in certs.items():
        # All three servers up at once, measured in turn, round after
        # round, so that the machine's noise falls on each alike: postbox,
        # Postfix as installed (TLS 1.3 with OpenSSL) and Postfix pinned
        # to TLS 1.2 as postbox speaks it; the ratios use the latter.
        # (With TLS 1.3, each smtplib transaction to Postfix waits ~40 ms,
        # a delayed ACK's time; not with TLS 1.2, not in plaintext, nor
        # without session tickets.)
        servers, stops, dirs = {}, [], []
        try:
            d = tempfile.mkdtemp(prefix="bench-tls-pb-")
            dirs.append(d)
            port = free_port()
            p, _ = postbox_smtpd(d, port, postbox_tls(crt, key))
            stops.append(lambda p=p: (p.terminate(), p.wait(30)))
            servers["postbox"] = port
            # Postfix with its session cache (and TLS 1.2 tickets), for
            # the resumed handshakes
            for who, extra in (("postfix", ""), ("postfix/1.2",
                               "smtpd_tls_protocols = >=TLSv1.2, "
                               "<=TLSv1.2\n"), ("postfix/1.2+cache",
                               "smtpd_tls_protocols = >=TLSv1.2, "
                               "<=TLSv1.2\nsmtpd_tls_session_cache_"
                               "database = btree:${data_directory}/"
                               "smtpd_scache\nsmtpd_tls_session_cache_"
                               "timeout = 300s\n")):
                if not have_pf:
                    break
                d2 = tempfile.mkdtemp(prefix="bench-tls-pf-")
                dirs.append(d2)
                port2 = free_port()
                try:
                    cfg, _ = postfix_instance(d2, port2,
                                              postfix_tls(crt, key) + extra)
                except Exception as e:
                    print("  %s: %s" % (who, e))
                    continue
                stops.append(lambda cfg=cfg: stop_postfix(cfg))
                servers[who] = port2
            rates, proto, lat, rrates, rproto = {}, {}, {}, {}, {}
            cpu = {}    # postbox's CPU ms per handshake, full and resumed

            def timed(who, port, resume):
                c0 = tree_cpu(p.pid) if who == "postbox" else 0
                r = tls_rate(port, n, workers, resume)
                if who == "postbox":
                    time.sleep(0.3)     # the last sessions reaped
                    cpu.setdefault(resume, []).append(
                        (tree_cpu(p.pid) - c0) * 1e3 / n)
                return r
            for _ in range(rounds):
                for who, port in servers.items():
                    if who != "postfix/1.2+cache":
                        r, proto[who] = timed(who, port, False)
                        rates.setdefault(who, []).append(r)
                    if who in ("postbox", "postfix/1.2+cache"):
                        r, rproto[who] = timed(who, port, True)
                        rrates.setdefault(who, []).append(r)
            for who, port in servers.items():
                if who != "postfix/1.2+cache":
                    lat[who] = tls_latency(port, lat_n)
        finally:
            for stop in stops:
                stop()
            for d in dirs:
                shutil.rmtree(d, ignore_errors=True)
        rate = {who: statistics.median(v) for who, v in rates.items()}
        rrate = {who: statistics.median(v) for who, v in rrates.items()}
        print("  postbox     %-11s CPU per handshake: full %.2f ms, "
              "resumed %.2f ms (the daemon's tree)" % (
                  name, statistics.median(cpu[False]),
                  statistics.median(cpu[True])))
        for who in rrate:
            print("  %-17s %-11s %5.0f resumed handshakes/s  (%s)" % (
                who, name, rrate[who], rproto[who]))
        if "postfix/1.2+cache" in rrate:
            print("  ratio postbox/(postfix TLS 1.2, session cache) %s: "
                  "resumed handshakes %.2fx" % (name, rrate["postbox"] /
                                                rrate["postfix/1.2+cache"]))
        for who in lat:
            print("  %-11s %-11s %5.0f handshakes/s  latency p50 %6.2f ms "
                  "p90 %6.2f ms  (%s)" % (who, name, rate[who],
                                          pct(lat[who], .5) * 1e3,
                                          pct(lat[who], .9) * 1e3,
                                          proto[who]))
        if "postfix/1.2" in rate:
            goal = "0.5" if name.startswith("RSA") else "1.0"
            print("  ratio postbox/(postfix TLS 1.2) %s: handshakes %.2fx "
                  "(goal >= %s), latency p50 %.2fx" % (
                      name, rate["postbox"] / rate["postfix/1.2"], goal,
                      pct(lat["postbox"], .5) / pct(lat["postfix/1.2"], .5)))
    if have_pf:
        bench_tls_relay(certs["RSA-2048"])
    shutil.rmtree(cd, ignore_errors=True)


def pf_relay(n, sessions, to_port, done):
    """smtp-source -> a private Postfix relaying everything to
    127.0.0.1:to_port (STARTTLS when offered); (accept s, total s)
    until done() is true."""
    d = tempfile.mkdtemp(prefix="bench-relay-pf-")
    port = free_port()
    try:
        cfg, _ = postfix_instance(d, port, PF_NOLOG + (
            "default_transport = smtp\nrelay_transport = smtp\n"
            "relayhost = [127.0.0.1]:%d\nsmtp_tls_security_level = may\n"
            % to_port))
        try:
            t0 = time.perf_counter()
            subprocess.run(["smtp-source", "-c", "-l", "1024", "-m", str(n),
                            "-s", str(sessions), "-f", "bench@localhost",
                            "-t", "nobody@relay.test",
                            "127.0.0.1:%d" % port],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300)
            acc = time.perf_counter() - t0
            e2e = wait_for(done, 300)
        finally:
            stop_postfix(cfg)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return acc, acc + (e2e if e2e is not None else 600)


def postbox_b(cert):
    """postbox B: STARTTLS with cert, relay.test local."""
    db = tempfile.mkdtemp(prefix="bench-relay-b-")
    port = free_port()
    b, mbox = postbox_smtpd(db, port, postbox_tls(*cert) + "Cwrelay.test\n")
    return db, port, b, mbox


def tls_sessions(d):
    with open(d + "/smtpd.log", errors="replace") as f:
        return sum(1 for line in f if "STARTTLS=server" in line)


def bench_tls_relay(cert):
    """smtp-source -> postbox A -> (STARTTLS, mailertable) -> postbox B,
    until all are in B's mailbox; Postfix -> postbox B and Postfix ->
    smtp-sink beside it."""
    n = int(os.environ.get("BENCH_RELAY", "1000"))
    sessions = 10
    print("tls relay: %d x 1 KiB messages, smtp-source -s %d, relayed over "
          "loopback (STARTTLS with RSA-2048 where offered), end to end" %
          (n, sessions))
    db, pb_port, b, mbox = postbox_b(cert)
    da = tempfile.mkdtemp(prefix="bench-relay-a-")
    pa_port = free_port()
    with open(da + "/mailertable", "w") as f:
        f.write("relay.test smtp:[127.0.0.1]:%d\n" % pb_port)
    subprocess.run([POSTBOX, "makemap", "hash", da + "/mailertable"],
                   stdin=open(da + "/mailertable"), check=True)
    a, _ = postbox_smtpd(da, pa_port,
                         "Kmailertable hash %s/mailertable\n" % da)
    try:
        t0 = time.perf_counter()
        subprocess.run(["smtp-source", "-c", "-l", "1024", "-m", str(n),
                        "-s", str(sessions), "-f", "bench@localhost", "-t",
                        "nobody@relay.test", "127.0.0.1:%d" % pa_port],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=600)
        acc = time.perf_counter() - t0
        e2e = wait_for(lambda: count_mbox(mbox) >= n, 600)
        got = count_mbox(mbox)
    finally:
        for p in (a, b):
            p.terminate()
            p.wait(30)
    tot = acc + (e2e if e2e is not None else 600)
    print("  postbox -> postbox   accept %6.0f msg/s  end-to-end %6.0f msg/s"
          "  (%d delivered, %d TLS sessions at B)" % (
              n / acc, n / tot, got, tls_sessions(db)))
    for d in (da, db):
        shutil.rmtree(d, ignore_errors=True)
    # Postfix sending to the same postbox B: the receiving side alike
    db, pb_port, b, mbox = postbox_b(cert)
    try:
        acc2, tot2 = pf_relay(n, sessions, pb_port,
                              lambda: count_mbox(mbox) >= n)
        print("  postfix -> postbox   accept %6.0f msg/s  end-to-end %6.0f "
              "msg/s  (%d delivered, %d TLS sessions at B)" % (
                  n / acc2, n / tot2, count_mbox(mbox), tls_sessions(db)))
        print("  ratio (postbox -> postbox)/(postfix -> postbox) "
              "end-to-end: %.2fx" % (tot2 / tot))
    except Exception as e:
        print("  postfix -> postbox: %s" % e)
    finally:
        b.terminate()
        b.wait(30)
        shutil.rmtree(db, ignore_errors=True)
    # Postfix -> smtp-sink: the sending side's ceiling (no TLS there)
    d = tempfile.mkdtemp(prefix="bench-relay-sink-")
    os.chmod(d, 0o755)         # smtp-sink writes as nobody
    sink_dir = d + "/sink"
    os.makedirs(sink_dir)
    shutil.chown(sink_dir, "nobody")
    sink_port = free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "nobody", "-d",
                             sink_dir + "/%M.", "127.0.0.1:%d" % sink_port,
                             "256"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        acc3, tot3 = pf_relay(n, sessions, sink_port,
                              lambda: count_files(sink_dir) >= n)
        print("  postfix -> smtp-sink accept %6.0f msg/s  end-to-end %6.0f "
              "msg/s  (%d received; smtp-sink has no TLS)" % (
                  n / acc3, n / tot3, count_files(sink_dir)))
        print("  ratio (postbox -> postbox)/(postfix -> smtp-sink) "
              "end-to-end: %.2fx" % (tot3 / tot))
    except Exception as e:
        print("  postfix -> smtp-sink: %s" % e)
    finally:
        sink.terminate()
        sink.wait(30)
        shutil.rmtree(d, ignore_errors=True)
# --- pop3d -------------------------------------------------------------------

POP3_MSGS = int(os.environ.get("BENCH_POP3_MSGS", "10000"))
POP3_SESSIONS = 50


def pop3_message(i):
    """About 7 KB: a header and 90 lines of text, some of them starting
    with '.' (dot-stuffed on the wire) or "From " (quoted in an mbox)."""
    words = ("postbox", "mailbox", "message", "relay", "queue", "deliver",
             "header", "server", "client", "session", "folder", "address")
    head = ("Return-Path: <sender%d@example.org>\n"
            "Received: from client.example.org (client [192.0.2.%d])\n"
            "\tby bench.localdomain with ESMTP id Q%08d\n"
            "\tfor <bench@localhost>; Mon, 23 Nov 2026 10:00:00 +0000\n"
            "From: Sender %d <sender%d@example.org>\n"
            "To: bench@localhost\n"
            "Subject: benchmark message %d\n"
            "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
            "Message-ID: <%d.bench@example.org>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=us-ascii\n\n" %
            (i, i % 250, i, i, i, i, i))
    lines = []
    for k in range(90):
        if k % 30 == 7:
            lines.append(".a line with a leading dot")
        elif k % 45 == 11:
            lines.append("From the desk of sender %d" % i)
        else:
            w = [words[(i + k * 7 + j * 3) % len(words)] for j in range(9)]
            lines.append(" ".join(w) + " %08d %04d" % (i, k))
    return (head + "\n".join(lines) + "\n").encode()


def pop3_make_mailboxes(d, n):
    """One mbox and one Maildir holding the same N messages."""
    os.makedirs(d + "/Maildir/new")
    os.makedirs(d + "/Maildir/cur")
    os.makedirs(d + "/Maildir/tmp")
    total = 0
    with open(d + "/mbox", "wb") as mb:
        for i in range(n):
            m = pop3_message(i)
            total += len(m)
            mb.write(b"From sender%d@example.org Mon Nov 23 10:00:00 2026\n"
                     % i)
            mb.write(m.replace(b"\nFrom ", b"\n>From ") + b"\n")
            with open(d + "/Maildir/cur/%d.M%dP1.bench,S=%d:2," %
                      (1700000000 + i, i, len(m)), "wb") as f:
                f.write(m)
    return total


def pop3_install(src, dst, kind, owner=65534):
    """A copy of the mbox or the Maildir for one server, owned by OWNER."""
    if kind == "mbox":
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(src + "/mbox", dst)
    else:
        shutil.copytree(src + "/Maildir", dst)
    for root, dirs, files in os.walk(os.path.dirname(dst)):
        os.chown(root, owner, owner)
        for f in files:
            os.chown(os.path.join(root, f), owner, owner)


class Pop3Client:
    """A raw-socket POP3 client: login, then every RETR pipelined with a
    window, counting the "CRLF.CRLF" ends (the body is dot-stuffed, so no
    other sequence can look like one)."""

    def __init__(self, port):
        import socket
        self.s = socket.create_connection(("127.0.0.1", port), 60)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.line()

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise RuntimeError("connection closed")
            self.buf += data
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def cmd(self, c):
        self.s.sendall(c.encode() + b"\r\n")
        r = self.line()
        if not r.startswith(b"+OK"):
            raise RuntimeError("%s: %s" % (c.split()[0], r.decode()))
        return r

    def login(self, user, pw):
        self.cmd("USER " + user)
        self.cmd("PASS " + pw)

    def retr_all(self, window=64):
        n = int(self.cmd("STAT").split()[1])
        sent = done = 0
        got = 0
        if self.buf:
            raise RuntimeError("unexpected data after STAT")
        tail = b""
        while done < n:
            if sent < n and sent - done < window // 2:
                k = min(n, done + window)
                self.s.sendall(b"".join(b"RETR %d\r\n" % (j + 1)
                                        for j in range(sent, k)))
                sent = k
            chunk = tail + self.s.recv(1 << 20)
            if len(chunk) <= len(tail):
                raise RuntimeError("connection closed after %d" % done)
            got += len(chunk) - len(tail)
            done += chunk.count(b"\r\n.\r\n")
            tail = chunk[-4:]
        return n, got

    def quit(self):
        self.cmd("QUIT")
        self.s.close()


def wait_port(port, limit=20):
    import socket

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            return False
    return wait_for(up, limit) is not None


def postbox_pop3d(d, port, kind):
    """A private pop3d: users "bench" and u1..u50 (nobody's uid)."""
    cf = d + "/sendmail.cf"
    loc = "mbox:%s/mail/%%u" % d if kind == "mbox" else \
        "maildir:%s/home/%%u/Maildir" % d
    with open(d + "/vusers", "w") as f:
        for u in ["bench"] + ["u%d" % i for i in range(1, 51)]:
            f.write("%s:{PLAIN}pw:65534:65534::%s/home/%s\n" % (u, d, u))
    with open(cf, "w") as f:
        f.write("O PostboxMailbox=%s\nO PostboxVirtualUsers=%s/vusers\n"
                "O AuthOptions=y\nO MaxDaemonChildren=0\n"
                "O PostboxPop3PortOptions=Port=%d, Addr=127.0.0.1\n" %
                (loc, d, port))
    p = subprocess.Popen([POSTBOX, "pop3d", "-C", cf],
                         stderr=open(d + "/pop3d.log", "w"))
    if not wait_port(port):
        p.terminate()
        raise RuntimeError("postbox pop3d did not start: " +
                           open(d + "/pop3d.log").read()[-300:])
    return p


def dovecot_pop3d(d, port, kind):
    """A private Dovecot (BENCH.md): its own config folder and base_dir,
    static passdb and userdb (nobody), foreground, stopped by PID."""
    # the package must not start its system service: a policy-rc.d that
    # says 101 ("action forbidden") for the install, unless one exists
    rcd = "/usr/sbin/policy-rc.d"
    made = False
    if not os.path.exists(rcd):
        with open(rcd, "w") as f:
            f.write("#!/bin/sh\n# bench.py: no service starts\nexit 101\n")
        os.chmod(rcd, 0o755)
        made = True
    try:
        ok = apt_install("dovecot-core", "dovecot-pop3d")
    finally:
        if made:
            os.unlink(rcd)
    if not ok:
        raise RuntimeError("dovecot-core/dovecot-pop3d not installable")
    # and it stays off: disabled, and stopped should anything have
    # started it (only the private instance below runs)
    subprocess.run(["update-rc.d", "dovecot", "disable"],
                   capture_output=True)
    if shutil.which("systemctl") and os.path.isdir("/run/systemd/system"):
        subprocess.run(["systemctl", "disable", "--now", "dovecot"],
                       capture_output=True)
    elif os.path.exists("/run/dovecot/master.pid"):
        subprocess.run(["service", "dovecot", "stop"], capture_output=True)
    loc = "mbox:~/mail:INBOX=%s/mail/%%n" % d if kind == "mbox" else \
        "maildir:~/Maildir"
    for sub in ("run", "state"):
        os.makedirs(d + "/" + sub, exist_ok=True)
    conf = d + "/dovecot.conf"
    with open(conf, "w") as f:
        f.write("""protocols = pop3
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = bench-pop3d
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = {loc}
mbox_write_locks = fcntl
pop3_uidl_format = %08Xu%08Xv
mail_max_userip_connections = 100
passdb {{
  driver = static
  args = password=pw
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/home/%n
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""".format(d=d, loc=loc, port=port))
    p = subprocess.Popen(["dovecot", "-F", "-c", conf],
                         stdout=subprocess.DEVNULL,
                         stderr=open(d + "/dovecot.err", "w"))
    if not wait_port(port):
        p.terminate()
        p.wait(20)
        raise RuntimeError("dovecot did not start: " +
                           open(d + "/dovecot.err").read()[-300:])
    return p


def pop3_stop(p):
    p.terminate()
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(10)


def pop3_retr_run(port, pid):
    """One session: login, RETR of every message, QUIT.  Wall seconds,
    the server tree's CPU seconds, messages, bytes received."""
    c0 = tree_cpu(pid)
    t0 = time.perf_counter()
    c = Pop3Client(port)
    c.login("bench", "pw")
    n, got = c.retr_all()
    c.quit()
    wall = time.perf_counter() - t0
    time.sleep(0.2)            # let the session end and be reaped
    return wall, tree_cpu(pid) - c0, n, got


def pop3_pss(port, pid):
    """PSS of the server tree idle, then with POP3_SESSIONS logged in."""
    time.sleep(0.5)
    idle = tree_pss(pid)
    clients = []
    try:
        for i in range(1, POP3_SESSIONS + 1):
            c = Pop3Client(port)
            c.login("u%d" % i, "pw")
            c.cmd("STAT")
            clients.append(c)
        time.sleep(1.0)
        busy = tree_pss(pid)
    finally:
        for c in clients:
            try:
                c.quit()
            except Exception:
                pass
    return idle, busy


def bench_pop3d():
    """RETR of every message of a 10,000-message mailbox (mbox and
    Maildir) against a private Dovecot, and PSS per logged-in session."""
    if os.geteuid() != 0:
        print("pop3d: needs root (private daemons, privilege drop)")
        return
    n = POP3_MSGS
    src = tempfile.mkdtemp(prefix="bench-pop3d-")
    os.chmod(src, 0o755)
    try:
        total = pop3_make_mailboxes(src + "/gen", n)
        print("pop3d: RETR of all %d messages (%.1f MB), one session, "
              "pipelined raw-socket client; median of %d after a warm-up" %
              (n, total / 1e6, RUNS))
        for kind in ("maildir", "mbox"):
            # both servers up at once, runs interleaved: a shared
            # machine's load shifts alike for both
            srv = {}
            try:
                for name, start in (("postbox", postbox_pop3d),
                                    ("dovecot", dovecot_pop3d)):
                    d = os.path.join(src, name + "-" + kind)
                    os.makedirs(d)
                    os.chmod(d, 0o755)
                    if kind == "mbox":
                        pop3_install(src + "/gen", d + "/mail/bench", "mbox")
                    else:
                        pop3_install(src + "/gen",
                                     d + "/home/bench/Maildir", "maildir")
                    os.makedirs(d + "/home/bench", exist_ok=True)
                    os.chown(d + "/home", 65534, 65534)
                    os.chown(d + "/home/bench", 65534, 65534)
                    port = free_port()
                    try:
                        p = start(d, port, kind)
                    except Exception as e:
                        print("  %s %s: %s" % (name, kind, e))
                        continue
                    srv[name] = (p, port, [])
                    pop3_retr_run(port, p.pid)     # warm-up: index, cache
                for _ in range(RUNS):
                    for name, (p, port, runs) in srv.items():
                        runs.append(pop3_retr_run(port, p.pid))
            finally:
                for p, port, runs in srv.values():
                    pop3_stop(p)
            res = {}
            for name, (p, port, runs) in srv.items():
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                res[name] = (wall, cpu)
                print("  %-8s %-7s %7.3f s  %6.1f MB/s  server %5.1f us "
                      "CPU/msg  (%d msgs, %.1f MB received)" %
                      (name, kind, wall, runs[0][3] / wall / 1e6,
                       cpu * 1e6 / n, runs[0][2], runs[0][3] / 1e6))
            if len(res) == 2:
                print("  ratio postbox/dovecot %s: %.2fx time (goal <= 0.5), "
                      "%.2fx server CPU" % (kind, res["postbox"][0] /
                                            res["dovecot"][0],
                                            res["postbox"][1] /
                                            max(res["dovecot"][1], 1e-9)))
        # memory: 50 users with 20 small messages each
        print("pop3d: PSS per logged-in session (%d sessions, Maildir of "
              "20 messages each, summed over the server's process tree)" %
              POP3_SESSIONS)
        per = {}
        for name, start in (("postbox", postbox_pop3d),
                            ("dovecot", dovecot_pop3d)):
            d = os.path.join(src, name + "-pss")
            os.makedirs(d)
            os.chmod(d, 0o755)
            for i in range(1, POP3_SESSIONS + 1):
                md = "%s/home/u%d/Maildir" % (d, i)
                for sub in ("new", "cur", "tmp"):
                    os.makedirs(md + "/" + sub)
                for j in range(20):
                    with open("%s/cur/%d.M%dP1.pss:2," % (md, 1700000000 + j,
                                                           j), "wb") as f:
                        f.write(pop3_message(j)[:2000])
            for root, dirs, files in os.walk(d + "/home"):
                os.chown(root, 65534, 65534)
                for f in files:
                    os.chown(os.path.join(root, f), 65534, 65534)
            os.makedirs(d + "/home/bench", exist_ok=True)
            os.chown(d + "/home/bench", 65534, 65534)
            port = free_port()
            try:
                p = start(d, port, "maildir")
            except Exception as e:
                print("  %s: %s" % (name, e))
                continue
            try:
                c = Pop3Client(port)      # warm-up: auth processes start
                c.login("u1", "pw")
                c.quit()
                idle, busy = pop3_pss(port, p.pid)
            finally:
                pop3_stop(p)
            per[name] = (busy - idle) / POP3_SESSIONS
            print("  %-8s idle %7d KB, %d logged in %7d KB: +%5.0f KB per "
                  "session" % (name, idle, POP3_SESSIONS, busy, per[name]))
        if "postbox" in per:
            print("  postbox per session: %.0f KB (goal <= 200)%s" % (
                per["postbox"], "; dovecot %.0f KB" % per["dovecot"]
                if "dovecot" in per else ""))
    finally:
        shutil.rmtree(src, ignore_errors=True)


SECTIONS = {"makemap": bench_makemap, "sendmail": bench_sendmail,
            "m4": bench_m4, "smtpd": bench_smtpd, "mail": bench_mail,
            "local": bench_local, "pop3d": bench_pop3d, "tls": bench_tls}


def main(argv):
    if not os.path.exists(POSTBOX):
        subprocess.run(["make", "-C", SRC, "-s"], check=True)
    names = argv[1:] or list(SECTIONS)
    print("postbox bench: %s, %d cores, %s" % (
        time.strftime("%Y-%m-%d"), os.cpu_count(),
        subprocess.run(["uname", "-m"], capture_output=True,
                       text=True).stdout.strip()))
    for n in names:
        if n not in SECTIONS:
            print("bench: no section %s (have: %s)" % (n, " ".join(SECTIONS)))
            return 2
        try:
            SECTIONS[n]()
        except Exception as e:  # a peer that fails is reported, not fatal
            print("  %s: failed: %s" % (n, e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
