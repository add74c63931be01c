#!/usr/bin/env python3
"""A real HTTP receiver on 127.0.0.1 for the notifier's webhook, Teams and Slack sinks.

usage: webhook_receiver.py PORT LOGFILE SECRET [FAIL_FIRST] [SLOW_FLAG_FILE]
Appends one JSON line per POST to LOGFILE, before answering:
  {"path", "status", "valid", "ts", "key", "body"}
where valid says X-PCS-Signature is sha256=HMAC-SHA256(SECRET, X-PCS-Timestamp + "." + body)
(webhook sink; Teams and Slack posts are not signed), ts the X-PCS-Timestamp header, key the
Idempotency-Key header, body the parsed JSON. The first FAIL_FIRST requests are answered 503 (a
receiver that fails, then recovers); while SLOW_FLAG_FILE exists each answer waits 3 seconds
after the line is written (to aim a kill between delivering and recording)."""
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time

PORT, LOG, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
FAIL = int(sys.argv[4]) if len(sys.argv) > 4 else 0
SLOW = sys.argv[5] if len(sys.argv) > 5 else None
lock = threading.Lock()
seen = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-PCS-Timestamp", "")
        want = "sha256=" + hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        with lock:
            seen[0] += 1
            status = 503 if seen[0] <= FAIL else 200
            with open(LOG, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path.split("?")[0], "status": status,
                                    "valid": hmac.compare_digest(want, self.headers.get("X-PCS-Signature", "")),
                                    "ts": ts, "key": self.headers.get("Idempotency-Key"), "body": parsed}) + "\n")
        if SLOW and os.path.exists(SLOW):
            time.sleep(3)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
