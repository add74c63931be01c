#!/usr/bin/env python3
"""Turns a partner document (interfaces.md §2) into the feeds of interfaces.md §3, so a test can load
the same facts through pcs-ingest and compare the stored score with `pcs score` of the document.

usage: doc2feeds.py INPUT.json PARTNER_ID OUTDIR
Writes OUTDIR/PARTNER_ID.{customers,associations,usage,enrollments}.csv and .certs.jsonl, and
OUTDIR/PARTNER_ID.json: the document with partner_id replaced and every tenant id prefixed with
PARTNER_ID/ (usage belongs to tenants, so two cases must not share one)."""
import csv
import json
import os
import sys


def main():
    src, pid, out = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    doc["partner_id"] = pid

    def t(x):
        return pid + "/" + x

    for key in ("customers", "associations", "usage"):
        for row in doc.get(key, []):
            row["tenant_id"] = t(row["tenant_id"])
    with open(os.path.join(out, pid + ".json"), "w", encoding="utf-8") as f:
        json.dump(doc, f)

    def write(kind, header, rows):
        with open(os.path.join(out, pid + "." + kind + ".csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    def s(v):
        return "" if v is None else v

    write("customers", ["partner_id", "tenant_id", "customer_id", "customer_name", "segment"],
          [[pid, c["tenant_id"], s(c.get("customer_id")), s(c.get("name")), c["segment"]]
           for c in doc.get("customers", [])])
    write("associations", ["partner_id", "tenant_id", "association_type", "workload", "start_date", "end_date"],
          [[pid, a["tenant_id"], a["type"], a["workload"], a["start"], s(a.get("end"))]
           for a in doc.get("associations", [])])
    write("usage", ["tenant_id", "workload", "month", "acr_usd", "revenue_usd", "paid_units", "active_units"],
          [[u["tenant_id"], u["workload"], u["month"], s(u.get("acr_usd")), s(u.get("revenue_usd")),
            s(u.get("paid_units")), s(u.get("active_units"))] for u in doc.get("usage", [])])
    write("enrollments", ["partner_id", "area", "enrolled_date", "anniversary_date"],
          [[pid, e["area"], e["enrolled"], e["anniversary"]] for e in doc.get("enrollments", [])])
    n = 0
    with open(os.path.join(out, pid + ".certs.jsonl"), "w", encoding="utf-8") as f:
        for p in doc.get("people", []):
            # latest first: a person without person.linked counts from the earliest `earned` of all
            # of their events, whatever the order they arrive in (interfaces.md §3)
            for c in sorted(p.get("certifications", []), key=lambda c: c["earned"], reverse=True):
                n += 1
                body = {"partner_id": pid, "person_id": p["person_id"], "certification": c["name"],
                        "earned": c["earned"]}
                if c.get("expires"):
                    body["expires"] = c["expires"]
                f.write(json.dumps({"v": 1, "type": "cert.earned", "id": "%s-cert-%d" % (pid, n),
                                    "ts": "2026-01-01T00:00:00Z", "body": body}) + "\n")


if __name__ == "__main__":
    main()
