#!/usr/bin/python3
"""test_metrics.py WORKER ORCA SCHEMA: two workers with --metrics and
--log-format json on one SQLite backend. Their /metrics pass
`promtool check metrics`, count what they ran, a real Prometheus scrapes both
and answers a query on orca_tasks_succeeded_total, and the HTTP server keeps
answering while slow and garbage clients hold connections."""
import json
import os
import re
import socket
import subprocess
import sys
import time

from opslib import Procs, check, free_port, http, main, read_line, run, wait_for

WORKER, ORCA, SCHEMA = sys.argv[1:4]
PINGS = 8
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def parse(text):
    """{(name, frozenset(labels)): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        check(m, f"not a sample line: {line!r}")
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def total(samples, name, **want):
    return sum(v for (n, labels), v in samples.items()
               if n == name and all((k, w) in labels for k, w in want.items()))


class World:
    def __init__(self, procs):
        self.p = procs
        self.db = "sqlite:" + os.path.join(procs.dir, "ops.db")
        self.flag = os.path.join(procs.dir, "fail-notify")
        self.workers = []  # (process, port, stderr lines)

    def start_worker(self, wid):
        # --no-schedules: the schema's heartbeat (shop.ping every 15 s) would
        # add pings to the exact counts; the run-time schedule ops.tick still
        # fires for the TimeKeeper's metrics.
        p = self.p.start([WORKER, "--backend", self.db, "--metrics", "127.0.0.1:0",
                          "--log-format", "json", "--concurrency", "2", "--id", wid,
                          "--no-schedules"],
                         env={"ORCA_OPS_FAIL_FILE": self.flag})
        lines = []
        port = None
        while port is None:
            line = read_line(p.stderr, f"worker {wid}'s metrics address")
            lines.append(line)
            rec = json.loads(line)  # every line is one JSON object
            m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", rec["message"])
            port = int(m.group(1)) if m else None
        self.workers.append((p, port, lines))
        return port

    def enqueue(self, task, args):
        return run([ORCA, "enqueue", "--backend", self.db, "--schema", SCHEMA, task,
                    json.dumps(args)]).stdout.strip()

    def scrape(self, port):
        status, body = http(f"http://127.0.0.1:{port}/metrics")
        check(status == 200, f"GET /metrics: {status}")
        return body


def test_all():
    with Procs() as procs:
        w = World(procs)
        open(w.flag, "w").close()
        # A schedule firing every second, for the TimeKeeper's metrics.
        run([ORCA, "schedules", "add", "ops.tick", "shop.price", "--backend", w.db, "--schema",
             SCHEMA, "--every", "1s", "--args", '{"sku": "tick"}'])
        ports = [w.start_worker("ops-a"), w.start_worker("ops-b")]
        # An address in use stops a worker at start; a bad one is a usage error.
        r = run([WORKER, "--backend", w.db, "--metrics", f"127.0.0.1:{ports[0]}"],
                check_rc=False)
        check(r.returncode == 1 and "--metrics" in r.stderr and "cannot listen" in r.stderr,
              f"a worker on a port in use: exit {r.returncode}: {r.stderr}")
        r = run([WORKER, "--metrics", "127.0.0.1"], check_rc=False)
        check(r.returncode == 2 and "--metrics '127.0.0.1': expected HOST:PORT" in r.stderr,
              f"a bad --metrics: exit {r.returncode}: {r.stderr}")
        for i in range(PINGS):
            w.enqueue("shop.ping", {})
        dead_id = w.enqueue("shop.notify", {"to": "a@shop.example", "body": "hello"})

        def done():
            s = [parse(w.scrape(p)) for p in ports]
            ok = sum(total(x, "orca_tasks_succeeded_total", task="shop.ping") for x in s)
            dead = sum(total(x, "orca_tasks_dead_total", task="shop.notify") for x in s)
            fires = sum(total(x, "orca_timekeeper_fire_lateness_seconds_count") for x in s)
            return s if ok == PINGS and dead == 1 and fires >= 1 else None
        samples = wait_for("every ping succeeded, the notify dead, a schedule fired", done)
        fires = sum(total(s, "orca_timekeeper_fires_total") for s in samples)
        check(fires >= 1, f"orca_timekeeper_fires_total {fires}")

        # promtool reads the whole exposition of both workers.
        for p in ports:
            r = subprocess.run(["promtool", "check", "metrics"], input=w.scrape(p),
                               capture_output=True, text=True, timeout=30)
            check(r.returncode == 0, f"promtool check metrics: {r.stdout}{r.stderr}")

        # What the counters say agrees with what happened.
        started = sum(total(s, "orca_tasks_started_total", task=t) for s in samples
                      for t in ("shop.ping", "shop.notify"))
        check(started == PINGS + 1, f"started {started}, expected {PINGS + 1}")
        failed = sum(total(s, "orca_tasks_failed_total", task="shop.notify") for s in samples)
        check(failed == 1, f"failed notify {failed}")
        runs = sum(total(s, "orca_task_run_duration_seconds_count", task="shop.ping")
                   for s in samples)
        check(runs == PINGS, f"run duration count {runs}")
        check(all(total(s, "orca_backend_requests_total", op="complete") >= 1 or
                  total(s, "orca_tasks_started_total") == 0 for s in samples),
              "complete calls were counted")
        hooks = sum(total(s, "orca_hook_calls_total", point="on_error") for s in samples)
        check(hooks == 1, f"on_error hook calls {hooks} (shop.notify's mail.lua)")
        depth = parse(w.scrape(ports[0]))
        check(total(depth, "orca_queue_tasks", queue="default", state="dead") == 1,
              "orca_queue_tasks shows the dead task")
        check(total(depth, "orca_worker_info", worker="ops-a") == 1, "orca_worker_info")

        # A real Prometheus scrapes both workers. Its port comes from the
        # kernel's free ports, which a concurrent test's connection can take
        # before Prometheus binds it: a Prometheus that exits is started again
        # on another port (its log names why).
        cfg = os.path.join(procs.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: orca\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{ports[0]}', '127.0.0.1:{ports[1]}']\n")
        for attempt in range(3):
            prom_port = free_port()
            prom_log = os.path.join(procs.dir, f"prometheus{attempt}.log")
            with open(prom_log, "w") as log:
                prom = procs.start(["prometheus", f"--config.file={cfg}",
                                    f"--storage.tsdb.path={os.path.join(procs.dir, f'tsdb{attempt}')}",
                                    f"--web.listen-address=127.0.0.1:{prom_port}",
                                    "--log.level=warn"],
                                   stdout=subprocess.DEVNULL, stderr=log)

            def ready():
                if prom.poll() is not None:
                    return "exited"
                return "ready" if http(f"http://127.0.0.1:{prom_port}/-/ready")[0] == 200 \
                    else None
            if wait_for("Prometheus to start", ready, timeout=60, every=0.2) == "ready":
                break
            with open(prom_log) as log:
                why = log.read()[-400:]
            check(attempt < 2, f"Prometheus exited three times; last log: {why}")
        query = ("http://127.0.0.1:%d/api/v1/query?query=" % prom_port +
                 "sum+by+(instance)(orca_tasks_succeeded_total%7Btask%3D%22shop.ping%22%7D)")

        def answered():
            status, body = http(query)
            res = json.loads(body)["data"]["result"] if status == 200 else []
            got = sum(float(r["value"][1]) for r in res)
            return res if len(res) == 2 and got == PINGS else None
        res = wait_for("Prometheus to scrape both workers", answered, timeout=60, every=0.3)
        check({r["metric"]["instance"] for r in res} ==
              {f"127.0.0.1:{p}" for p in ports}, f"instances {res}")

        # Slow and garbage clients do not stop the server.
        port = ports[0]
        slow = []
        for i in range(40):  # slowloris: headers that never end
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(s)
        for junk in (b"\x00\xff\xfe garbage\r\n\r\n", b"GET\r\n\r\n",
                     b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n",
                     b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n",
                     b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                try:
                    s.sendall(junk)
                    reply = s.recv(200)
                except OSError:  # the server may close before reading it all
                    reply = b""
                check(not reply or re.match(rb"HTTP/1\.[01] (4\d\d|5\d\d)", reply),
                      f"answer to garbage {junk[:30]!r}: {reply[:60]!r}")
        t0 = time.monotonic()
        status, body = http(f"http://127.0.0.1:{port}/metrics", timeout=5)
        check(status == 200 and "orca_tasks_started_total" in body,
              "a scrape while 40 slow clients hang")
        check(http(f"http://127.0.0.1:{port}/nothing")[0] == 404, "404 for other paths")
        check(http(f"http://127.0.0.1:{port}/metrics", body=b"x")[0] == 405, "405 for POST")
        for s in slow:
            s.close()
        print(f"scrape during slowloris took {time.monotonic() - t0:.3f}s")

        # JSON log lines carry the worker and, on handler threads, the task:
        # shop.notify logs the mail it sends.
        os.unlink(w.flag)
        mail_id = w.enqueue("shop.notify", {"to": "b@shop.example", "body": "hello"})
        wait_for("the second notify to succeed", lambda: sum(
            total(parse(w.scrape(p)), "orca_tasks_succeeded_total", task="shop.notify")
            for p in ports) == 1)
        for p, _, lines in w.workers:
            check(procs.stop(p) == 0, "worker exits 0 on SIGTERM")
            lines += p.stderr.read().splitlines()
        recs = [json.loads(line) for _, _, lines in w.workers for line in lines]
        check(all({"time", "level", "message"} <= r.keys() for r in recs), "log fields")
        ctx = [r for r in recs if r.get("task_id") == mail_id]
        check(ctx and ctx[0]["task"] == "shop.notify" and ctx[0]["queue"] == "default" and
              ctx[0]["worker"] in ("ops-a", "ops-b") and "mail to b@shop.example" in
              ctx[0]["message"], f"the handler's line names its task: {ctx}")
        check(dead_id not in mail_id, "two tasks")


def test_doc_rules():
    """The alert rules of docs/operations.md are valid for promtool."""
    doc = open(os.path.join(os.environ["ORCA_SOURCE_DIR"], "docs", "operations.md")).read()
    m = re.search(r"```yaml\n(# orca-alerts\.yml\n.*?)```", doc, re.S)
    check(m, "docs/operations.md has the orca-alerts.yml block")
    with Procs() as procs:
        path = os.path.join(procs.dir, "orca-alerts.yml")
        with open(path, "w") as f:
            f.write(m.group(1))
        r = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 0 and "SUCCESS: 5 rules found" in r.stdout,
              f"promtool check rules: {r.stdout}{r.stderr}")


main([("metrics", test_all), ("alert rules of docs/operations.md", test_doc_rules)])
