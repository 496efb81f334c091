#!/usr/bin/python3
"""test_dashboard.py WORKER ORCA SCHEMA SCREENSHOT: `orca dashboard` as an
operator uses it. The JSON API's refusals (wrong or missing token, bad id,
bad state, unknown action, actions when read-only, forged requests, a
foreign Host), then the page in headless Chromium through Selenium: sign in,
see a queue's depth change after enqueues, open a dead task, retry it from
the page and see it succeed, pause a schedule; a screenshot is saved."""
import json
import os
import re
import subprocess
import sys

from opslib import Procs, check, http, main, read_line, run, wait_for

WORKER, ORCA, SCHEMA, SHOT = sys.argv[1:5]
TOKEN = "t0ken-for-the-ops-test-7c1d"


def start_dashboard(procs, db, *extra):
    p = procs.start([ORCA, "dashboard", "--backend", db, "--listen", "127.0.0.1:0",
                     "--schema", SCHEMA, *extra])
    line = read_line(p.stdout, "the dashboard's address")
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    check(m, f"dashboard said: {line!r}")
    return p, f"http://127.0.0.1:{m.group(1)}"


def enqueue(db, task, args):
    return run([ORCA, "enqueue", "--backend", db, "--schema", SCHEMA, task,
                json.dumps(args)]).stdout.strip()


def api_checks(procs, db, url, ro_url):
    auth = {"Authorization": "Bearer " + TOKEN}
    post = dict(auth, **{"X-Orca-Request": "1"})
    cases = [
        ("no token", http(url + "/api/info"), 401),
        ("wrong token", http(url + "/api/info", headers={"Authorization": "Bearer nope"}), 401),
        ("the token", http(url + "/api/info", headers=auth), 200),
        ("the page needs no token", http(url + "/"), 200),
        ("bad id", http(url + "/api/tasks/a%20b", headers=auth), 400),
        ("unknown id", http(url + "/api/tasks/01NOSUCHTASK", headers=auth), 404),
        ("bad state", http(url + "/api/tasks?state=done", headers=auth), 400),
        ("bad limit", http(url + "/api/dlq?limit=-1", headers=auth), 400),
        ("unknown action", http(url + "/api/tasks/01X/explode", body={}, headers=post), 404),
        ("GET on an action", http(url + "/api/tasks/01X/cancel", headers=auth), 405),
        ("unknown path", http(url + "/api/nothing", headers=auth), 404),
        ("bad body", http(url + "/api/dlq/requeue", body=b"{", headers=post), 400),
        ("neither ids nor all", http(url + "/api/dlq/requeue", body={"x": 1}, headers=post), 400),
        ("no X-Orca-Request", http(url + "/api/dlq/requeue", body={"all": True},
                                   headers=auth), 403),
        ("a form post", http(url + "/api/dlq/purge", body=b"all=true", headers=dict(
            post, **{"Content-Type": "application/x-www-form-urlencoded"})), 403),
        ("another site", http(url + "/api/dlq/purge", body={"all": True}, headers=dict(
            post, Origin="http://evil.example")), 403),
        ("a foreign Host", http(url + "/api/info", headers=dict(auth, Host="evil.example")), 421),
        ("read-only", http(ro_url + "/api/dlq/requeue", body={"all": True},
                           headers={"X-Orca-Request": "1"}), 403),
        ("read-only cancel", http(ro_url + "/api/tasks/01X/cancel", body={},
                                  headers={"X-Orca-Request": "1"}), 403),
        ("read-only reads", http(ro_url + "/api/queues"), 200),
    ]
    for what, (status, body), want in cases:
        check(status == want, f"{what}: {status} {body}, expected {want}")
        if status >= 400 and body.startswith("{"):
            check("error" in json.loads(body), f"{what}: no error member in {body}")
    # Refusals at start, and the CLI's errors as JSON lines.
    r = run([ORCA, "dashboard", "--backend", db, "--listen", "nowhere"], check_rc=False)
    check(r.returncode == 2 and "--listen 'nowhere': expected HOST:PORT" in r.stderr,
          f"a bad --listen: {r.returncode} {r.stderr}")
    r = run([ORCA, "dashboard", "--backend", db, "--listen", "0.0.0.0:0", "--allow-actions"],
            check_rc=False)
    check(r.returncode == 2 and "need a token (--auth-file)" in r.stderr,
          f"actions on a public address without a token: {r.returncode} {r.stderr}")
    r = run([ORCA, "inspect", "--backend", db, "--log-format", "json", "01NOSUCHTASK"],
            check_rc=False)
    line = json.loads(r.stderr)
    check(r.returncode == 1 and line["level"] == "error" and "no task 01NOSUCHTASK" in
          line["message"], f"orca --log-format json: {r.returncode} {r.stderr}")
    # A missing id in a list of dead ones is reported, not an error.
    status, body = http(url + "/api/dlq/purge", body={"ids": ["01NOSUCHTASK"]}, headers=post)
    check(status == 200 and json.loads(body) == {"count": 0, "missing": ["01NOSUCHTASK"]}, body)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,1000", "--no-proxy-server"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def text(drv, css):
    """The text of the first element css selects; None when there is none
    (the page re-renders its tables every 2 s: an element may go stale)."""
    from selenium.common.exceptions import StaleElementReferenceException
    for _ in range(5):
        try:
            els = drv.find_elements("css selector", css)
            return els[0].text if els else None
        except StaleElementReferenceException:
            continue
    return None


def click(drv, css):
    """Click the element css selects, again if a re-render replaced it."""
    from selenium.common.exceptions import StaleElementReferenceException

    def once():
        try:
            drv.find_element("css selector", css).click()
            return True
        except StaleElementReferenceException:
            return False
    wait_for(f"a click on {css}", once)


def test_all():
    with Procs() as procs:
        db = "sqlite:" + os.path.join(procs.dir, "ops.db")
        flag = os.path.join(procs.dir, "fail-notify")
        tok = os.path.join(procs.dir, "token")
        fd = os.open(tok, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, (TOKEN + "\n").encode())
        os.close(fd)
        enqueue(db, "shop.ping", {})  # the queue exists before the page opens
        dash, url = start_dashboard(procs, db, "--allow-actions", "--auth-file", tok)
        ro, ro_url = start_dashboard(procs, db)
        api_checks(procs, db, url, ro_url)

        drv = browser()
        try:
            drv.get(url + "/")
            drv.find_element("id", "token").send_keys(TOKEN)
            drv.find_element("id", "login-go").click()
            cell = 'tr[data-queue="default"] td.pending'
            wait_for("the default queue's row", lambda: text(drv, cell) == "1")
            for _ in range(3):
                enqueue(db, "shop.ping", {})
            wait_for("the page to show 4 pending", lambda: text(drv, cell) == "4", timeout=10)

            # A worker runs them; shop.notify fails while the switch is on.
            open(flag, "w").close()
            dead = enqueue(db, "shop.notify", {"to": "c@shop.example", "body": "receipt"})
            worker = procs.start([WORKER, "--backend", db, "--concurrency", "2"],
                                 env={"ORCA_OPS_FAIL_FILE": flag}, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            row = f'#dlq tr[data-id="{dead}"] a.id'
            wait_for("the dead task in the page", lambda: drv.find_elements("css selector", row),
                     timeout=15)
            click(drv, row)
            wait_for("the task's record", lambda: text(drv, "#task-fields dd.state") == "dead")
            check('"to": "c@shop.example"' in text(drv, "#task-args"), "typed arguments shown")
            check("bounced" in text(drv, "#task-error"), "the error shown")
            os.unlink(flag)
            click(drv, "#task-retry")
            wait_for("the retried task to succeed",
                     lambda: text(drv, "#task-fields dd.state") == "succeeded", timeout=15)
            check(text(drv, 'tr[data-queue="default"] td.dead') == "0", "no dead task left")

            # Pause a schedule from the page.
            click(drv, "#task-close")
            pause = '#schedules tr[data-name="shop.heartbeat"] button.pause'
            wait_for("the heartbeat schedule", lambda: drv.find_elements("css selector", pause))
            click(drv, pause)
            wait_for("the schedule paused", lambda: text(
                drv, '#schedules tr[data-name="shop.heartbeat"] td.state') == "paused")
            drv.save_screenshot(SHOT)
            print(f"screenshot: {SHOT}")
        finally:
            drv.quit()
        for p in (worker, dash, ro):
            check(procs.stop(p) == 0, f"{p.args[:2]} exits 0 on SIGTERM")
        out = dash.stdout.read() + dash.stderr.read()
        check(TOKEN not in out, "the token never appears in the dashboard's output")
        check("requeued dead task " + dead in out, f"the action is logged: {out}")


main([("dashboard", test_all)])
