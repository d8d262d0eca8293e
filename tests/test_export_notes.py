"""What every report shows beyond the characterizations, read back from the real files: capability
levels, the appraisal team's notes and recorded characterizations, input warnings, the CMMI
V2.0/V3.0 bridge, the run's coverage figure, and the files the CLI says it wrote."""
from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from iwm_rules import api
from iwm_rules.assessment import weighted_coverage
from iwm_rules.cli import main
from iwm_rules.exporters import export, html_export, junit_export, md_export, view
from iwm_rules.exporters.json_export import schema
from iwm_rules.exporters.labels import COLOURS, LEVEL_COLOURS, NOTE_COLOURS

from .conftest import ROOT
from .test_export_md import _with_levels
from .test_kits import instance, oedb

INJECTED = "@SUM(A1) record tailoring decisions"
ALL = ("json", "xlsx", "csv", "html", "md", "junit")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """An OEdb kit (team ratings, strengths, recommendations, V2.0 ids through the bridge), Atlas's
    samples with generic practices, and a tailoring entry for a project the evidence lacks; every
    format written by the CLI. Returns (data, output folder, CLI output)."""
    base = tmp_path_factory.mktemp("notes")
    src = base / "in"
    src.mkdir()
    oedb(src / "orion-kit.xlsx", [
        ("MC 3.1", [instance("MC 3.1", "Orion", rating="FM", strength="Weekly steering meeting",
                             recommendation="Add risks to the status report"),
                    ("Orion", "Orion monthly status report", "u1")]),
        ("PLAN 2.7", [instance("PLAN 2.7", "Orion", rating="Fully Meets"), ("Orion", "Orion project plan", "u2")]),
        ("PLAN 3.1", [instance("PLAN 3.1", "Orion", rating="LM", recommendation=INJECTED)]),
    ])
    for name in ("atlas-mature.xlsx", "atlas-generic-practices.xlsx"):
        shutil.copy(ROOT / "evidence_samples" / name, src / name)
    tailoring = base / "tailoring.yaml"
    tailoring.write_text("tailoring:\n  - {project: Zephyr, practice: IWM.SP1.6, status: not_yet}\n", encoding="utf-8")
    out = base / "out"
    res = CliRunner().invoke(main, ["assess", str(src), "-o", str(out), "--as-of", "2026-11-30", "-f", ",".join(ALL),
                                    "-r", "cmmi-generic", "-r", "cmmi-svc-iwm", "-r", "cmmi-svc-wp",
                                    "--apply-to", "IWM,WP", "--tailoring", str(tailoring)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema())
    # the case holds what the reports must show
    assert data["disagreements"] and any(pr.get("strengths") for p in data["projects"] for pr in p["practices"])
    assert any(w.get("kind") == "tailoring_unknown_project" for w in data["input"]["warnings"])
    assert data["input"]["bridge"]["rows"] > 0 and view.level_rows(data)
    return data, out, res.output


def practice(data, project, pid):
    return next(pr for p in data["projects"] if p["project"] == project for pr in p["practices"] if pr["practice"] == pid)


def note_records(data):
    """(project, practice, kind, text, file, sheet, row) of every strength and recommendation, the
    source resolved through ``ref``."""
    out = []
    for p in data["projects"]:
        for pr in p["practices"]:
            for kind, key in (("strength", "strengths"), ("recommendation", "recommendations")):
                for n in pr[key]:
                    ev = data["evidence"][n["ref"]]
                    out.append((p["project"], pr["practice"], kind, n["text"], ev["file"], ev["sheet"], ev["row"]))
    return out


def rows(ws, first=2):
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def fill(cell) -> str:
    return cell.fill.fgColor.rgb[-6:]


# ---- the coverage figure -----------------------------------------------------------------------------------

def test_result_carries_the_coverage_every_report_reads(run, tmp_path):
    data, out, _ = run
    assert data["coverage"] == pytest.approx(weighted_coverage(data["projects"]))
    assert view.overall_coverage(data) == data["coverage"]
    ws = openpyxl.load_workbook(out / "assessment.xlsx")["Summary"]
    assert ws["A3"].value == "Overall coverage" and ws["B3"].value == pytest.approx(data["coverage"])
    assert view.pct(data["coverage"], 1) in (out / "assessment.md").read_text(encoding="utf-8")
    # reports read the figure, never recompute it: a result saying 90% is reported as 90%
    said = copy.deepcopy(data)
    said["coverage"] = 0.9
    said["options"] = {"fail_under": 85}
    assert "overall coverage **90.0%**" in md_export.render(said)
    assert "90.0%" in html_export.render(said)
    case = [c for c in junit_export.build(said).iter("testcase") if c.get("name") == "coverage >= 85%"]
    assert case and case[0].find("failure") is None
    said.pop("coverage")
    assert view.overall_coverage(said) is None
    assert "overall coverage **n/a**" in md_export.render(said)


def test_cli_lists_every_file_written(run, tmp_path):
    _, out, output = run
    written = [line[len("wrote "):] for line in output.splitlines() if line.startswith("wrote ")]
    assert sorted(Path(p).name for p in written) == sorted(p.name for p in out.iterdir())
    for name in ("practices.csv", "gaps.csv", "evidence.csv", "notes.csv"):
        assert str(out / name) in written
    res = CliRunner().invoke(main, ["assess", str(ROOT / "evidence_samples" / "borealis-partial.csv"), "-o",
                                    str(tmp_path), "-f", "csv", "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    assert [line for line in res.output.splitlines() if line.startswith("wrote ")] == [
        f"wrote {tmp_path / n}" for n in ("practices.csv", "gaps.csv", "evidence.csv", "notes.csv")]


# ---- xlsx ------------------------------------------------------------------------------------------------

def test_xlsx_summary_levels_table(run):
    data, out, _ = run
    ws = openpyxl.load_workbook(out / "assessment.xlsx")["Summary"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    head = cells["process area"].row
    table = [r for r in ws.iter_rows(min_row=head + 1, max_row=head + 40) if r[1].value in ("IWM", "WP")]
    want = [(name, rec["process_area"]) for name, recs, _ in view.level_rows(data) for rec in recs]
    assert [(r[0].value, r[1].value) for r in table] == want
    assert want[-1][0] == "organization"
    for r, rec in zip(table, [rec for _, recs, _ in view.level_rows(data) for rec in recs]):
        level = rec["capability_level"]
        assert r[2].value.rstrip("*") == level.replace("_", " ") and fill(r[2]) == LEVEL_COLOURS[level][0]
        assert r[3].value == rec["at_least"]
        assert (r[4].value, r[5].value) == (rec["ml2"].replace("_", " "), rec["ml3"].replace("_", " "))
        # "subject to team judgment" is marked
        assert (r[9].value == "yes") == bool(rec["judgment_required"]) == r[2].value.endswith("*")


def test_xlsx_not_rated_level_shows_the_level_reached(tmp_path, run):
    data, _, _ = run
    d = _with_levels(data)  # organization IWM: not_rated, at least CL1, judgment required
    ws = openpyxl.load_workbook(export(d, tmp_path / "a.xlsx"))["Summary"]
    org = next(r for r in ws.iter_rows() if r[0].value == "organization" and r[1].value == "IWM")
    assert (org[2].value, org[3].value, org[4].value, org[9].value) == ("not rated*", "CL1", "not rated", "yes")
    assert fill(org[2]) == LEVEL_COLOURS["not_rated"][0]


def test_xlsx_summary_inputs_warnings_and_bridge(run):
    data, out, _ = run
    ws = openpyxl.load_workbook(out / "assessment.xlsx")["Summary"]
    values = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True)]
    flat = [v for r in values for v in r]
    w = next(w for w in data["input"]["warnings"] if w["kind"] == "tailoring_unknown_project")
    assert ["tailoring unknown project", w["message"]] == [v for v in next(r for r in values if w["message"] in r)
                                                         if v in ("tailoring unknown project", w["message"])]
    assert f"Input warnings ({len(data['input']['warnings'])})" in flat
    bridge = data["input"]["bridge"]
    line = next(v for v in flat if isinstance(v, str) and v.startswith("on: "))
    assert f"{bridge['rows']} evidence row(s)" in line and all(f"{k} ({n})" in line for k, n in bridge["rulesets"].items())
    used = [(m["from"], m["to"], m["relationship"], m["rows"]) for m in data["mappings_used"] if m.get("bridge")]
    assert used and all(list(u) == r[:4] for u, r in zip(used, [r for r in values if r and r[0] in {u[0] for u in used}]))


def test_xlsx_team_notes_and_disagreements_sheets(run):
    data, out, _ = run
    wb = openpyxl.load_workbook(out / "assessment.xlsx")
    notes = wb["Team notes"]
    header = [c.value for c in notes[1]]
    got = [(r[0], r[2], r[4], r[5], r[9], r[10], r[11]) for r in rows(notes)[:len(note_records(data))]]
    assert got == note_records(data) and len(got) == 3
    assert header[6:8] == ["characterization", "recorded"]
    # a strength is shown in the strength colour, never in a gap / NI colour
    for r in range(2, 2 + len(got)):
        kind = notes.cell(r, 5)
        assert fill(kind) == NOTE_COLOURS[kind.value][0] != COLOURS["NI"][0]
    dis = wb["Disagreements"]
    got = [r[:7] + (r[9],) for r in rows(dis)[:len(data["disagreements"])]]
    assert got == [(d["project"], d["ruleset"], d["practice"], d["recorded"], d["recorded_as"], d["characterization"],
                    d["reason"], data["evidence"][d["ref"]]["row"]) for d in data["disagreements"]]
    assert fill(dis.cell(2, 6)) == COLOURS[data["disagreements"][0]["characterization"]][0]


def test_xlsx_matrix_marks_recorded_against_computed(run):
    data, out, _ = run
    ws = openpyxl.load_workbook(out / "assessment.xlsx")["Matrix"]
    header = [c.value for c in ws[3]]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "Orion")
    for p in (p for p in data["projects"] if p["project"] == "Orion"):
        for pr in p["practices"]:
            cell = ws.cell(row, header.index(pr["practice"]) + 1)
            differs = pr.get("recorded") and pr["recorded"] != pr["characterization"]
            assert cell.value == (f"{pr['characterization']} ≠{pr['recorded']}" if differs else pr["characterization"])
            assert fill(cell) == COLOURS[pr["characterization"]][0]
    assert sum("≠" in str(c.value) for r in ws.iter_rows() for c in r) >= len(data["disagreements"])


def test_xlsx_new_cells_are_never_formulas_and_not_read_back_as_evidence(run):
    data, out, _ = run
    wb = openpyxl.load_workbook(out / "assessment.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    assert any(r[5] == INJECTED for r in rows(wb["Team notes"]))
    # given back to assess, only the Evidence sheet is evidence: Team notes / Disagreements are not
    again = api.run_assessment([out / "assessment.xlsx"], rulesets=["cmmi-generic", "cmmi-svc-iwm", "cmmi-svc-wp"])
    sheets = {e["sheet"] for e in again.data["evidence"]} | {r["sheet"] for r in again.data["input"]["rejected"]}
    assert sheets == {"Evidence"}


# ---- csv ---------------------------------------------------------------------------------------------------

def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_practices_carry_recorded_and_note_counts(run):
    data, out, _ = run
    got = {(r["project"], r["practice"]): r for r in read_csv(out / "practices.csv")}
    for p in data["projects"]:
        for pr in p["practices"]:
            r = got[(p["project"], pr["practice"])]
            assert r["recorded"] == (pr.get("recorded_as") or "")
            assert (int(r["strengths"]), int(r["recommendations"])) == (len(pr["strengths"]), len(pr["recommendations"]))
    assert got[("Orion", "IWM.SP1.5")]["recorded"] == "FM"


def test_csv_notes_file(run):
    data, out, _ = run
    notes = read_csv(out / "notes.csv")
    team = [(r["project"], r["practice"], r["kind"], r["text"], r["file"], r["sheet"], int(r["row"]))
            for r in notes if r["kind"] != "disagreement"]
    want = [n[:3] + (("'" + n[3]) if n[3].startswith("@") else n[3],) + n[4:] for n in note_records(data)]
    assert team == want  # the formula-like recommendation is prefixed with '
    dis = [(r["project"], r["practice"], r["recorded"], r["characterization"]) for r in notes if r["kind"] == "disagreement"]
    assert dis == [(d["project"], d["practice"], d["recorded_as"], d["characterization"]) for d in data["disagreements"]]


# ---- HTML and Markdown -------------------------------------------------------------------------------------

def section(text, sid):
    return text.split(f'<section id="{sid}">', 1)[1].split("</section>", 1)[0]


def test_html_team_notes_section(run):
    data, out, _ = run
    text = (out / "assessment.html").read_text(encoding="utf-8")
    team = section(text, "team")
    dis = team.split('<table id="disagreements">', 1)[1].split("</table>", 1)[0]
    assert dis.count("<tr data-project=") == len(data["disagreements"])
    for d in data["disagreements"]:
        assert f'<span class="lab c-{d["recorded"]}" title="recorded as {d["recorded_as"]}">' in dis
        assert f'PLAN] row {data["evidence"][d["ref"]]["row"]}' in dis
    notes = team.split('<table id="team-notes">', 1)[1].split("</table>", 1)[0]
    assert notes.count('class="tn n-strength"') == 1 and notes.count('class="tn n-recommendation"') == 2
    assert "Weekly steering meeting" in notes and "@SUM(A1) record tailoring decisions" in notes
    # strengths are not gaps
    assert "Weekly steering meeting" not in section(text, "gaps")
    # the heat map marks a recorded characterization the evidence does not support
    heat = section(text, "heatmap")
    assert heat.count("<sup>≠</sup>") == len(data["disagreements"])
    assert "the appraisal team recorded LM" in heat
    assert 'href="#team"' in text
    # the gap list points from a practice's gaps to what the team recorded for it
    gaps = section(text, "gaps")
    assert '<a class="tnl" href="#team">team recorded FM</a>' in gaps  # WP.SP2.7
    assert '<a class="tnl" href="#team">team recorded LM · 1 team note(s)</a>' in gaps  # IWM.SP1.1


def test_html_inputs_bridge_and_warning_kinds(run):
    data, out, _ = run
    inputs = section((out / "assessment.html").read_text(encoding="utf-8"), "inputs")
    bridge = inputs.split('<table id="bridge-rows">', 1)[1].split("</table>", 1)[0]
    used = [m for m in data["mappings_used"] if m.get("bridge")]
    assert bridge.count("<tr><td><strong>") == len(used)
    for m in used:
        assert f"<td><strong>{m['from']}</strong></td><td>{m['to']}</td><td>{m['relationship']}</td>" in bridge
    assert f"{data['input']['bridge']['rows']} evidence row(s)" in inputs
    assert '<span class="sev">tailoring unknown project</span>' in inputs


def test_html_levels_show_the_organization(run):
    data, out, _ = run
    levels = section((out / "assessment.html").read_text(encoding="utf-8"), "levels")
    org = levels.split('<tr class="org"><th>Organization</th>', 1)[1].split("</tr>", 1)[0]
    for rec in data["organization"]["levels"]:
        assert f'<strong class="lab l-{rec["capability_level"]}">{view.level_text(rec)}</strong>' \
               + ("*" if rec["judgment_required"] else "") in org


def test_markdown_disagreements_bridge_and_warnings(run):
    data, out, _ = run
    text = (out / "assessment.md").read_text(encoding="utf-8")
    assert f"### Recorded vs evidence ({len(data['disagreements'])} disagreement(s))" in text
    for d in data["disagreements"]:
        assert f"- **{d['project']} {md_export.cell(d['practice'])}**: recorded {d['recorded_as']}, evidence supports " \
               f"{d['characterization']}: " in text
    assert "recorded 1 strength(s) and 2 recommendation(s)" in text
    assert f"bridge (derived, not an official model mapping): {data['input']['bridge']['rows']} row(s)" in text
    assert "1 tailoring unknown project" in text
    assert "### Capability levels" in text


def test_reports_without_team_notes_stay_quiet(run, tmp_path):
    data, _, _ = run
    d = copy.deepcopy(data)
    d["disagreements"] = []
    for p in d["projects"]:
        for pr in p["practices"]:
            pr["strengths"], pr["recommendations"] = [], []
            pr.pop("recorded", None)
            pr.pop("recorded_as", None)
    assert 'id="team"' not in html_export.render(d) and "Recorded vs evidence" not in md_export.render(d)
    wb = openpyxl.load_workbook(export(d, tmp_path / "a.xlsx"))
    assert rows(wb["Team notes"]) [-1][0].startswith("No strength or recommendation")
    assert rows(wb["Disagreements"])[-1][0].startswith("No disagreement")


def test_chromium_renders_the_new_sections_offline(run, tmp_path):
    """The page with team notes, levels and the bridge renders offline; the strength and level
    colours are on screen."""
    from .test_export_html import _pixels, _Recorder, _run_chromium

    _, out, _ = run
    url = (out / "assessment.html").resolve().as_uri()
    shot = tmp_path / "page.png"
    with _Recorder() as proxy:
        dom = _run_chromium(url, "--virtual-time-budget=5000", "--dump-dom", proxy_port=proxy.port)
        res = _run_chromium(url, "--force-device-scale-factor=0.5", "--window-size=1400,9000",
                            f"--screenshot={shot}", proxy_port=proxy.port)
    assert dom.returncode == 0 and 'data-ready="1"' in dom.stdout, dom.stderr[-2000:]
    assert '<section id="team">' in dom.stdout and '<table id="bridge-rows">' in dom.stdout
    assert proxy.page_requests() == []
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    _, _, px = _pixels(shot)
    colours = set(px)
    for fill in (NOTE_COLOURS["strength"][0], NOTE_COLOURS["recommendation"][0], LEVEL_COLOURS["CL3"][0]):
        rgb = tuple(int(fill[i:i + 2], 16) for i in (0, 2, 4))
        assert any(sum(abs(x - y) for x, y in zip(rgb, c)) < 12 for c in colours), fill


def test_levels_without_generic_goals_say_why_there_is_no_table(run, tmp_path):
    data, _, _ = run
    d = copy.deepcopy(data)
    for holder in d["projects"] + [d["organization"]]:
        for rec in holder["levels"]:
            rec["goals"]["GG2"] = rec["goals"]["GG3"] = "absent"
    text = html_export.render(d)
    assert 'id="levels"' not in text and "generic practices were not assessed" in text
    ws = openpyxl.load_workbook(export(d, tmp_path / "a.xlsx"))["Summary"]
    values = [c for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert any(v.startswith("Capability levels: generic practices were not assessed") for v in values)
    assert "process area" not in values
