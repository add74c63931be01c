#!/usr/bin/env python3
"""Builds the demo's sample partners (deploy/sample/partners/*.json) from worked examples of
../shared/spec/scoring.md (the golden cases under tests/data), moved forward in time so that they
are current on the demo date, and the feeds pcs-local drops into the spool (deploy/sample/feeds/).

usage: deploy/sample/make_sample.py        (the output is committed; run it again after a change)"""
import calendar
import csv
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEMO_AS_OF = "2026-11-20"
DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")

# partner id, name, golden case, months to move forward, extra people, what the demo shows
PARTNERS = [
    ("contoso-analytics", "Contoso Analytics", ["ex2_data_ai", "ex3_security"], 16,
     [("N1", "identity_admin", "2026-11-01", "2027-11-01")],
     "qualified in Data & AI, Infrastructure and Security"),
    ("fabrikam-cloud", "Fabrikam Cloud", ["ex3_security"], 16, [],
     "in progress: Security at 62.73, just under 70"),
    ("northwind-secure", "Northwind Secure", ["ex9_renewal_due"], 16, [],
     "enrolled in Security, renewal due and at risk"),
    ("tailspin-data", "Tailspin Data", ["edge_metric_zero_blocking"], 16, [],
     "Data & AI above 70 but blocked by deployments at zero"),
    ("woodgrove-infra", "Woodgrove Infrastructure", ["ex1_infrastructure"], 16, [],
     "losing points to certifications expiring within 60 days"),
]


def shift(s, months):
    m = DATE.match(s)
    if not m:
        return s
    y, mo = int(m.group(1)), int(m.group(2))
    total = y * 12 + (mo - 1) + months
    y, mo = divmod(total, 12)
    mo += 1
    if m.group(3) is None:
        return "%04d-%02d" % (y, mo)
    d = min(int(m.group(3)), calendar.monthrange(y, mo)[1])
    return "%04d-%02d-%02d" % (y, mo, d)


def walk(x, months):
    if isinstance(x, dict):
        return {k: walk(v, months) for k, v in x.items()}
    if isinstance(x, list):
        return [walk(v, months) for v in x]
    if isinstance(x, str):
        return shift(x, months)
    return x


def build(pid, name, cases, months, extra):
    doc = {"partner_id": pid, "as_of": DEMO_AS_OF, "customers": [], "associations": [], "usage": [], "people": [],
           "enrollments": []}
    for case in cases:
        src = walk(json.load(open(os.path.join(ROOT, "tests", "data", case, "input.json"))), months)
        prefix = "%s-%s-" % (pid.split("-")[0], case.split("_")[0])
        for key in ("customers", "associations", "usage"):
            for row in src.get(key, []):
                row["tenant_id"] = prefix + row["tenant_id"]
                if "customer_id" in row:
                    row["customer_id"] = prefix + row["customer_id"]
                doc[key].append(row)
        for p in src.get("people", []):
            p["person_id"] = prefix + p["person_id"]
            doc["people"].append(p)
        doc["enrollments"] += src.get("enrollments", [])
    for person, cert, earned, expires in extra:
        doc["people"].append({"person_id": person, "certifications": [{"name": cert, "earned": earned,
                                                                        "expires": expires}]})
    for c in doc["customers"]:
        c["name"] = "%s customer %s" % (name, c["tenant_id"].rsplit("-", 1)[-1])
    return doc


def main():
    pdir, fdir = os.path.join(HERE, "partners"), os.path.join(HERE, "feeds")
    os.makedirs(pdir, exist_ok=True)
    os.makedirs(fdir, exist_ok=True)
    rows = {"customers": [], "associations": [], "usage": [], "enrollments": []}
    events = []
    for pid, name, cases, months, extra, _ in PARTNERS:
        doc = build(pid, name, cases, months, extra)
        with open(os.path.join(pdir, pid + ".json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        for c in doc["customers"]:
            rows["customers"].append([pid, c["tenant_id"], c.get("customer_id", ""), c["name"], c["segment"]])
        for a in doc["associations"]:
            rows["associations"].append([pid, a["tenant_id"], a["type"], a["workload"], a["start"], a.get("end") or ""])
        for u in doc["usage"]:
            rows["usage"].append([u["tenant_id"], u["workload"], u["month"], u.get("acr_usd", ""),
                                  u.get("revenue_usd", ""), u.get("paid_units", ""), u.get("active_units", "")])
        for e in doc["enrollments"]:
            rows["enrollments"].append([pid, e["area"], e["enrolled"], e["anniversary"]])
        for p in doc["people"]:
            for c in sorted(p["certifications"], key=lambda c: c["earned"]):
                body = {"partner_id": pid, "person_id": p["person_id"], "certification": c["name"], "earned": c["earned"]}
                if c.get("expires"):
                    body["expires"] = c["expires"]
                events.append({"v": 1, "type": "cert.earned", "id": "sample-%s-%d" % (pid, len(events) + 1),
                               "ts": "2026-11-01T08:00:00Z", "body": body})
    headers = {"customers": ["partner_id", "tenant_id", "customer_id", "customer_name", "segment"],
               "associations": ["partner_id", "tenant_id", "association_type", "workload", "start_date", "end_date"],
               "usage": ["tenant_id", "workload", "month", "acr_usd", "revenue_usd", "paid_units", "active_units"],
               "enrollments": ["partner_id", "area", "enrolled_date", "anniversary_date"]}
    for n, (kind, data) in enumerate(rows.items(), 1):
        with open(os.path.join(fdir, "%d-sample.%s.csv" % (n, kind)), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(headers[kind])
            w.writerows(data)
    with open(os.path.join(fdir, "5-sample.certs.jsonl"), "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    # a file with mistakes, so the demo shows how bad input is reported (the good rows load)
    with open(os.path.join(fdir, "6-corrections.associations.csv"), "w") as f:
        f.write("partner_id,tenant_id,association_type,workload,start_date,end_date\n")
        f.write("fabrikam-cloud,fabrikam-ex3-T9,PAL,azure/*,2026-02-30,\n")
        f.write("fabrikam-cloud,fabrikam-ex3-T9,PALL,azure/*,2026-02-01,\n")
        f.write("fabrikam-cloud,fabrikam-ex3-T9,PAL,azure/*,2026-02-01,2026-01-01\n")
        f.write("fabrikam-cloud,\"fabrikam-ex3-T9,PAL,azure/*,2026-02-01,\n")
    with open(os.path.join(HERE, "partners", "README.md"), "w") as f:
        f.write("# Sample partners (generated by ../make_sample.py; as of %s)\n\n| partner | from | shows |\n|---|---|---|\n"
                % DEMO_AS_OF)
        for pid, name, cases, months, extra, shows in PARTNERS:
            f.write("| `%s` (%s) | %s, %d months later%s | %s |\n" % (pid, name, " + ".join(cases), months,
                                                                   " + one more certification" if extra else "", shows))
        f.write("| `5550000` (global account of locations 5550001, 5550002) | the Partner Center downloads in ../pc/ (generated by tests/data/pc/make_pc_cases.py sample; ../pc/partner-5550000.json is the document they mean) | the Insights download path: attribution as association, locations rolled up, duplicate and Exam rows; Data & AI qualified |\n")


if __name__ == "__main__":
    main()
