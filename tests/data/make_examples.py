#!/usr/bin/env python3
"""Writes tests/data/<case>/input.json for the golden cases of the worked examples of
scoring.md §15 (and the few extra edge cases beside them).

Several examples need "every month 2023-05…2025-06" usage rows, so the partner documents are
generated here rather than typed. The committed input.json files are this script's output:
run `python3 tests/data/make_examples.py` and `git diff` must stay empty (give case names as
arguments to write only those). Only input.json is written; args, expected.json and why.md are kept
by hand, with only what scoring.md states or what follows directly from it.

Common settings of §15: rule set pcs-2026, D = 2025-07-10, "every month" = 2023-05…2025-06,
a certification with no dates given was earned 2025-01-15 and expires 2026-01-15.
"""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

EARNED, EXPIRES = "2025-01-15", "2026-01-15"     # §15 default certification dates
EVERY_MONTH = ("2023-05", "2025-06")             # §15 "every month"


# --- helpers -------------------------------------------------------------------------------------

def months(first, last):
    """Inclusive list of 'YYYY-MM' strings."""
    y, m = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    out = []
    while (y, m) <= (ly, lm):
        out.append("%04d-%02d" % (y, m))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def cust(tenant, customer, segment):
    return {"tenant_id": tenant, "customer_id": customer, "segment": segment}


def assoc(tenant, typ, start, end=None, workload="*"):
    return {"tenant_id": tenant, "type": typ, "workload": workload, "start": start, "end": end}


def row(tenant, workload, month, acr=None, revenue=None, paid=None, active=None):
    r = {"tenant_id": tenant, "workload": workload, "month": month}
    # measures not set stay absent: "Missing usage measures mean 0" (interfaces.md §2)
    if acr is not None:
        r["acr_usd"] = acr
    if revenue is not None:
        r["revenue_usd"] = revenue
    if paid is not None:
        r["paid_units"] = paid
    if active is not None:
        r["active_units"] = active
    return r


def acr_rows(tenant, workload, first, last, acr):
    return [row(tenant, workload, m, acr=acr) for m in months(first, last)]


def cert(name, earned=EARNED, expires=EXPIRES):
    return {"name": name, "earned": earned, "expires": expires}


def person(pid, *certs):
    return {"person_id": pid, "certifications": [c if isinstance(c, dict) else cert(c) for c in certs]}


def doc(partner_id, as_of, customers=(), associations=(), usage=(), people=(), enrollments=None):
    d = {"partner_id": partner_id, "as_of": as_of, "customers": list(customers),
         "associations": list(associations), "usage": list(usage), "people": list(people)}
    if enrollments is not None:
        d["enrollments"] = enrollments
    return d


# --- Example 1: Infrastructure ---------------------------------------------------------------------

def example1(partner_id="ex1"):
    first, last = EVERY_MONTH
    usage = []
    usage += acr_rows("T1", "azure/sql_database", first, last, 800)
    usage += acr_rows("T1", "azure/virtual_machines", first, last, 400)
    usage += acr_rows("T2", "azure/virtual_machines", first, last, 1000)
    usage += acr_rows("T3", "azure/app_service", first, "2024-06", 600)
    usage += acr_rows("T3", "azure/app_service", "2024-07", last, 1500)
    usage += acr_rows("T4", "azure/cosmos_db", "2024-01", "2025-04", 1100)
    usage += acr_rows("T4", "azure/cosmos_db", "2025-05", "2025-06", 2000)
    usage += acr_rows("T4", "azure/key_vault", "2025-05", "2025-06", 50)
    usage += acr_rows("T5", "azure/virtual_machines_licenses", first, last, 5000)
    return doc(
        partner_id, "2025-07-10",
        customers=[cust("T1", "C1", "smb"), cust("T2", "C2", "enterprise"), cust("T3", "C3", "enterprise"),
                   cust("T4", "C4", "smb"), cust("T5", "C5", "enterprise")],
        associations=[assoc("T1", "PAL", "2023-01-01"), assoc("T2", "CSP_T1", "2024-09-15"),
                      assoc("T3", "DPOR", "2022-03-01"), assoc("T4", "PAL", "2025-05-20"),
                      assoc("T5", "PAL", "2021-01-01", "2025-03-31")],
        usage=usage,
        people=[
            person("P1", cert("az_admin", "2024-02-01", "2026-02-01")),
            person("P2", cert("az_admin", "2024-08-01", "2025-08-01"), cert("ws_hybrid", "2024-03-01", "2026-03-01")),
            person("P3", "az_network"),
            person("P4", cert("az_architect", "2024-05-01", "2026-05-01")),
            person("P5", cert("az_architect", "2024-09-01", "2025-09-01"), cert("avd", "2024-10-01", "2025-10-01")),
        ])


# --- Example 2: Data & AI (Example 1 plus people) ---------------------------------------------------

def example2(partner_id="ex2"):
    d = example1(partner_id)
    people = {p["person_id"]: p for p in d["people"]}
    people["P4"]["certifications"].append(cert("fabric_analytics"))
    d["people"] += [
        person("P6", "az_dba", "fabric_data_eng"),
        person("P7", "az_ai_engineer"),
        person("P8", "pbi_analyst"),
        person("P9", "cosmos"),
        person("P10", "sql_ai_dev"),
        person("P11", "databricks"),
        person("P12", "mlops"),
    ]
    return d


def example2_names():
    """Example 2 with every certification given by canonical name or alias (§1.1.7), odd case,
    odd whitespace, and the "Microsoft Certified:" / "Microsoft 365 Certified:" prefixes; plus one
    unknown name and one upper-cased catalogue id, both of which must be ignored (§17.4, §17.11)."""
    d = example2("ex1names")
    names = {
        ("P1", "az_admin"): "  MICROSOFT CERTIFIED:   Azure   Administrator Associate  ",
        ("P2", "az_admin"): "microsoft certified: azure administrator associate",
        ("P2", "ws_hybrid"): "windows SERVER hybrid\tadministrator associate",
        ("P3", "az_network"): "Microsoft 365 Certified: Azure Network Engineer Associate",
        ("P4", "az_architect"): "Azure Solutions  Architect   EXPERT",
        ("P4", "fabric_analytics"): "Microsoft Certified: Fabric Analytics Engineer Associate",
        ("P5", "az_architect"): "  azure solutions architect expert",
        ("P5", "avd"): "Microsoft Certified: Azure Virtual Desktop Specialty",
        ("P6", "az_dba"): "AZURE DATABASE ADMINISTRATOR ASSOCIATE",
        ("P6", "fabric_data_eng"): "fabric  data  engineer  associate",
        ("P7", "az_ai_engineer"): "Microsoft Certified: Azure AI Engineer Associate",
        ("P8", "pbi_analyst"): "microsoft certified:  Data Analyst Associate",   # alias of pbi_analyst
        ("P9", "cosmos"): "Azure Cosmos DB Developer Specialty",
        ("P10", "sql_ai_dev"): "Sql Ai Developer Associate",
        ("P11", "databricks"): " Microsoft Certified: Azure Databricks Data Engineer Associate ",
        ("P12", "mlops"): "machine learning operations engineer associate",
    }
    for p in d["people"]:
        for c in p["certifications"]:
            c["name"] = names[(p["person_id"], c["name"])]
    d["people"][-1]["certifications"].append(cert("Microsoft Certified: Azure Quantum Wizard Expert"))
    # an id is matched case-sensitively; "AZ_ADMIN" is no id and, normalised, no name: ignored.
    d["people"].append(person("P13", "AZ_ADMIN"))
    return d


# --- Example 3: Security ---------------------------------------------------------------------------

def example3(partner_id="ex3", as_of="2025-07-10", enrollments=None):
    usage = []
    for m in months("2024-01", "2025-06"):
        usage.append(row("U1", "m365/defender_office365", m, paid=40, active=30))
    usage.append(row("U2", "m365/entra_id_p1", "2024-06", paid=120, active=60))
    usage.append(row("U2", "m365/entra_id_p1", "2025-06", paid=120, active=100))
    usage += acr_rows("U3", "azure/sentinel", "2024-08", "2025-06", 1000)
    return doc(
        partner_id, as_of,
        customers=[cust("U1", "CU1", "smb"), cust("U2", "CU2", "smb"), cust("U3", "CU3", "smb")],
        associations=[assoc("U1", "CSP_T1", "2024-10-01"),
                      assoc("U2", "CPOR", "2023-01-01", workload="m365/entra_id_p1"),
                      assoc("U3", "PAL", "2024-08-01")],
        usage=usage,
        people=[person("S1", "az_security_engineer", "soa", "identity_admin"),
                person("S2", "soa", "cyber_architect"),
                person("S3", "info_security_admin")],
        enrollments=enrollments)


# --- Example 4: Modern Work ------------------------------------------------------------------------

def example4():
    return doc(
        "ex4", "2025-07-10",
        customers=[cust("W1", "CW1", "enterprise"), cust("W2", "CW2", "smb"), cust("W3", "CW3", "smb")],
        associations=[assoc("W1", "DPOR", "2022-01-01"),
                      assoc("W1", "CPOR", "2022-06-01", workload="m365/exchange_online"),
                      assoc("W2", "CSP_T2", "2023-03-01"),
                      assoc("W3", "CPOR", "2025-02-10")],
        usage=[row("W1", "m365/exchange_online", "2024-06", paid=500, active=250),
               row("W1", "m365/exchange_online", "2025-06", paid=520, active=400),
               row("W2", "m365/teams", "2024-06", paid=200, active=60),
               row("W2", "m365/teams", "2025-06", paid=200, active=150),
               row("W3", "m365/apps", "2024-06", paid=40, active=10),
               row("W3", "m365/apps", "2025-01", paid=50, active=30),
               row("W3", "m365/apps", "2025-06", paid=50, active=45)],
        people=[person("Q1", "teams_admin"), person("Q2", "endpoint_admin"), person("Q3", "enterprise_admin")])


# --- Example 5: Business Applications --------------------------------------------------------------

def example5():
    usage = []
    for m, bc, pbi, sales in (("2024-06", (2000, 20), (500, 50), (3000, 15)),
                              ("2025-06", (2600, 26), (700, 70), (3000, 30))):
        usage.append(row("B1", "bizapps/business_central", m, revenue=bc[0], active=bc[1]))
        usage.append(row("B1", "bizapps/power_bi", m, revenue=pbi[0], active=pbi[1]))
        usage.append(row("B1", "bizapps/customer_insights", m, revenue=1000, active=20000))
        usage.append(row("B2", "bizapps/sales", m, revenue=sales[0], active=sales[1]))
    return doc(
        "ex5", "2025-07-10",
        customers=[cust("B1", "CB1", "smb"), cust("B2", "CB2", "smb")],
        associations=[assoc("B1", "CSP_T1", "2022-01-01"),
                      assoc("B1", "PAL", "2022-01-01", workload="bizapps/power_bi"),
                      assoc("B2", "DPOR", "2024-11-01")],
        usage=usage,
        people=[person("R1", "d365_bc"), person("R2", "pbi_analyst", "pp_developer"),
                person("R3", "d365_cs"), person("R4", "d365_bc_dev")])


# --- Example 6: Infrastructure, negative NCA -------------------------------------------------------

def example6():
    usage = []
    usage += acr_rows("N1", "azure/storage", "2023-07", "2025-06", 2000)
    usage += acr_rows("N2", "azure/app_service", "2023-07", "2024-06", 1200)
    usage += acr_rows("N2", "azure/app_service", "2024-07", "2025-06", 300)
    usage += acr_rows("N3", "azure/sql_database", "2023-07", "2024-12", 1500)
    return doc(
        "ex6", "2025-07-10",
        customers=[cust("N1", "CN1", "enterprise"), cust("N2", "CN2", "enterprise"), cust("N3", "CN3", "enterprise")],
        associations=[assoc(t, "PAL", "2020-01-01") for t in ("N1", "N2", "N3")],
        usage=usage)


# --- Example 7: Example 2 with P2's az_admin expiring 2025-07-05 -----------------------------------

def example7():
    d = example2("ex7")
    for p in d["people"]:
        if p["person_id"] == "P2":
            for c in p["certifications"]:
                if c["name"] == "az_admin":
                    c["expires"] = "2025-07-05"
    return d


# --- Example 8: pcs-2023, retired stack_hub --------------------------------------------------------

def example8():
    return doc(
        "ex8", "2024-03-15",
        people=[person("A1", cert("az_admin", "2023-01-15", "2025-01-15")),      # §17.15
                person("A2", cert("az_admin", "2023-01-15", "2025-01-15")),
                person("A3", cert("stack_hub", "2022-09-01", "2023-09-01")),
                person("A4", cert("stack_hub", "2021-06-01", "2022-06-01")),
                person("A5", cert("az_network", "2023-01-10", "2024-01-10"))])


# --- Example 9: Example 3 at 2025-07-20, enrolled or not -------------------------------------------

def example9(enrolled):
    enr = [{"area": "security", "enrolled": "2024-09-15", "anniversary": "2025-09-15"}] if enrolled else None
    return example3("ex9" if enrolled else "ex9n", "2025-07-20", enr)


# --- extra edge cases ------------------------------------------------------------------------------

def edge_mw_duplicates():
    """§1.1.3 duplicate rows merged before the per-row seat band; §1.1.4 end < start ignored."""
    return doc(
        "edge1", "2025-07-10",
        customers=[cust("D1", "CD1", "enterprise"), cust("D2", "CD2", "enterprise")],
        associations=[assoc("D1", "DPOR", "2020-01-01"),
                      assoc("D2", "DPOR", "2025-06-20", "2025-06-10")],   # end < start: ignored
        usage=[row("D1", "m365/teams", "2025-06", paid=200, active=100),
               row("D1", "m365/teams", "2025-06", paid=150, active=80),   # same key: merged to 350/180
               row("D2", "m365/teams", "2025-06", paid=400, active=300)])


def edge_money_rounding():
    """§17.1: cents = llround(x * 100.0) per row, in double, never from the decimal text."""
    return doc(
        "edge2", "2025-07-10",
        customers=[cust("R1", "CR1", "enterprise"), cust("R2", "CR2", "enterprise"), cust("R3", "CR3", "enterprise")],
        associations=[assoc(t, "PAL", "2020-01-01") for t in ("R1", "R2", "R3")],
        usage=[row("R1", "azure/sql_database", "2025-06", acr=999.995),    # 99999.5 -> 100000 cents
               row("R2", "azure/sql_database", "2025-06", acr=999.994),    # 99999.4 -> 99999 cents
               row("R3", "azure/sql_database", "2025-06", acr=998.99),     # 99899 cents
               row("R3", "azure/app_service", "2025-06", acr=1.005)])      # 100.49999999999999 -> 100 cents


def edge_cert_records():
    """§1.1.7 several records of one certification; §13 L = end of the unbroken run of validity."""
    return doc(
        "edge3", "2025-07-10",
        people=[
            # adjacent records: valid through 2025-07-20, the next one from 2025-07-21 -> run to 2026-07-15
            person("K1", cert("az_admin", "2024-07-01", "2025-07-20"), cert("az_admin", "2025-07-21", "2026-07-15")),
            person("K2", "az_admin"),
            person("K3", "az_developer"),
            # a gap (2025-07-21…07-24): the run starting at D ends 2025-07-20
            person("K4", cert("az_network", "2024-07-01", "2025-07-20"), cert("az_network", "2025-07-25", "2026-07-25")),
            # one lapsed record and one valid record: valid
            person("K5", cert("az_network", "2024-01-01", "2025-01-01"), cert("az_network", "2025-03-01", "2027-03-01")),
        ])


def edge_floor_doc(pid, amount, split=False):
    """The three older edge cases (edge_money_rounding_meets_floor, edge_money_rounding_below_floor,
    edge_duplicate_rows_merge): one enterprise tenant with azure/storage in 2025-05 and 2025-06."""
    usage = []
    for m in ("2025-05", "2025-06"):
        if split:
            usage += [row("F1", "azure/storage", m, acr=amount / 2), row("F1", "azure/storage", m, acr=amount / 2)]
        else:
            usage.append(row("F1", "azure/storage", m, acr=amount))
    return doc(pid, "2025-07-10", customers=[cust("F1", "CF1", "enterprise")],
               associations=[assoc("F1", "PAL", "2025-01-01")], usage=usage)


CASES = {
    "ex1_infrastructure": example1,
    "ex1_cert_names": example2_names,
    "ex2_data_ai": example2,
    "ex2_data_ai_pcs2023": example2,
    "ex3_security": example3,
    "ex4_modern_work": example4,
    "ex5_business_applications": example5,
    "ex6_negative_nca": example6,
    "ex7_expired_at_d": example7,
    "ex7_expiring_at_d0": example7,
    "ex8_retired_eligible": example8,
    "ex8_retired_after": example8,
    "ex9_renewal_due": lambda: example9(True),
    "ex9_not_enrolled": lambda: example9(False),
    "edge_mw_duplicate_rows_bad_association": edge_mw_duplicates,
    "edge_money_rounding_nca_floor": edge_money_rounding,
    "edge_cert_records_validity_run": edge_cert_records,
    "edge_money_rounding_meets_floor": lambda: edge_floor_doc("f1", 999.995),
    "edge_money_rounding_below_floor": lambda: edge_floor_doc("f2", 999.994),
    "edge_duplicate_rows_merge": lambda: edge_floor_doc("f3", 1000, split=True),
}


def dump(d):
    """One usage row, association, customer or person per line, so diffs stay readable."""
    lines = ["{"]
    items = list(d.items())
    for i, (k, v) in enumerate(items):
        sep = "," if i + 1 < len(items) else ""
        if isinstance(v, list):
            if not v:
                lines.append("  %s: []%s" % (json.dumps(k), sep))
                continue
            lines.append("  %s: [" % json.dumps(k))
            for j, e in enumerate(v):
                lines.append("    %s%s" % (json.dumps(e, ensure_ascii=False), "," if j + 1 < len(v) else ""))
            lines.append("  ]%s" % sep)
        else:
            lines.append("  %s: %s%s" % (json.dumps(k), json.dumps(v), sep))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    only = set(sys.argv[1:])
    for name, make in CASES.items():
        if only and name not in only:
            continue
        d = copy.deepcopy(make())
        os.makedirs(os.path.join(HERE, name), exist_ok=True)
        with open(os.path.join(HERE, name, "input.json"), "w", encoding="utf-8") as f:
            f.write(dump(d))


if __name__ == "__main__":
    main()
