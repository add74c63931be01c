#!/usr/bin/env python3
"""A real HTTP receiver for the notifier's webhook, on 127.0.0.1.

usage: webhook_receiver.py PORT LOGFILE SECRET
Appends one JSON line per POST to LOGFILE: {"valid": <the X-PCS-Signature header is
sha256=HMAC-SHA256(SECRET, body)>, "key": <Idempotency-Key>, "alert_id": <X-PCS-Alert-Id>,
"body": <the parsed body>} and answers 200."""
import hashlib
import hmac
import http.server
import json
import sys

PORT, LOG, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"valid": hmac.compare_digest(want, self.headers.get("X-PCS-Signature", "")),
                                "key": self.headers.get("Idempotency-Key"),
                                "alert_id": self.headers.get("X-PCS-Alert-Id"), "body": parsed}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
