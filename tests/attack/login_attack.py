#!/usr/bin/env python3
"""Login attacks against a running citycard office (SECURITY.md, findings 1-3).

Python 3 standard library only. Sends traffic to the URL given, which must be
an office on this machine (loopback): never point it at anything else.

Steps (each bounded in count and time; pick some with --steps):
  guesses  N wrong passwords at one account at once: how many were checked
           (a 401 is a checked password, a 429 a refusal before the check;
           a 503 "busy" is retried). Finding 2: at most the account limit.
  logins   N right-password logins at once (the caller reads the server's
           peak RSS: pass --pid to print VmHWM/VmRSS from /proc). Finding 3.
  flood    locks the victim (wrong passwords one after another), then C
           connections send refused logins (no password known) at it for S
           seconds: audit rows written per refused
           login, read from the audit log's sequence numbers. Finding 1.
  spray    N wrong guesses at N different names from this one address at
           once: how many were checked. Finding 2, per address. It locks
           this address for the lockout time, so it runs last.

Accounts needed (tests/attack/run.sh makes them): --victim (its password is
never sent; `guesses` and `flood` lock it), --login-user/--login-password (for
`logins`), --auditor/--auditor-password (reads the audit log).

Example:
  python3 tests/attack/login_attack.py --url http://127.0.0.1:8099 \\
      --pid 12345 --auditor auditor --auditor-password '…' \\
      --login-user clerk2 --login-password '…'
"""

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


class Office:
    """One keep-alive connection to the office."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("refusing to attack anything but this machine (loopback)")
        self.host, self.port = u.hostname, u.port or 80
        self.conn = None

    def request(self, method, path, body=None, token=None):
        headers = {"content-type": "application/json", "connection": "keep-alive"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.conn.request(method, path, body=data, headers=headers)
                res = self.conn.getresponse()
                raw = res.read()
                try:
                    value = json.loads(raw) if raw else None
                except ValueError:
                    value = None
                return res.status, value
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")

    def login(self, username, password):
        return self.request("POST", "/api/v1/sessions", {"username": username, "password": password})


def login_token(url, username, password):
    status, body = Office(url).login(username, password)
    if status != 201:
        sys.exit(f"could not log in as {username}: {status} {body}")
    return body["token"]


def audit_head(url, token):
    """The newest audit entry's sequence number."""
    status, body = Office(url).request("GET", "/api/v1/audit?limit=1", token=token)
    if status != 200 or not body:
        sys.exit(f"could not read the audit log: {status} {body}")
    return body[0]["seq"]


def audit_entries_since(url, token, seq):
    """Audit entries after `seq` (newest first), all pages."""
    out, before = [], None
    while True:
        q = "/api/v1/audit?limit=500" + (f"&before={before}" if before else "")
        status, body = Office(url).request("GET", q, token=token)
        if status != 200:
            sys.exit(f"could not read the audit log: {status} {body}")
        fresh = [e for e in body if e["seq"] > seq]
        out += fresh
        if len(fresh) < len(body) or not body:
            return out
        before = body[-1]["seq"]


def at_once(n, send):
    """Runs send(i) in n threads released together; their results."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        results[i] = send(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def retrying_busy(office, username, password, deadline):
    """A login; a 503 "busy" is tried again (until the deadline)."""
    busy = 0
    while True:
        status, body = office.login(username, password)
        if status != 503 or time.monotonic() > deadline:
            return status, busy
        busy += 1
        time.sleep(0.02)


def proc_mem(pid):
    if not pid:
        return None
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                fields[k] = v.strip()
    return fields


def tally(statuses):
    out = {}
    for s in statuses:
        out[s] = out.get(s, 0) + 1
    return dict(sorted(out.items()))


def step_guesses(a, auditor):
    seq = audit_head(a.url, auditor)
    deadline = time.monotonic() + 300
    results = at_once(a.guesses, lambda i: retrying_busy(Office(a.url), a.victim, f"wrong guess {i}", deadline))
    statuses = [s for s, _ in results]
    checked = statuses.count(401)
    failures = [e for e in audit_entries_since(a.url, auditor, seq)
                if e["action"] == "login_failed" and e["detail"] == "reason=password"]
    print(f"guesses: {a.guesses} wrong passwords at once at {a.victim!r}: statuses {tally(statuses)}, "
          f"busy answers retried {sum(b for _, b in results)}")
    print(f"guesses: passwords checked = {checked} (401 answers); audit login_failed reason=password rows = "
          f"{len(failures)}; the account limit is {a.account_limit}")


def step_logins(a):
    before = proc_mem(a.pid)
    started = time.monotonic()
    results = at_once(a.logins, lambda i: Office(a.url).login(a.login_user, a.login_password)[0])
    took = time.monotonic() - started
    time.sleep(1)
    after = proc_mem(a.pid)
    print(f"logins: {a.logins} right-password logins at once: statuses {tally(results)} in {took:.1f} s")
    if before:
        print(f"logins: server memory before {before}, after {after} (VmHWM is the peak)")


def lock_victim(a):
    """Wrong passwords one after another until the victim is locked."""
    office = Office(a.url)
    for i in range(a.account_limit + 1):
        status, _ = retrying_busy(office, a.victim, f"locking guess {i}", time.monotonic() + 60)
        if status == 429:
            return
    status, _ = office.login(a.victim, "one more guess")
    if status != 429:
        sys.exit(f"the victim is not locked after {a.account_limit} failures: {status}")


def step_flood(a, auditor):
    lock_victim(a)
    seq = audit_head(a.url, auditor)
    stop = time.monotonic() + a.flood_seconds
    counts = [dict() for _ in range(a.flood_connections)]

    def flood(i):
        office = Office(a.url)
        n = 0
        while time.monotonic() < stop:
            status, _ = office.login(a.victim, f"no idea {i}-{n}")
            counts[i][status] = counts[i].get(status, 0) + 1
            n += 1

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(a.flood_connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = {}
    for c in counts:
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    refused = total.get(429, 0)
    written = audit_head(a.url, auditor) - seq
    per = written / refused if refused else float("nan")
    print(f"flood: {a.flood_connections} connections for {a.flood_seconds} s at the locked {a.victim!r}: "
          f"statuses {dict(sorted(total.items()))} ({sum(total.values()) / a.flood_seconds:.0f} requests/s)")
    print(f"flood: audit rows written = {written}, per refused login = {per:.3f}")


def step_spray(a):
    deadline = time.monotonic() + 300
    results = at_once(a.spray, lambda i: retrying_busy(Office(a.url), f"ghost{i}", "Summer2026!", deadline))
    statuses = [s for s, _ in results]
    print(f"spray: {a.spray} wrong guesses at once at {a.spray} names from this address: statuses "
          f"{tally(statuses)}; passwords checked = {statuses.count(401)}; the address limit is {a.address_limit}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--pid", type=int, help="the server's process id (for VmHWM/VmRSS)")
    p.add_argument("--victim", default="victim")
    p.add_argument("--login-user", default="clerk2")
    p.add_argument("--login-password")
    p.add_argument("--auditor", default="auditor")
    p.add_argument("--auditor-password", required=True)
    p.add_argument("--guesses", type=int, default=64)
    p.add_argument("--logins", type=int, default=128)
    p.add_argument("--flood-connections", type=int, default=16)
    p.add_argument("--flood-seconds", type=float, default=10)
    p.add_argument("--spray", type=int, default=64)
    p.add_argument("--account-limit", type=int, default=5, help="the office's [login] account_max_failures")
    p.add_argument("--address-limit", type=int, default=20, help="the office's [login] address_max_failures")
    p.add_argument("--steps", default="guesses,logins,flood,spray")
    a = p.parse_args()
    if a.guesses > 512 or a.logins > 512 or a.flood_connections > 64 or a.flood_seconds > 60 or a.spray > 512:
        sys.exit("bounded: at most 512 requests at once, 64 connections, 60 s")
    steps = a.steps.split(",")
    auditor = login_token(a.url, a.auditor, a.auditor_password)
    if "guesses" in steps:
        step_guesses(a, auditor)
    if "logins" in steps:
        if not a.login_password:
            sys.exit("--login-password is needed for the logins step")
        step_logins(a)
    if "flood" in steps:
        step_flood(a, auditor)
    if "spray" in steps:
        step_spray(a)


if __name__ == "__main__":
    main()
