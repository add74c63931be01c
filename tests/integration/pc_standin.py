#!/usr/bin/env python3
"""A local stand-in of Microsoft Entra ID and Partner Center's Insights programmatic access, for
tests/integration/pull.sh. It follows the public documentation:

  Entra (learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code, …-client-creds-grant-flow,
  …-auth-code-flow#refresh-the-access-token):
    POST /{tenant}/oauth2/v2.0/devicecode   client_id, scope -> device_code, user_code, verification_uri,
                                            expires_in, interval, message
    POST /{tenant}/oauth2/v2.0/token        grant_type urn:ietf:params:oauth:grant-type:device_code
                                            (authorization_pending, slow_down, expired_token),
                                            refresh_token (invalid_grant when revoked), client_credentials
  Partner Center (learn.microsoft.com/partner-center/insights/insights-programmatic-first-api-call and
  the programmatic access paradigm page), under /insights/v1/mpn:
    GET ScheduledDataset (each dataset's selectableColumns: the header of its sample export),
    POST/GET ScheduledQueries (a column the dataset lacks is a 400), POST/GET ScheduledReport, GET ScheduledReport/execution/{reportId};
    the file behind reportAccessSecureLink (no Authorization header: the link is the credential).

A download is the sample export of its dataset (--data) cut to the columns its query SELECTs, so
the test also proves that pcs-pull asks for every column pcs-ingest reads.

Faults, as the test asks: the first POST ScheduledQueries answers 429 with Retry-After: 1, the first
POST ScheduledReport answers 500, the first access token stops working after a few calls (401), the
first download of AzureUsage is cut in the middle (Content-Length larger than what is sent).
Executions stay Pending for `pending_polls` polls; /_test/hold makes some datasets wait longer.
Everything it issued and counted is written to --state (JSON) after each request.

usage: pc_standin.py --data DIR --state FILE --port-file FILE --client-secret S
"""
import argparse
import json
import os
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

API = "/insights/v1/mpn"
DATASETS = ("CustomersAndTenants", "AzureUsage", "OfficeUsage", "TrainingCompletions")


def header(path):
    import csv
    with open(path, newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f))


def project(path, query):
    """The file of a custom query: the sample export's rows with the columns the query SELECTs, in
    its order (names matched without regard to case; the query was checked against the header)."""
    import csv, io
    cols = [c.strip() for c in query[len("SELECT "):].split(" FROM ")[0].split(",")]
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    index = {h.lower(): i for i, h in enumerate(rows[0])}
    keep = [(c, index[c.lower()]) for c in cols if c.lower() in index]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([c for c, _ in keep])
    for r in rows[1:]:
        w.writerow([r[i] if i < len(r) else "" for _, i in keep])
    return out.getvalue().encode()


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.issued = [args.client_secret]   # every secret handed out: must never appear in a log
        self.devices = {}        # device_code -> polls
        self.refresh = set()
        self.access = {}         # token -> calls left (None = unlimited)
        self.first_access = True
        self.queries = {}        # id -> {name, query}
        self.reports = {}        # id -> {name, query_id, polls, execution_id, dataset}
        self.links = {}          # sig -> execution id
        self.hold = {}           # dataset -> extra pending polls
        self.c = {k: 0 for k in ("pending", "slow_down", "device_ok", "refresh_ok", "refresh_refused",
                                 "client_credentials", "r429", "r500", "r401", "cut", "downloads_with_auth",
                                 "queries_created", "reports_created", "query_lookups", "report_lookups")}
        self.complete = {}       # execution id -> complete downloads
        self.fault_429 = self.fault_500 = self.fault_cut = True

    def save(self):
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"issued": self.issued, "counts": self.c, "complete": self.complete,
                       "queries": len(self.queries), "reports": {k: v["dataset"] for k, v in self.reports.items()},
                       "executions": {v["execution_id"]: v["dataset"] for v in self.reports.values()}}, f)
        os.replace(tmp, self.args.state)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, obj=None, headers=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode()).items()}

    def json_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def oauth_error(self, err, aadsts):
        self.reply(400, {"error": err, "error_description": "AADSTS%d: stand-in says %s.\r\nTrace ID: 0" % (aadsts, err),
                         "error_codes": [aadsts]})

    def token(self, st, refresh=True, expiring=False):
        a = "at-" + secrets.token_urlsafe(24)
        st.issued.append(a)
        # the first access token pcs-pull gets "expires" after 3 calls, as a real one does after an hour
        st.access[a] = 3 if expiring and st.first_access else None
        if expiring:
            st.first_access = False
        out = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": a,
               "scope": "https://api.partnercenter.microsoft.com/user_impersonation"}
        if refresh:
            r = "rt-" + secrets.token_urlsafe(32)
            st.issued.append(r)
            st.refresh.add(r)
            out["refresh_token"] = r
        return out

    # ---- Entra ----------------------------------------------------------------------------------------
    def entra(self, st, path):
        f = self.form()
        if path.endswith("/oauth2/v2.0/devicecode"):
            if not f.get("client_id") or "offline_access" not in f.get("scope", ""):
                return self.oauth_error("invalid_request", 900144)
            dc = "dc-" + secrets.token_urlsafe(32)
            st.issued.append(dc)
            st.devices[dc] = 0
            code = "PCS" + secrets.token_hex(3).upper()
            return self.reply(200, {"device_code": dc, "user_code": code,
                                    "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900,
                                    "interval": 1, "message": "To sign in, use a web browser to open the page "
                                    "https://microsoft.com/devicelogin and enter the code %s to authenticate." % code})
        if not path.endswith("/oauth2/v2.0/token"):
            return self.reply(404, {"error": "not_found"})
        g = f.get("grant_type")
        if g == "urn:ietf:params:oauth:grant-type:device_code":
            dc = f.get("device_code")
            if dc not in st.devices:
                return self.oauth_error("bad_verification_code", 70019)
            st.devices[dc] += 1
            n = st.devices[dc]
            if n == 1:
                st.c["pending"] += 1
                return self.oauth_error("authorization_pending", 70016)
            if n == 2:
                st.c["slow_down"] += 1
                return self.oauth_error("slow_down", 70016)
            del st.devices[dc]
            st.c["device_ok"] += 1
            return self.reply(200, self.token(st))
        if g == "refresh_token":
            r = f.get("refresh_token")
            if r not in st.refresh:
                st.c["refresh_refused"] += 1
                return self.oauth_error("invalid_grant", 70008)
            st.refresh.discard(r)   # rotated: the old one is spent
            st.c["refresh_ok"] += 1
            return self.reply(200, self.token(st, expiring=True))
        if g == "client_credentials":
            if f.get("client_secret") != st.args.client_secret or not f.get("scope", "").endswith("/.default"):
                return self.oauth_error("invalid_client", 7000215)
            st.c["client_credentials"] += 1
            return self.reply(200, self.token(st, refresh=False))
        return self.oauth_error("unsupported_grant_type", 70003)

    # ---- Partner Center ----------------------------------------------------------------------------------
    def authorized(self, st):
        h = self.headers.get("Authorization", "")
        tok = h[7:] if h.startswith("Bearer ") else None
        if tok not in st.access:
            return False
        left = st.access[tok]
        if left is not None:
            if left <= 0:
                return False
            st.access[tok] = left - 1
        return True

    def api(self, st, method, u):
        if not self.authorized(st):
            if method == "POST":
                self.json_body()
            st.c["r401"] += 1
            return self.reply(401, {"message": "token expired"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        p = u.path[len(API):]
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if p == "/ScheduledDataset" and method == "GET":
            v = [{"datasetName": d, "selectableColumns": header(os.path.join(st.args.data, d + ".csv")),
                  "availableMetrics": [], "availableDateRanges": ["LAST_MONTH", "LAST_6_MONTHS", "LIFETIME"],
                  "minimumRecurrenceInterval": 24} for d in DATASETS]
            return self.reply(200, {"value": v, "totalCount": len(v), "message": "Dataset fetched successfully",
                                    "statusCode": 200})
        if p == "/ScheduledQueries" and method == "POST":
            b = self.json_body()
            if st.fault_429:
                st.fault_429 = False
                st.c["r429"] += 1
                return self.reply(429, {"message": "Too many requests"}, {"Retry-After": "1"})
            if not b.get("Name") or not b.get("Query", "").startswith("SELECT ") or " FROM " not in b["Query"]:
                return self.reply(400, {"message": "Name and Query are required"})
            cols, ds = b["Query"][7:].split(" FROM ")
            if ds.split()[0] not in DATASETS:
                return self.reply(400, {"message": "unknown dataset %s" % ds})
            offered = {c.lower() for c in header(os.path.join(st.args.data, ds.split()[0] + ".csv"))}
            unknown = [c.strip() for c in cols.split(",") if c.strip().lower() not in offered]
            if unknown:
                return self.reply(400, {"message": "column %s is not in dataset %s" % (unknown[0], ds)})
            qid = str(uuid.uuid4())
            st.queries[qid] = {"name": b["Name"], "query": b["Query"]}
            st.c["queries_created"] += 1
            return self.reply(200, {"value": [{"queryId": qid, "name": b["Name"], "query": b["Query"],
                                               "type": "userDefined", "createdTime": "2026-01-01T00:00:00Z"}],
                                    "totalCount": 1, "message": "Query created successfully", "statusCode": 200})
        if p == "/ScheduledQueries" and method == "GET":
            st.c["query_lookups"] += 1
            v = [{"queryId": k, "name": x["name"], "query": x["query"]} for k, x in st.queries.items()
                 if x["name"] == q.get("queryName")]
            return self.reply(200, {"value": v, "totalCount": len(v), "statusCode": 200})
        if p == "/ScheduledReport" and method == "POST":
            b = self.json_body()
            if st.fault_500:
                st.fault_500 = False
                st.c["r500"] += 1
                return self.reply(500, {"message": "internal error"})
            qid = b.get("QueryId")
            if qid not in st.queries or b.get("ExecuteNow") is not True or not b.get("QueryStartTime"):
                return self.reply(400, {"message": "unknown QueryId or not ExecuteNow"})
            ds = st.queries[qid]["query"].split(" FROM ")[-1].split()[0]
            rid = str(uuid.uuid4())
            st.reports[rid] = {"name": b.get("ReportName"), "query_id": qid, "polls": 0,
                               "execution_id": str(uuid.uuid4()), "dataset": ds}
            st.c["reports_created"] += 1
            return self.reply(200, {"Value": [{"reportId": rid, "reportName": b.get("ReportName"), "queryId": qid,
                                               "executeNow": True, "reportStatus": "Active", "format": "csv"}],
                                    "TotalCount": 1, "Message": "Report created successfully", "StatusCode": 200})
        if p == "/ScheduledReport" and method == "GET":
            st.c["report_lookups"] += 1
            v = [{"reportId": k, "reportName": x["name"], "queryId": x["query_id"]} for k, x in st.reports.items()
                 if x["name"] == q.get("reportName")]
            return self.reply(200, {"Value": v, "TotalCount": len(v), "StatusCode": 200})
        if p.startswith("/ScheduledReport/execution/") and method == "GET":
            rid = p.rsplit("/", 1)[1]
            r = st.reports.get(rid)
            if not r:
                return self.reply(404, {"message": "no such report"})
            r["polls"] += 1
            done = r["polls"] > st.args.pending_polls + st.hold.get(r["dataset"], 0)
            link = None
            if done:
                sig = secrets.token_urlsafe(16)
                st.issued.append(sig)
                st.links[sig] = r["execution_id"]
                link = "http://127.0.0.1:%d/download/%s.csv?sv=2026&sig=%s" % (self.server.server_port,
                                                                               r["execution_id"], sig)
            return self.reply(200, {"value": [{"executionId": r["execution_id"], "reportId": rid,
                                               "executionStatus": "Completed" if done else "Pending",
                                               "reportAccessSecureLink": link, "reportExpiryTime": None,
                                               "format": "csv"}], "totalCount": 1, "statusCode": 200})
        return self.reply(404, {"message": "no such API"})

    def download(self, st, u):
        sig = parse_qs(u.query).get("sig", [None])[0]
        eid = st.links.get(sig)
        if not eid:
            return self.reply(403, {"message": "AuthenticationFailed"})
        if self.headers.get("Authorization"):
            st.c["downloads_with_auth"] += 1
        rep = next(r for r in st.reports.values() if r["execution_id"] == eid)
        ds = rep["dataset"]
        data = project(os.path.join(st.args.data, ds + ".csv"), st.queries[rep["query_id"]]["query"])
        cut = ds == "AzureUsage" and st.fault_cut
        if cut:
            st.fault_cut = False
            st.c["cut"] += 1
        else:
            st.complete[eid] = st.complete.get(eid, 0) + 1
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if cut else data)
        if cut:
            self.close_connection = True

    def handle_any(self, method):
        st = self.server.st
        u = urlparse(self.path)
        with st.lock:
            try:
                if u.path.startswith("/_test/hold"):
                    q = parse_qs(u.query)
                    for d in q.get("datasets", [""])[0].split(","):
                        st.hold[d] = int(q.get("polls", ["0"])[0])
                    self.reply(200, {"ok": True})
                elif u.path == "/_test/revoke":
                    st.refresh.clear()
                    st.access.clear()
                    self.reply(200, {"ok": True})
                elif u.path.startswith(API):
                    self.api(st, method, u)
                elif u.path.startswith("/download/"):
                    self.download(st, u)
                elif method == "POST":
                    self.entra(st, u.path)
                else:
                    self.reply(404, {"message": "not found"})
            finally:
                st.save()

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--pending-polls", type=int, default=2)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.st = State(args)
    srv.st.save()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_port))
    os.replace(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
