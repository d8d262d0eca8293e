"""Regenerate the workbooks in evidence_samples/ (deterministic; run from the repo root).

    python tools/make_samples.py
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

OUT = Path(__file__).resolve().parent.parent / "evidence_samples"
HEAD = ["Project", "Practice ID", "Work Product Name", "Evidence Type", "Status", "Version Date", "Owner", "Party",
        "Link", "Notes", "Weakness"]
D = dt.date


def row(project, practice, wp, etype="artifact", status="approved", date=None, owner="", party="", link="", notes="",
        weakness=""):
    return [project, practice, wp, etype, status, date, owner, party, link, notes, weakness]


ATLAS = [  # mature service: every practice adequately evidenced; one recorded weakness
    row("Atlas", "IWM.SP1.1", "Atlas defined process (tailored from OSSP v4)", date=D(2026, 3, 2), owner="J. Rivera", link="pal://atlas/process"),
    row("Atlas", "IWM.SP1.1", "Tailoring record and waivers log", date=D(2026, 3, 2), owner="J. Rivera"),
    row("Atlas", "IWM SP 1.2", "Effort estimates from the measurement repository", date=D(2026, 3, 10), owner="K. Osei"),
    row("Atlas", "IWM SP 1.2", "Atlas service plan v3", status="baselined", date=D(2026, 3, 20), owner="K. Osei"),
    row("Atlas", "IWM SP 1.3", "Tools inventory for the work environment", date=D(2026, 2, 14), owner="Ops"),
    row("Atlas", "IWM SP 1.3", "Service desk runbook", date=D(2026, 2, 14), owner="Ops"),
    row("Atlas", "IWM SP 1.4", "Integrated service plan (QA, CM, risk, training)", status="baselined", date=D(2026, 4, 1), owner="K. Osei"),
    row("Atlas", "IWM SP 1.5", "Monthly metrics dashboard with actuals", date=D(2026, 10, 31), owner="PMO"),
    row("Atlas", "IWM SP 1.6", "Atlas shared vision statement", date=D(2026, 1, 20), owner="K. Osei"),
    row("Atlas", "IWM SP 1.6", "Team roster and assignments", date=D(2026, 9, 1), owner="K. Osei"),
    row("Atlas", "IWM SP 1.6", "Team charter - service delivery team", date=D(2026, 1, 20), owner="K. Osei"),
    row("Atlas", "IWM SP 1.7", "Process measures submitted to the measurement repository", date=D(2026, 10, 5), owner="PMO"),
    row("Atlas", "IWM SP 1.7", "Lessons learned submitted to the PAL", date=D(2026, 10, 5), owner="PMO"),
    row("Atlas", "IWM SP 2.1", "Steering meeting agendas and minutes", date=D(2026, 11, 2), owner="K. Osei"),
    row("Atlas", "IWM SP 2.1", "Stakeholder issue log", date=D(2026, 11, 2), owner="K. Osei"),
    row("Atlas", "IWM SP 2.2", "Critical dependencies register", date=D(2026, 10, 12), owner="K. Osei"),
    row("Atlas", "IWM SP 2.2", "Operational level agreement with Network team", date=D(2026, 5, 5), owner="K. Osei"),
    row("Atlas", "IWM SP 2.2", "Dependency status report October", date=D(2026, 10, 30), owner="K. Osei"),
    row("Atlas", "IWM SP 2.3", "Coordination issues register", date=D(2026, 11, 2), owner="K. Osei"),
    row("Atlas", "IWM SP 2.3", "Issue status and escalation report", date=D(2026, 11, 2), owner="K. Osei",
        weakness="Two escalations open for more than 60 days without an owner"),
    row("Atlas", "IWM SP 2.3", "Interview with the service owner", etype="affirmation", status="", owner="Appraisal team"),
    row("Atlas", "WP SP 2.7", "Atlas service plan v3", status="baselined", date=D(2026, 3, 20), owner="K. Osei"),
    row("Atlas", "WP SP 2.7", "Service lifecycle and phase model", date=D(2026, 3, 20)),
    row("Atlas", "WP SP 2.7", "Work breakdown structure and task list", date=D(2026, 3, 20)),
    row("Atlas", "WP SP 2.7", "Budget and schedule baseline FY26", status="baselined", date=D(2026, 3, 20)),
    row("Atlas", "WP SP 2.7", "Milestone chart", date=D(2026, 3, 20)),
    row("Atlas", "WP SP 2.7", "Data management plan", date=D(2026, 3, 20)),
    row("Atlas", "WP SP 2.7", "Risk register", date=D(2026, 10, 30)),
    row("Atlas", "WP SP 2.7", "Resource and skills plan", date=D(2026, 3, 20)),
    row("Atlas", "WP SP 2.7", "Stakeholder communication plan", date=D(2026, 3, 20)),
    row("Atlas", "WP SP 2.7", "RACI chart (infrastructure and authority)", date=D(2026, 3, 20)),
]

BOREALIS = [  # partial: planning in place, integration and coordination weak
    row("Borealis", "IWM.SP1.1", "Borealis tailored process description", status="draft", date=D(2026, 8, 1)),
    row("Borealis", "IWM.SP1.2", "Cost estimates workbook", date=D(2024, 6, 1)),
    row("Borealis", "IWM.SP1.2", "Borealis project plan", date=D(2026, 7, 1)),
    row("Borealis", "IWM.SP1.4", "Kick-off presentation", date=D(2026, 7, 1)),
    row("Borealis", "IWM.SP1.6", "Team roster", date=D(2026, 7, 1)),
    row("Borealis", "IWM.SP2.1", "Weekly meeting minutes", date=D(2026, 11, 10)),
    row("Borealis", "IWM.SP2.1", "PM interview notes", etype="affirmation", status=""),
    row("Borealis", "WP.SP2.7", "Borealis project plan", date=D(2026, 7, 1)),
    row("Borealis", "WP.SP2.7", "Project schedule", date=D(2026, 7, 1)),
    row("Borealis", "WP.SP2.7", "Risk list", status="in_review", date=D(2026, 7, 1)),
]

CYGNUS = [  # deliberate mistakes: each bad row is rejected with a reason and a hint
    row("Cygnus", "IWM.SP1.1", "Cygnus defined process", date=D(2026, 5, 5)),
    row("Cygnus", "IWM.SP1.9", "Organizational training plan", date=D(2026, 5, 5)),          # unknown practice
    row("Cygnus", "IWM.SP1.4", "", date=D(2026, 5, 5)),                                         # empty work product
    row("Cygnus", "IWM.SP1.4", "Integrated plan", date="31/13/2026"),                           # date does not parse
    row("Cygnus", "IWM.SP1.6", "Team charter", status="signed", date=D(2026, 5, 5)),            # unknown status
    row("Cygnus", "IWM.SP1.6", "Shared vision", etype="rumour", date=D(2026, 5, 5)),            # unknown evidence type
    row("Cygnus", "", "Team roster", date=D(2026, 5, 5)),                                       # empty practice
    [None] * len(HEAD),                                                                          # blank row (skipped)
    row("Cygnus", "WP.SP2.7", "Cygnus work plan", status="approved", date="2026-04-30"),       # ISO text date: fine
    row("Cygnus", "IWM 2.1", "Stakeholder meeting agenda", date=D(2026, 6, 1)),                # alias without SP: fine
]


DELTA = [  # a service transition project assessed against IWM, WP, ITIL TPS and PM/SM integration at once
    # ITIL Transition Planning and Support
    row("Delta", "TPS.STRATEGY", "Delta transition strategy", date=D(2026, 2, 1), party="provider"),
    row("Delta", "TPS.PREPARE", "Service design package review record", date=D(2026, 2, 20)),
    row("Delta", "TPS.PREPARE", "Transition readiness assessment", date=D(2026, 3, 1)),
    row("Delta", "TPS.INIT", "Transition project charter", date=D(2026, 1, 15)),
    row("Delta", "TPS.INIT", "Stakeholder register", date=D(2026, 1, 15)),
    row("Delta", "TPS.INIT", "RACI matrix for transition roles", date=D(2026, 1, 15)),
    row("Delta", "TPS.INIT", "RAID log", date=D(2026, 10, 20)),
    row("Delta", "TPS.PLAN", "Service transition plan v2", status="baselined", date=D(2026, 3, 15)),
    row("Delta", "TPS.CONTROL", "Issue log", date=D(2026, 11, 5)),
    row("Delta", "TPS.CONTROL", "Risk log", date=D(2026, 11, 5)),
    row("Delta", "TPS.REPORT", "Transition status report week 44", date=D(2026, 11, 6)),
    row("Delta", "TPS.CLOSE", "Lessons learned report (draft)", status="draft", date=D(2026, 11, 10)),
    # CMMI IWM / WP evidence recorded directly
    row("Delta", "IWM.SP1.1", "Delta tailored process for transition projects", date=D(2026, 1, 20)),
    row("Delta", "IWM.SP1.4", "Integrated transition plan (change schedule, release, test, continuity)", date=D(2026, 3, 15)),
    row("Delta", "IWM.SP1.5", "Progress tracking workbook with actuals", date=D(2026, 11, 5)),
    row("Delta", "IWM.SP1.5", "Interview with the transition manager", etype="affirmation", status=""),
    row("Delta", "WP.SP2.7", "Delta project management plan", date=D(2026, 3, 15)),
    # PM / SM integration (PMBOK process groups x ITIL)
    row("Delta", "PMI.INIT.CHARTER", "Project charter with total cost of ownership", date=D(2026, 1, 10)),
    row("Delta", "PMI.MC.CHANGE", "RFC-1042 with CAB decision", date=D(2026, 6, 2)),
    row("Delta", "PMI.EXEC.ELS", "Early life support exit criteria", date=D(2026, 9, 1)),
]


GENERIC_HEAD = ["Project", "Process Area", "Practice", "Work Product", "Status", "Date", "Owner"]
ATLAS_GENERIC = [  # Atlas institutionalization evidence (generic practices) for IWM and WP
    ["Atlas", "IWM", "GP 2.1", "Organizational policy for integrated work management", "approved", D(2026, 1, 10), "EPG"],
    ["Atlas", "IWM", "GP 2.3", "Resource allocation approval FY26 (staff and tools)", "approved", D(2026, 1, 15), "Service owner"],
    ["Atlas", "IWM", "GP 2.4", "RACI for the integrated plan and coordination roles", "approved", D(2026, 2, 1), "K. Osei"],
    ["Atlas", "IWM", "GP 2.5", "Training records: defined-process and IWM workshop", "approved", D(2026, 4, 20), "HR"],
    ["Atlas", "IWM", "GP 2.6", "Configuration register of plan and process baselines", "baselined", D(2026, 4, 1), "CM"],
    ["Atlas", "IWM", "GP 2.7", "Stakeholder involvement matrix and meeting minutes", "approved", D(2026, 11, 2), "K. Osei"],
    ["Atlas", "IWM", "GP 2.8", "Monthly status report with corrective actions", "approved", D(2026, 10, 31), "PMO"],
    ["Atlas", "IWM", "GP 2.9", "QA audit report: integrated work management", "approved", D(2026, 9, 15), "QA"],
    ["Atlas", "IWM", "GP 2.10", "Quarterly management review minutes", "approved", D(2026, 10, 1), "Service owner"],
    ["Atlas", "IWM", "GP 3.2", "Lessons learned and process measures submitted to the PAL", "approved", D(2026, 10, 5), "PMO"],
    ["Atlas", "WP", "GP 2.1", "Organizational policy for work planning", "approved", D(2026, 1, 10), "EPG"],
    ["Atlas", "WP", "GP 2.2", "Plan for performing work planning (planning calendar)", "approved", D(2026, 1, 20), "K. Osei"],
    ["Atlas", "WP", "GP 2.3", "Resource allocation for planning (estimation tool licences)", "approved", D(2026, 1, 15), "PMO"],
    ["Atlas", "WP", "GP 2.4", "Planning responsibilities in the RACI", "approved", D(2026, 2, 1), "K. Osei"],
    ["Atlas", "WP", "GP 2.5", "Training records: estimation and planning course", "approved", D(2026, 3, 3), "HR"],
    ["Atlas", "WP", "GP 2.6", "Version history of the service plan (configuration log)", "baselined", D(2026, 3, 20), "CM"],
    ["Atlas", "WP", "GP 2.7", "Stakeholder review of the plan: meeting minutes", "approved", D(2026, 3, 18), "K. Osei"],
    ["Atlas", "WP", "GP 2.8", "Plan monitoring: progress report against the plan", "approved", D(2026, 10, 31), "PMO"],
    ["Atlas", "WP", "GP 2.9", "QA audit report: work planning", "approved", D(2026, 9, 15), "QA"],
    ["Atlas", "WP", "GP 2.10", "Quarterly management review minutes (planning)", "approved", D(2026, 10, 1), "Service owner"],
]


def write_xlsx(path: Path, rows: list[list], *, title: str | None = None, head: list[str] = HEAD) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Evidence"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
        ws["A1"].font = Font(bold=True, size=14)
        ws.append(["Prepared for the SCAMPI readiness review"])
        ws.append([])
    ws.append(head)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    for r in ws.iter_rows():
        for c in r:
            if isinstance(c.value, dt.date):
                c.number_format = "yyyy-mm-dd"
            c.alignment = Alignment(wrap_text=False)
    wb.save(path)


def write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for r in rows:
            w.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in r])


def main() -> None:
    OUT.mkdir(exist_ok=True)
    write_xlsx(OUT / "atlas-mature.xlsx", ATLAS, title="Atlas managed service - IWM evidence register")
    write_xlsx(OUT / "atlas-generic-practices.xlsx", ATLAS_GENERIC, head=GENERIC_HEAD)
    write_csv(OUT / "borealis-partial.csv", BOREALIS)
    write_xlsx(OUT / "cygnus-with-mistakes.xlsx", CYGNUS)
    write_xlsx(OUT / "delta-service-transition.xlsx", DELTA, title="Delta data-centre move - transition evidence")
    print(f"wrote samples to {OUT}")


if __name__ == "__main__":
    main()
