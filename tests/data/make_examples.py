#!/usr/bin/env python3
"""Writes the golden cases of scoring.md §15 (input.json, args, expected.json, why.md).

Inputs are generated because the examples speak of "every month 2023-05…2025-06"; expected values
are only the numbers the spec states (or that follow directly from them). Run from this folder:
    python3 make_examples.py
"""
import json, os

def months(a, b):
    y, m = map(int, a.split("-")); Y, Mo = map(int, b.split("-"))
    out = []
    while (y, m) <= (Y, Mo):
        out.append(f"{y:04d}-{m:02d}"); m += 1
        if m == 13: y, m = y + 1, 1
    return out

EVERY = months("2023-05", "2025-06")
def u(t, w, mo, acr=0, rev=0, paid=0, act=0):
    return {"tenant_id": t, "workload": w, "month": mo, "acr_usd": acr, "revenue_usd": rev,
            "paid_units": paid, "active_units": act}
def cert(n, e="2025-01-15", x="2026-01-15"): return {"name": n, "earned": e, "expires": x}
def a(t, ty, w, s, e=None): return {"tenant_id": t, "type": ty, "workload": w, "start": s, "end": e}
def c(t, cu, seg): return {"tenant_id": t, "customer_id": cu, "segment": seg}
def m(metric, value=None, points=None):
    d = {"metric": metric}
    if value is not None: d["value"] = value
    if points is not None: d["points"] = points
    return d

def case(name, doc, expected, why, args=""):
    os.makedirs(name, exist_ok=True)
    with open(f"{name}/input.json", "w") as f: json.dump(doc, f, indent=1); f.write("\n")
    with open(f"{name}/expected.json", "w") as f: json.dump(expected, f, indent=1); f.write("\n")
    with open(f"{name}/why.md", "w") as f: f.write(why.strip() + "\n")
    if args:
        with open(f"{name}/args", "w") as f: f.write(args + "\n")
    elif os.path.exists(f"{name}/args"):
        os.remove(f"{name}/args")

# ---- Examples 1, 2, 7: the Azure partner -------------------------------------------------------------
def azure_usage():
    us = []
    for mo in EVERY:
        us += [u("T1", "azure/sql_database", mo, 800), u("T1", "azure/virtual_machines", mo, 400),
               u("T2", "azure/virtual_machines", mo, 1000),
               u("T3", "azure/app_service", mo, 600 if mo <= "2024-06" else 1500),
               u("T5", "azure/virtual_machines_licenses", mo, 5000)]
    for mo in months("2024-01", "2025-04"): us.append(u("T4", "azure/cosmos_db", mo, 1100))
    for mo in ("2025-05", "2025-06"): us += [u("T4", "azure/cosmos_db", mo, 2000), u("T4", "azure/key_vault", mo, 50)]
    return us

def ex1_people(names=False):
    n = (lambda i, nm: nm) if names else (lambda i, nm: i)
    return [
        {"person_id": "P1", "certifications": [cert(n("az_admin", "  AZURE administrator   Associate "), "2024-02-01", "2026-02-01")]},
        {"person_id": "P2", "certifications": [cert(n("az_admin", "Microsoft Certified: Azure Administrator Associate"), "2024-08-01", "2025-08-01"),
                                               cert(n("ws_hybrid", "windows server hybrid administrator associate"), "2024-03-01", "2026-03-01")]},
        {"person_id": "P3", "certifications": [cert(n("az_network", "Microsoft Certified:   Azure Network Engineer Associate"))]},
        {"person_id": "P4", "certifications": [cert(n("az_architect", "Azure Solutions Architect Expert"), "2024-05-01", "2026-05-01")]},
        {"person_id": "P5", "certifications": [cert(n("az_architect", "azure solutions architect expert"), "2024-09-01", "2025-09-01"),
                                               cert(n("avd", "Azure Virtual Desktop Specialty"), "2024-10-01", "2025-10-01")]},
    ]

def azure_doc(pid, people):
    return {"partner_id": pid, "as_of": "2025-07-10",
            "customers": [c("T1", "C1", "smb"), c("T2", "C2", "enterprise"), c("T3", "C3", "enterprise"),
                          c("T4", "C4", "smb"), c("T5", "C5", "enterprise")],
            "associations": [a("T1", "PAL", "*", "2023-01-01"), a("T2", "CSP_T1", "*", "2024-09-15"),
                             a("T3", "DPOR", "*", "2022-03-01"), a("T4", "PAL", "*", "2025-05-20"),
                             a("T5", "PAL", "*", "2021-01-01", "2025-03-31")],
            "usage": azure_usage(), "people": people}

ex1_infra = {"area": "infrastructure", "track": "enterprise", "score": 52.13, "qualified": False,
             "metrics": [m("net_customer_adds", 2, 20), m("intermediate_certifications", 2, 8),
                         m("advanced_certifications", 1, 4), m("usage_growth", 12.1323529, 12.13),
                         m("deployments", 4, 8)],
             "events": [{"event": "nca_at_risk", "payload": {"units_now": 2, "projected_units": 1, "projected_points": 10,
                                                              "total_after": 42.13,
                                                              "tenants": [{"tenant_id": "T3", "reason": "enters_comparison_window"}]}}]}
case("ex1_infrastructure", azure_doc("ex1", ex1_people()),
     {"partner_id": "ex1", "data_month": "2025-06", "rules": "pcs-2026", "areas": [ex1_infra]},
     "scoring.md §15 Example 1: Azure NCA with association dates (no back-credit), fractional usage growth "
     "(12.1323529 %), deployments without VMs, Infrastructure skilling gates; nca_at_risk projects 4 − 3 = 1.",
     "--area infrastructure")
case("ex1_cert_names", azure_doc("ex1n", ex1_people(names=True)),
     {"areas": [{"area": "infrastructure", "score": 52.13,
                 "metrics": [m("intermediate_certifications", 2, 8), m("advanced_certifications", 1, 4)]}]},
     "Example 1 with certifications given by canonical name, odd case, extra whitespace and the "
     "'Microsoft Certified:' prefix (§1.1.7): the same skilling points.", "--area infrastructure")

def ex2_people(p2_expires="2025-08-01"):
    ppl = ex1_people()
    ppl[1]["certifications"][0]["expires"] = p2_expires
    ppl[3]["certifications"].append(cert("fabric_analytics"))
    for pid, certs in (("P6", ["az_dba", "fabric_data_eng"]), ("P7", ["az_ai_engineer"]), ("P8", ["pbi_analyst"]),
                       ("P9", ["cosmos"]), ("P10", ["sql_ai_dev"]), ("P11", ["databricks"]), ("P12", ["mlops"])):
        ppl.append({"person_id": pid, "certifications": [cert(x) for x in certs]})
    return ppl

case("ex2_data_ai", azure_doc("ex2", ex2_people()),
     {"areas": [
         {"area": "data_ai", "track": "enterprise", "score": 72.13, "qualified": True, "status": "qualified",
          "metrics": [m("net_customer_adds", 2, 20), m("intermediate_certifications", 8, 32),
                      m("usage_growth", 12.1323529, 12.13), m("deployments", 4, 8)],
          "events": [
              {"event": "cert_expiring", "severity": "critical",
               "payload": {"person_id": "P2", "cert": "az_admin", "days_left": 23, "metric": "intermediate_certifications",
                           "points_before": 32, "points_after": 0, "total_before": 72.13, "total_after": 40.13,
                           "area_becomes_unqualified": True}},
              {"event": "cert_expiring", "severity": "critical",
               "payload": {"person_id": "P5", "cert": "az_architect", "days_left": 54, "total_after": 40.13,
                           "area_becomes_unqualified": True}},
              {"event": "nca_at_risk", "severity": "critical",
               "payload": {"total_before": 72.13, "total_after": 62.13, "area_becomes_unqualified": True}}]},
         {"area": "infrastructure", "score": 52.13,
          "events": [{"event": "cert_expiring", "payload": {"person_id": "P2", "cert": "az_admin", "points_before": 8, "points_after": 0}},
                     {"event": "cert_expiring", "payload": {"person_id": "P5", "cert": "az_architect",
                                                            "metric": "advanced_certifications", "points_before": 4, "points_after": 0}}]}]},
     "scoring.md §15 Example 2: Data & AI enterprise skilling steps (P6 counts once), qualified at 72.13; "
     "events at D: cert_expiring for P2 az_admin (23 days) and P5 az_architect (54 days), nca_at_risk 72.13 → 62.13.")
case("ex2_data_ai_pcs2023", azure_doc("ex2", ex2_people()),
     {"rules": "pcs-2023", "areas": [{"area": "data_ai", "track": "enterprise", "score": 56.13, "qualified": False,
                                      "metrics": [m("intermediate_certifications", 4, 16)]}]},
     "Example 2 under pcs-2023: only P6, P7, P8, P9 are on L2, intermediate 16, total 56.13.",
     "--rules pcs-2023 --area data_ai")
case("ex7_expired_at_d", azure_doc("ex7", ex2_people("2025-07-05")),
     {"areas": [{"area": "data_ai", "score": 40.13, "qualified": False, "metrics": [m("intermediate_certifications", 0, 0)]},
                {"area": "infrastructure", "score": 44.13, "metrics": [m("intermediate_certifications", 0, 0)]}]},
     "scoring.md §15 Example 7 at D: P2's az_admin expired 2025-07-05 < D, step 1 fails: Data & AI 40.13, "
     "Infrastructure 44.13.")
case("ex7_expiring_at_d0", azure_doc("ex7", ex2_people("2025-07-05")),
     {"as_of": "2025-07-01", "data_month": "2025-06",
      "areas": [{"area": "data_ai", "score": 72.13, "qualified": True,
                 "events": [{"event": "cert_expiring", "severity": "critical",
                             "payload": {"person_id": "P2", "cert": "az_admin", "last_valid_day": "2025-07-05", "days_left": 5,
                                         "metric": "intermediate_certifications", "points_before": 32, "points_after": 0,
                                         "total_before": 72.13, "total_after": 40.13, "area_becomes_unqualified": True}}]}]},
     "scoring.md §15 Example 7 at D0 = 2025-07-01 (same data month): 72.13 qualified; cert_expiring with "
     "days_left (2025-07-05 + 1) − 2025-07-01 = 5, critical.", "--as-of 2025-07-01 --area data_ai")

# ---- Example 3 and 9: Security ------------------------------------------------------------------------
def sec_doc(pid, as_of, enrollments=None):
    us = [u("U1", "m365/defender_office365", mo, paid=40, act=30) for mo in months("2024-01", "2025-06")]
    us += [u("U2", "m365/entra_id_p1", "2024-06", paid=120, act=60), u("U2", "m365/entra_id_p1", "2025-06", paid=120, act=100)]
    us += [u("U3", "azure/sentinel", mo, 1000) for mo in months("2024-08", "2025-06")]
    d = {"partner_id": pid, "as_of": as_of,
         "customers": [c("U1", "CU1", "smb"), c("U2", "CU2", "smb"), c("U3", "CU3", "smb")],
         "associations": [a("U1", "CSP_T1", "*", "2024-10-01"), a("U2", "CPOR", "m365/entra_id_p1", "2023-01-01"),
                          a("U3", "PAL", "*", "2024-08-01")],
         "usage": us,
         "people": [{"person_id": "S1", "certifications": [cert("az_security_engineer"), cert("soa"), cert("identity_admin")]},
                    {"person_id": "S2", "certifications": [cert("soa"), cert("cyber_architect")]},
                    {"person_id": "S3", "certifications": [cert("info_security_admin")]}]}
    if enrollments: d["enrollments"] = enrollments
    return d

case("ex3_security", sec_doc("ex3", "2025-07-10"),
     {"areas": [{"area": "security", "track": "smb", "score": 62.73, "qualified": False,
                 "metrics": [m("net_customer_adds", 2, 8), m("intermediate_certifications", 3, 32),
                             m("usage_growth", None, 16.07), m("deployments", 2, 6.67)],
                 "alternatives": [{"track": "enterprise", "score": 2, "qualified": False}],
                 "tracks": [{"track": "enterprise", "total": 2,
                             "metrics": [{"metric": "net_customer_adds", "points": 2}, {"metric": "intermediate_certifications", "points": 0},
                                         {"metric": "usage_growth", "points": 0}, {"metric": "deployments", "points": 0}]},
                            {"track": "smb", "total": 62.73,
                             "metrics": [{"metric": "net_customer_adds", "parts": [{"name": "azure", "units": 1, "points": 4},
                                                                                   {"name": "m365", "units": 1, "points": 4}]},
                                         {"metric": "usage_growth", "parts": [{"name": "azure", "units": 11000, "points": 14.67},
                                                                              {"name": "m365", "units": 70, "points": 1.4}]},
                                         {"metric": "deployments", "parts": [{"name": "azure", "units": 1, "points": 3.33},
                                                                             {"name": "m365", "units": 1, "points": 3.33}]}]}],
                 "events": [{"event": "near_threshold", "severity": "info", "payload": {"gap": 7.27}}]}]},
     "scoring.md §15 Example 3: Security parts floored and capped per part, SMB flat steps, sticky bands; "
     "SMB 62.73 beats enterprise 2; near_threshold with gap 7.27.", "--area security")
sec_enr = [{"area": "security", "enrolled": "2024-09-15", "anniversary": "2025-09-15"}]
case("ex9_renewal_due", sec_doc("ex9", "2025-07-20", sec_enr),
     {"data_month": "2025-06",
      "areas": [{"area": "security", "score": 62.73, "qualified": False, "status": "renewal_due", "can_renew": False,
                 "window": {"start": "2025-04-01", "end": "2025-09-30"}, "qualified_in_window": False,
                 "events": [{"event": "near_threshold", "payload": {"gap": 7.27}},
                            {"event": "renewal_reminder", "severity": "info",
                             "payload": {"days_left": 57, "threshold": 60, "anniversary": "2025-09-15"}},
                            {"event": "designation_at_risk", "severity": "warning", "payload": {"days_left": 57}}]}]},
     "scoring.md §15 Example 9: enrolled window 2025-04-01…2025-09-30 contains D = 2025-07-20: renewal_due, "
     "can_renew false; renewal_reminder (57 days, threshold 60, info), designation_at_risk (warning).",
     "--area security")
case("ex9_not_enrolled", sec_doc("ex9b", "2025-07-20"),
     {"areas": [{"area": "security", "score": 62.73, "status": "in_progress",
                 "window": {"start": "2025-02-01", "end": "2025-07-20"}, "qualified_in_window": False,
                 "!no_event": ["renewal_reminder", "designation_at_risk"]}]},
     "Example 9 without the enrollment: window 2025-02-01…2025-07-20, no qualified day: in_progress.",
     "--area security")

# ---- Example 4: Modern Work ----------------------------------------------------------------------------
ex4 = {"partner_id": "ex4", "as_of": "2025-07-10",
       "customers": [c("W1", "CW1", "enterprise"), c("W2", "CW2", "smb"), c("W3", "CW3", "smb")],
       "associations": [a("W1", "DPOR", "*", "2022-01-01"), a("W1", "CPOR", "m365/exchange_online", "2022-06-01"),
                        a("W2", "CSP_T2", "*", "2023-03-01"), a("W3", "CPOR", "*", "2025-02-10")],
       "usage": [u("W1", "m365/exchange_online", "2024-06", paid=500, act=250), u("W1", "m365/exchange_online", "2025-06", paid=520, act=400),
                 u("W2", "m365/teams", "2024-06", paid=200, act=60), u("W2", "m365/teams", "2025-06", paid=200, act=150),
                 u("W3", "m365/apps", "2024-06", paid=40, act=10), u("W3", "m365/apps", "2025-01", paid=50, act=30),
                 u("W3", "m365/apps", "2025-06", paid=50, act=45)],
       "people": [{"person_id": "Q1", "certifications": [cert("teams_admin")]},
                  {"person_id": "Q2", "certifications": [cert("endpoint_admin")]},
                  {"person_id": "Q3", "certifications": [cert("enterprise_admin")]}]}
case("ex4_modern_work", ex4,
     {"areas": [{"area": "modern_work", "track": "smb", "score": 30.85, "qualified": False,
                 "metrics": [m("net_customer_adds", 1, 2), m("intermediate_certifications", 2, 10),
                             m("advanced_certifications", 1, 15), m("usage_growth", 90, 1.35), m("deployments", None, 2.5)],
                 "alternatives": [{"track": "enterprise", "score": 17, "qualified": False}],
                 "tracks": [{"track": "enterprise", "total": 17,
                             "metrics": [{"metric": "net_customer_adds", "points": 0},
                                         {"metric": "intermediate_certifications", "points": 5},
                                         {"metric": "advanced_certifications", "points": 7.5},
                                         {"metric": "usage_growth", "points": 4.5, "winner": "CPOR",
                                          "options": [{"name": "CPOR", "units": 150, "points": 4.5},
                                                      {"name": "DPOR", "units": 150, "points": 1.13}]},
                                         {"metric": "deployments", "points": 0}]},
                            {"track": "smb", "total": 30.85,
                             "metrics": [{"metric": "usage_growth", "winner": "CSP",
                                          "options": [{"name": "CPOR", "units": 15, "points": 0.9},
                                                      {"name": "CSP", "units": 90, "points": 1.35}]},
                                         {"metric": "deployments", "winner": "CSP",
                                          "options": [{"name": "CPOR", "points": 0}, {"name": "CSP", "units": 1, "points": 2.5}]}]}],
                 "eligibility": [{"track": "smb", "metric": "deployments", "option": "CPOR", "tenant_id": "W3",
                                  "excluded_already_deployed": True}]}]},
     "scoring.md §15 Example 4: both Modern Work tracks, options (best wins), the pre-association baseline "
     "(W3: 45 − 30 = 15 → 0.9) and the already-deployed exclusion (W3 in the SMB CPOR deployments option).",
     "--area modern_work --explain")

# ---- Example 5: Business Applications -------------------------------------------------------------------
us = []
for mo, k in (("2024-06", 0), ("2025-06", 1)):
    us += [u("B1", "bizapps/business_central", mo, rev=[2000, 2600][k], act=[20, 26][k]),
           u("B1", "bizapps/power_bi", mo, rev=[500, 700][k], act=[50, 70][k]),
           u("B1", "bizapps/customer_insights", mo, rev=1000, act=20000),
           u("B2", "bizapps/sales", mo, rev=3000, act=[15, 30][k])]
ex5 = {"partner_id": "ex5", "as_of": "2025-07-10",
       "customers": [c("B1", "CB1", "smb"), c("B2", "CB2", "smb")],
       "associations": [a("B1", "CSP_T1", "*", "2022-01-01"), a("B1", "PAL", "bizapps/power_bi", "2022-01-01"),
                        a("B2", "DPOR", "*", "2024-11-01")],
       "usage": us,
       "people": [{"person_id": "R1", "certifications": [cert("d365_bc")]},
                  {"person_id": "R2", "certifications": [cert("pbi_analyst"), cert("pp_developer")]},
                  {"person_id": "R3", "certifications": [cert("d365_cs")]},
                  {"person_id": "R4", "certifications": [cert("d365_bc_dev")]}]}
case("ex5_business_applications", ex5,
     {"areas": [{"area": "business_applications", "track": "smb", "score": 56.5, "qualified": False,
                 "metrics": [m("net_customer_adds", 1, 3), m("intermediate_certifications", 3, 12),
                             m("advanced_certifications", 1, 7.5), m("usage_growth", 53.33, 30), m("deployments", 1, 4)]}]},
     "scoring.md §15 Example 5: MCV from the rate card, Customer Insights not credited (PAL only on Power BI), "
     "baseline 30,000 meets the SMB prerequisite 25,000, growth 53.33 % capped to 30; total 56.5.",
     "--area business_applications")

# ---- Example 6: negative net customer adds -----------------------------------------------------------------
us = []
for mo in months("2023-07", "2025-06"):
    us.append(u("N1", "azure/storage", mo, 2000))
    us.append(u("N2", "azure/app_service", mo, 1200 if mo <= "2024-06" else 300))
    if mo <= "2024-12": us.append(u("N3", "azure/sql_database", mo, 1500))
ex6 = {"partner_id": "ex6", "as_of": "2025-07-10",
       "customers": [c("N1", "CN1", "enterprise"), c("N2", "CN2", "enterprise"), c("N3", "CN3", "enterprise")],
       "associations": [a(t, "PAL", "*", "2020-01-01") for t in ("N1", "N2", "N3")],
       "usage": us, "people": []}
case("ex6_negative_nca", ex6,
     {"areas": [{"area": "infrastructure", "track": "enterprise", "score": 6, "qualified": False, "status": "in_progress",
                 "metrics": [m("net_customer_adds", -2, 0), m("intermediate_certifications", 0, 0),
                             m("advanced_certifications", 0, 0), m("usage_growth", -35.1063830, 0), m("deployments", 3, 6)],
                 "eligibility": [
                     {"metric": "net_customer_adds", "tenant_id": "N1", "customer_id": "CN1", "status": "no_effect", "effect": 0},
                     {"metric": "net_customer_adds", "tenant_id": "N2", "status": "not_met", "effect": -1, "current_value": 300},
                     {"metric": "net_customer_adds", "tenant_id": "N3", "status": "not_met", "effect": -1, "current_value": 0}]}]},
     "scoring.md §15 Example 6: net −2 floored to 0 with per-tenant rows (N1 no_effect, N2/N3 not_met), "
     "growth (36,600 − 56,400) / 56,400 = −35.1 % floored to 0, deployments 3 × 2 = 6, total 6, in_progress.",
     "--area infrastructure --explain")

# ---- Example 8: retired certification (pcs-2023) -------------------------------------------------------------
ex8 = {"partner_id": "ex8", "as_of": "2024-03-15",
       "people": [{"person_id": "A1", "certifications": [cert("az_admin", "2023-01-15", "2025-01-15")]},
                  {"person_id": "A2", "certifications": [cert("az_admin", "2023-01-15", "2025-01-15")]},
                  {"person_id": "A3", "certifications": [cert("stack_hub", "2022-09-01", "2023-09-01")]},
                  {"person_id": "A4", "certifications": [cert("stack_hub", "2021-06-01", "2022-06-01")]},
                  {"person_id": "A5", "certifications": [cert("az_network", "2023-01-10", "2024-01-10")]}]}
case("ex8_retired_eligible", ex8,
     {"rules": "pcs-2023", "areas": [{"area": "infrastructure", "track": "enterprise",
                                      "metrics": [m("intermediate_certifications", 1, 4)]}]},
     "scoring.md §15 Example 8 at D = 2024-03-15: stack_hub retired 2023-07-31, eligible until 2024-07-31; A3 "
     "counts (not lapsed before retirement), A4 does not (lapsed before), A5 expired: intermediate 4.",
     "--rules pcs-2023 --area infrastructure")
case("ex8_retired_after", ex8,
     {"rules": "pcs-2023", "areas": [{"area": "infrastructure", "metrics": [m("intermediate_certifications", 0, 0)]}]},
     "Example 8 at D = 2024-08-01: past eligible_until, A3 no longer counts: intermediate 0.",
     "--rules pcs-2023 --area infrastructure --as-of 2024-08-01")

# ---- Edge: money rounding (§17.1) and duplicate rows (§1.1.3) --------------------------------------------------
def floor_doc(pid, amount, split=False):
    us = []
    for mo in ("2025-05", "2025-06"):
        if split:
            us += [u("F1", "azure/storage", mo, amount / 2), u("F1", "azure/storage", mo, amount / 2)]
        else:
            us.append(u("F1", "azure/storage", mo, amount))
    return {"partner_id": pid, "as_of": "2025-07-10", "customers": [c("F1", "CF1", "enterprise")],
            "associations": [a("F1", "PAL", "*", "2025-01-01")], "usage": us}
case("edge_money_rounding_meets_floor", floor_doc("f1", 999.995),
     {"areas": [{"area": "infrastructure", "metrics": [m("net_customer_adds", 1, 10)]}]},
     "§17.1: 999.995 × 100.0 = 99999.5 in double, llround → 100,000 cents, which meets the enterprise NCA "
     "floor ≥ 100,000 cents (USD 1,000): net 1 → 10 points.", "--area infrastructure")
case("edge_money_rounding_below_floor", floor_doc("f2", 999.994),
     {"areas": [{"area": "infrastructure", "metrics": [m("net_customer_adds", 0, 0)]}]},
     "§17.1: 999.994 → 99,999 cents, below the floor: net 0.", "--area infrastructure")
case("edge_duplicate_rows_merge", floor_doc("f3", 1000, split=True),
     {"areas": [{"area": "infrastructure", "metrics": [m("net_customer_adds", 1, 10)]}]},
     "§1.1.3: two rows of 500 for the same (tenant, workload, month) merge into 1,000, meeting the floor.",
     "--area infrastructure")
