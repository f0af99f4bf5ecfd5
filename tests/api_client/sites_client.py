#!/usr/bin/env python3
"""A client of the sites and pick-up API that does not share our code.

Python 3 standard library only (urllib). It talks to a running office, as a
partner's or a city's own program would, using nothing but the JSON API as
docs/office.md and /api/v1/openapi.json describe it (issue 11): three sites
(two counters, one partner), a partner clerk enrols a resident who picks
the card up at a counter, the counter prints and hands it over, a clerk of
another site is refused, the figures hide the partner's small counts, a
closed site's clerk is refused.

tests/api_client/run.sh starts the office and makes the users:
  admin `boss`, clerks `pclerk`, `nclerk`, `mclerk`, all with --password.
"""

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


class Api:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("only an office on this machine (loopback)")
        self.url = url.rstrip("/")

    def call(self, method, path, body=None, token=None):
        """(status, parsed JSON or raw bytes)."""
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if token:
            headers["authorization"] = "Bearer " + token
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                status, raw, ctype = res.status, res.read(), res.headers.get("content-type", "")
        except urllib.error.HTTPError as e:
            status, raw, ctype = e.code, e.read(), e.headers.get("content-type", "")
        if "json" in ctype and raw:
            return status, json.loads(raw)
        return status, raw

    def login(self, user, password):
        status, v = self.call("POST", "/api/v1/sessions", {"username": user, "password": password})
        expect(status == 201, f"login of {user}: {status} {v}")
        return v["token"]


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_error(result, status, code, what):
    got, body = result
    expect(got == status, f"{what}: expected {status}, got {got} {body}")
    expect(body["error"]["code"] == code, f"{what}: expected {code}, got {body}")
    return body


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--password", required=True)
    a = p.parse_args()
    api = Api(a.url)
    steps = 0

    def step(name):
        nonlocal steps
        steps += 1
        print(f"ok {steps} - {name}")

    # The document lists the routes.
    status, doc = api.call("GET", "/api/v1/openapi.json")
    expect(status == 200, "openapi.json")
    for path in ["/api/v1/sites", "/api/v1/sites/pickup", "/api/v1/sites/{id}",
                 "/api/v1/users/{username}/site", "/api/v1/pickup",
                 "/api/v1/cards/{number}/handed-over", "/api/v1/figures"]:
        expect(path in doc["paths"], f"{path} in the OpenAPI document")
    step("the OpenAPI document lists the site routes")

    boss = api.login("boss", a.password)
    status, sites = api.call("GET", "/api/v1/sites", token=boss)
    expect(status == 200 and len(sites) == 1, f"the first site: {sites}")
    first = sites[0]["id"]
    expect(isinstance(first, str) and first.isdigit(), f"ids are strings of digits: {first!r}")
    status, nord = api.call("POST", "/api/v1/sites", {"name": "Bürgerbüro Nord", "kind": "counter"}, boss)
    expect(status == 201, f"create a counter: {status} {nord}")
    status, partner = api.call("POST", "/api/v1/sites", {"name": "Verein Zuflucht", "kind": "partner"}, boss)
    expect(status == 201 and partner["kind"] == "partner", f"create a partner: {partner}")
    nord, partner = nord["id"], partner["id"]
    status, sites = api.call("GET", "/api/v1/sites", token=boss)
    expect(sorted(s["id"] for s in sites) == sorted([first, nord, partner]), f"three sites: {sites}")
    step("three sites: two counters and a partner, ids as strings")

    for user, site in [("pclerk", partner), ("nclerk", nord), ("mclerk", first)]:
        status, v = api.call("PUT", f"/api/v1/users/{user}/site", {"site": site}, boss)
        expect(status == 200 and v["site"] == site, f"{user} at a site: {status} {v}")
    step("clerks put at their sites")

    pclerk = api.login("pclerk", a.password)
    nclerk = api.login("nclerk", a.password)
    mclerk = api.login("mclerk", a.password)
    status, offered = api.call("GET", "/api/v1/sites/pickup", token=pclerk)
    expect(status == 200 and {nord, partner, first} <= {s["id"] for s in offered}, f"{offered}")

    enrol = {
        "given_names": "Amina", "family_name": "Haddad", "date_of_birth": "1991",
        "attestation": {"identity_checked": True, "residence_checked": True},
        "pickup_site": nord,
    }
    status, card = api.call("POST", "/api/v1/cards", enrol, pclerk)
    expect(status == 201, f"partner clerk enrols: {status} {card}")
    number = card["card_number"]
    step("a partner clerk enrols a resident who picks up at a counter")

    status, queue = api.call("GET", "/api/v1/print-queue", token=nclerk)
    expect(status == 200 and number in [q["card"]["card_number"] for q in queue], f"{queue}")
    status, queue = api.call("GET", "/api/v1/print-queue", token=pclerk)
    expect(status == 200 and number not in [q["card"]["card_number"] for q in queue], f"{queue}")
    step("the counter's print queue has it, the partner's does not")

    expect_error(api.call("POST", f"/api/v1/cards/{number}/printed", token=mclerk),
                 403, "other_site", "another counter marks it printed")
    status, pdf = api.call("GET", f"/api/v1/cards/{number}/pdf", token=nclerk)
    expect(status == 200 and pdf[:4] == b"%PDF", f"the PDF: {status}")
    status, _ = api.call("POST", f"/api/v1/cards/{number}/printed", token=nclerk)
    expect(status == 204, f"printed: {status}")
    status, lst = api.call("GET", "/api/v1/pickup", token=nclerk)
    mine = [e for e in lst if e["card"]["card_number"] == number]
    expect(len(mine) == 1 and mine[0]["step"] == "ready" and mine[0]["pickup_site"] == nord, f"{lst}")
    step("printed at the counter: ready there")

    path = f"/api/v1/cards/{number}/handed-over"
    expect_error(api.call("POST", path, {"compared": False}, nclerk), 400, "invalid_input",
                 "hand-over without the comparison")
    expect_error(api.call("POST", path, {"compared": True}, mclerk), 403, "other_site",
                 "hand-over by another site")
    status, _ = api.call("POST", path, {"compared": True}, nclerk)
    expect(status == 204, f"handed over: {status}")
    step("handed over at the counter after the comparison; refused elsewhere")

    status, figures = api.call("GET", "/api/v1/figures?months=12", token=boss)
    expect(status == 200, f"figures: {status} {figures}")
    by_id = {s["id"]: s for s in figures["sites"]}
    p = by_id[partner]
    expect(p["totals"]["enrolled"] == {"value": None, "label": "< 5"}, f"partner hidden: {p}")
    n = by_id[nord]
    expect(n["totals"]["handed_over"] == {"value": 1, "label": "1"}, f"counter exact: {n}")
    expect(number not in json.dumps(figures), "no card number in the figures")
    expect_error(api.call("GET", "/api/v1/figures", token=nclerk), 403, "forbidden", "a clerk's figures")
    step('figures: the partner\'s small count is "< 5"')

    status, closed = api.call("POST", f"/api/v1/sites/{partner}/close", token=boss)
    expect(status == 200 and closed["closed"] is True, f"close: {status} {closed}")
    body = expect_error(api.call("GET", "/api/v1/print-queue", token=pclerk), 403, "site_closed",
                        "a closed site's clerk")
    expect("Zuflucht" not in json.dumps(body), "no site name in the error")
    expect_error(api.call("POST", "/api/v1/sessions", {"username": "pclerk", "password": a.password}),
                 403, "site_closed", "a closed site's clerk logs in")
    step("a closed site's clerk is refused")
    print(f"1..{steps}")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"not ok - {e}")
        sys.exit(1)
