#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 (Debian's python3-aiosmtpd) for the notifier's email sink.

usage: smtp_receiver.py PORT LOGFILE
Appends one JSON line per accepted message: {"from", "to", "subject", "message_id", "text", "html"}
(the text/plain and text/html parts of the multipart/alternative body)."""
import email
import email.policy
import json
import sys
import threading

from aiosmtpd.controller import Controller

PORT, LOG = int(sys.argv[1]), sys.argv[2]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {p.get_content_type(): p.get_content() for p in msg.walk() if not p.is_multipart()}
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos, "subject": str(msg["Subject"]),
                                "message_id": str(msg["Message-ID"]), "text": parts.get("text/plain"),
                                "html": parts.get("text/html")}) + "\n")
        return "250 OK"


Controller(Handler(), hostname="127.0.0.1", port=PORT).start()
threading.Event().wait()
