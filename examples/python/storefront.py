#!/usr/bin/python3
"""A server-side storefront client for liftd in Python, with the standard library only.

Asks which variants a shopper gets (GET /v1/assign, which logs the exposures), asks the
same of one experiment through OpenFeature's remote evaluation protocol (POST
/ofrep/v1/evaluate/flags/{key}), and reports what the shopper did (POST /v1/events with the
secret key: a page view and an order), retrying on 503 as liftd asks (Retry-After).

    LIFT_URL=http://127.0.0.1:8080 LIFT_API_KEY=secret python3 storefront.py shopper-42
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

LIFT = os.environ.get("LIFT_URL", "http://127.0.0.1:8080")
SECRET_KEY = os.environ.get("LIFT_API_KEY", "")


def call(method, path, body=None, key=None, attempts=5):
    """One request to liftd: (status, parsed JSON). Retries 503 after its Retry-After."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(attempts):
        req = urllib.request.Request(LIFT + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.load(res)
        except urllib.error.HTTPError as e:
            if e.code == 503 and attempt + 1 < attempts:
                time.sleep(float(e.headers.get("Retry-After", "1")))
                continue
            return e.code, json.load(e)
    raise RuntimeError("unreachable")


def main():
    unit = sys.argv[1] if len(sys.argv) > 1 else "shopper-" + uuid.uuid4().hex[:8]
    attrs = {"device": "desktop", "country": "DE"}
    query = urllib.parse.urlencode({"unit": unit, **{"attr." + k: v for k, v in attrs.items()}})
    status, answer = call("GET", "/v1/assign?" + query)
    if status != 200:
        sys.exit("assign: %d %s" % (status, answer))
    print("%s gets:" % unit)
    for a in answer["assignments"]:
        print("  %-16s %-14s %s" % (a["experiment"], a["variant"], json.dumps(a["payload"])))

    # The same question through OFREP, for the first experiment (no second exposure).
    if answer["assignments"]:
        key = answer["assignments"][0]["experiment"]
        status, flag = call("POST", "/ofrep/v1/evaluate/flags/" + key,
                            {"context": {"targetingKey": unit, "expose": False, **attrs}})
        print("OFREP %s: %s %s (%s)" % (key, flag.get("variant"), json.dumps(flag.get("value")),
                                        flag.get("reason")))

    events = [
        {"event_id": "pv-" + uuid.uuid4().hex, "unit": unit, "type": "page_view",
         "props": {"path": "/"}},
        {"event_id": "order-" + uuid.uuid4().hex, "unit": unit, "type": "order",
         "value": 59.90, "currency": "EUR"},
    ]
    status, answer = call("POST", "/v1/events", {"events": events}, key=SECRET_KEY)
    print("events: %d %s" % (status, json.dumps(answer)))
    return 0 if status == 202 else 1


if __name__ == "__main__":
    sys.exit(main())
