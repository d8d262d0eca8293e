"""Command line: thin click commands over the library API (no logic of their own).

Exit codes: 0 done; 1 below --fail-under; 2 usage error; 3 invalid input, nothing
assessed; 4 batch finished but some inputs failed; 128 + signal number when interrupted
(docs/command-line.md).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import signal
import sys
import threading
from pathlib import Path

import click

from . import __version__, paths
from .errors import EvidenceError, EvidenceFileError, IwmRulesError, RulesetError
from .exporters.summary import printable, printable_lines
from .paths import EVIDENCE_SUFFIXES, PathError  # noqa: F401  (EVIDENCE_SUFFIXES: kept for callers)

EXIT_OK, EXIT_FAIL_UNDER, EXIT_USAGE, EXIT_INPUT, EXIT_PARTIAL = 0, 1, 2, 3, 4


class InputError(click.ClickException):
    """Invalid input: printed as one line (control characters escaped), exit code 3."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        click.echo(f"error: {printable_lines(self.format_message())}", err=True)


def warn(message: str) -> None:
    """One warning line on stderr (control characters escaped)."""
    click.echo(f"warning: {printable(message)}", err=True)


class UsageLineError(InputError):
    """A bad option value: printed as one line, exit code 2."""

    exit_code = EXIT_USAGE


def _engine_choice(engine: str):
    """The evaluator that will run; an unknown or unavailable one is a usage error (exit 2)."""
    from .engine import EngineChoiceError, select_engine

    try:
        chosen = select_engine(engine)
    except EngineChoiceError as exc:
        raise UsageLineError(str(exc)) from None
    if chosen.warning:
        click.echo(f"warning: {chosen.warning}", err=True)
    return chosen


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD") from None


def _finite(ctx, param, value):
    """A float option must be a finite number (click's ranges let ``nan`` through)."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value!r} is not a finite number")
    return value


def _outdir(ctx, param, value):
    if value is not None and not value.strip():
        raise click.BadParameter("the output folder name is empty")
    return value


def _file_name(ctx, param, value):
    """A file option given as an empty string is a usage error (it would mean the current folder,
    or be ignored)."""
    if value is not None and not value.strip():
        raise click.BadParameter("the file name is empty")
    return value


def _project_name(ctx, param, value):
    """``--project`` must name a project: blank text would make a nameless project (or be ignored)."""
    if value is not None and not value.strip():
        raise click.BadParameter("the project name is empty")
    return value


def _ruleset_names(ctx, param, value):
    """Each ``-r`` names a shipped id or a file: an empty one would read the current folder."""
    for v in value or ():
        if not v.strip():
            raise click.BadParameter("an empty ruleset was given; name a shipped id (iwm-rules rulesets list) or a YAML file")
    return value


def _formats(ctx, param, value):
    from .exporters import available_formats

    known = available_formats()
    if value is None:
        value = "json"
    if not value.strip(" ,"):
        raise click.BadParameter(f"no format given in {value!r}; choose from {', '.join(known)} or all")
    out = []
    for part in value.split(","):
        part = part.strip().lower()
        if part == "all":
            out.extend(f for f in known if f not in out)
            continue
        if part and part not in known:
            raise click.BadParameter(f"unknown format {part!r}; choose from {', '.join(known)} or all")
        if part and part not in out:
            out.append(part)
    return out


def expand_inputs(paths_given: tuple[str, ...], *, outdir: str | None = None) -> list[Path]:
    """Files as given, folders searched recursively for evidence files (see :mod:`iwm_rules.paths`),
    not entering ``outdir``; a missing path, an unreadable file or folder is an input error."""
    try:
        return paths.expand_inputs(paths_given, exclude=[outdir] if outdir else [])
    except PathError as exc:
        raise InputError(str(exc)) from None


def warn_unused_apply_to(apply_to, data: dict) -> None:
    """``--apply-to`` only instantiates a generic ruleset: say so when none was selected."""
    if apply_to and apply_to.strip(" ,") and not any(".GG" in g["goal"] for p in data["projects"] for g in p["goals"]):
        warn(f"--apply-to {apply_to} has no effect: no generic ruleset was selected (add -r cmmi-generic)")


def check_outdir(outdir: str, formats: list[str]) -> Path:
    """The report folder, created and writable, checked before any work starts (exit 3 otherwise)."""
    from .exporters import FORMATS

    try:
        return paths.check_outdir(outdir, [FORMATS[f][0] for f in formats])
    except PathError as exc:
        raise InputError(str(exc)) from None


# --------------------------------------------------------------------------- signals

class Interrupted(KeyboardInterrupt):
    """SIGTERM, SIGINT or SIGHUP arrived: unwind (removing partial reports) and exit 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


HANDLED_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n))


def _on_signal(signum, frame):
    for s in HANDLED_SIGNALS:  # one is enough: a second signal must not cut the clean-up short
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


class _Main(click.Group):
    """The command group: turns a terminating signal into a clean exit with no partial report."""

    def invoke(self, ctx):
        if threading.current_thread() is not threading.main_thread():
            return super().invoke(ctx)
        previous = {s: signal.signal(s, _on_signal) for s in HANDLED_SIGNALS}
        try:
            return super().invoke(ctx)
        except Interrupted as exc:
            from .exporters import discard_partial

            discard_partial()
            click.echo(f"error: interrupted ({signal.Signals(exc.signum).name}); no report was left half-written",
                       err=True)
            ctx.exit(128 + exc.signum)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


LIMIT_OPTIONS = {"max_ratio": "--max-ratio", "max_uncompressed_bytes": "--max-uncompressed-mb",
                 "max_member_bytes": "--max-uncompressed-mb"}


def _with_option(err: EvidenceFileError) -> str:
    """A limit message names the option that raises the limit, where there is one."""
    option = LIMIT_OPTIONS.get(getattr(err, "limit", ""))
    text = str(err)
    return text.replace("raise the limit", f"raise it with {option}") if option else text


def _limits(max_uncompressed_mb: int, max_ratio: float):
    from dataclasses import replace

    from .evidence.raw import Limits

    base = Limits()
    total = max_uncompressed_mb * 2**20
    return replace(base, max_uncompressed_bytes=total, max_member_bytes=min(base.max_member_bytes, total),
                   max_ratio=max_ratio)


def common_assess_options(f):
    for deco in reversed([
        click.option("-r", "--ruleset", "rulesets", multiple=True, metavar="RULESET", callback=_ruleset_names,
                     help="Shipped ruleset id or YAML path (repeatable). Default: the shipped rulesets the evidence refers to."),
        click.option("--tailoring", callback=_file_name, metavar="FILE", help="Tailoring file: not applicable / not yet practices and waivers."),
        click.option("-o", "--outdir", default="reports", show_default=True, type=click.Path(), callback=_outdir, metavar="OUTDIR",
                     help="Folder for the reports (created if needed; checked before anything is read)."),
        click.option("-f", "--format", "formats", default="json", show_default=True, callback=_formats, metavar="FORMATS",
                     help="Comma-separated output formats: json, xlsx, csv, html, md, junit, oscal; "
                          "'all' writes every format this installation has."),
        click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help="Assessment date (staleness, waivers). Default: today."),
        click.option("--scale", type=click.Choice(["scampi", "cmmi-v2"]), default="scampi", show_default=True,
                     help="Labels: SCAMPI FI/LI/PI/NI/NY or CMMI V2.0 FM/LM/PM/DM/NY."),
        click.option("--fail-under", type=click.FloatRange(0, 100), callback=_finite, metavar="PERCENT",
                     help="Exit 1 when overall coverage is below PERCENT."),
        click.option("--no-reuse", is_flag=True, help="Do not reuse evidence across mapped practices of different rulesets."),
        click.option("--engine", type=click.Choice(["auto", "durable", "python"]), default="auto", show_default=True,
                     help="Rule evaluator: durable_rules where it imports, else plain Python."),
        click.option("--apply-to", "apply_to", metavar="PA,...",
                     help="Process areas a generic ruleset (-r cmmi-generic: GG2/GG3 generic practices) is applied to, "
                          "e.g. IWM,WP. Default: the ruleset's own list (IWM,WP), or 'applies_to' in the tailoring file."),
    ]):
        f = deco(f)
    return f


def reading_options(f):
    """Options of how evidence files are read (assess and batch)."""
    for deco in reversed([
        click.option("--project", callback=_project_name, help="Project name for rows without one (files with no project column)."),
        click.option("--layout", type=click.Choice(["auto", "long", "piid", "oedb", "matrix", "observations"]), default="auto",
                     show_default=True,
                     help="Evidence layout: long (one row per item), piid (one row per project x practice), "
                       "oedb (appraisal-kit objective-evidence database), matrix (documents x practice ids, cells are "
                       "marks), observations (practice, note type W/S/R, note); auto detects it per sheet."),
        click.option("--mappings", "mappings_file", callback=_file_name, metavar="FILE",
                     help="Extra mappings file, e.g. relating CMMI V2.0 practice ids (PLAN 2.7) to selected practices; "
                       "adds to the shipped CMMI V2.0/V3.0 bridge."),
        click.option("--no-bridge", is_flag=True,
                     help="Do not apply the shipped CMMI V2.0/V3.0 bridge (PLAN/MC ids -> IWM/WP practices)."),
        click.option("--legend", "legend_file", callback=_file_name, metavar="FILE",
                     help="YAML legend of document x practice matrix marks (marks: {MARK: mapped|sufficient|attention|"
                       "follow_up|unverified|none})."),
        click.option("--max-uncompressed-mb", type=click.IntRange(1), default=1024, show_default=True,
                     help="Refuse a workbook that inflates to more than this many MiB (zip-bomb guard)."),
        click.option("--max-ratio", type=click.FloatRange(1), callback=_finite, default=200.0, show_default=True,
                     help="Refuse a workbook part compressed more than this ratio (zip-bomb guard)."),
    ]):
        f = deco(f)
    return f


def result_options(fail_under, scale, layout, project, mappings_file, max_uncompressed_mb, max_ratio, *,
                   no_bridge=False, legend_file=None, apply_to=None) -> dict:
    """The options recorded in the run manifest (those that change the result or the exit code)."""
    return {"fail_under": fail_under, "scale": scale, "layout": layout, "project": project,
            "mappings": mappings_file, "max_uncompressed_mb": max_uncompressed_mb, "max_ratio": max_ratio,
            "bridge": not no_bridge, "legend": legend_file, "apply_to": apply_to}


#: ``--pretty``: indented JSON (compact by default); reusable by other commands that write JSON
pretty_option = click.option("--pretty", is_flag=True, help="Indent the JSON reports (default: compact, faster and smaller).")


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iwm-rules")
def main():
    """Assess CMMI-SVC Integrated Work Management, Work Planning and ITIL transition
    evidence spreadsheets: characterize practices (FI/LI/PI/NI/NY), rate goals and list gaps."""


@main.command()
@click.argument("evidence", nargs=-1, required=True)
@common_assess_options
@reading_options
@pretty_option
def assess(evidence, rulesets, tailoring, outdir, formats, as_of, scale, fail_under, no_reuse, engine, apply_to, project,
           layout, mappings_file, no_bridge, legend_file, max_uncompressed_mb, max_ratio, pretty):
    """Assess EVIDENCE files (xlsx, xlsm, csv; folders are searched) and write reports to OUTDIR.

    Prints a summary per project; the full result is in OUTDIR/assessment.json.
    """
    from . import api
    from .exporters import summary

    _engine_choice(engine)
    files, duplicates = paths.unique_files(expand_inputs(evidence, outdir=outdir))
    out = check_outdir(outdir, formats)
    for w in duplicates:
        warn(f"{w['file']}: {w['message']}")
    try:
        result = api.run_assessment(files, rulesets=list(rulesets), tailoring=tailoring, as_of=as_of,
                                    project=project, layout=layout, reuse=not no_reuse, engine=engine,
                                    mappings_file=mappings_file, input_warnings=duplicates, apply_to=apply_to,
                                    bridge=not no_bridge, legend_file=legend_file,
                                    limits=_limits(max_uncompressed_mb, max_ratio),
                                    options=result_options(fail_under, scale, layout, project, mappings_file,
                                                           max_uncompressed_mb, max_ratio, no_bridge=no_bridge,
                                                           legend_file=legend_file, apply_to=apply_to))
    except EvidenceError as exc:
        raise InputError("; ".join(_with_option(e) for e in exc.errors)) from None
    except IwmRulesError as exc:
        raise InputError(str(exc)) from None
    data = api.report_data(result, scale=scale)
    warn_unused_apply_to(apply_to, data)
    written = write_reports(data, out, formats, pretty=pretty)
    where = out / "assessment.json" if "json" in formats else "assessment.json (written with -f json)"
    text = summary.render(data, scale=scale, json_name=str(where))
    if not result.projects:
        click.echo(text.splitlines()[0])
        n = len(result.data["input"]["rejected"])
        why = (f"{n} row(s) rejected: see input.rejected in {where}" if n else
               f"every row was skipped: see input.files[].skipped in {where}")
        found = summary.nothing_accepted_text(data)
        click.echo(f"error: no evidence row was accepted, nothing assessed; {printable(why)}"
                   + (f"; {printable(found)}" if found else ""), err=True)
        sys.exit(EXIT_INPUT)
    click.echo(text)
    for path in written:
        click.echo(f"wrote {printable(path)}")
    cov = result.coverage()
    if fail_under is not None and (cov is None or cov * 100 < fail_under):
        click.echo(f"coverage {0 if cov is None else cov * 100:.1f}% is below --fail-under {fail_under:g}%", err=True)
        sys.exit(EXIT_FAIL_UNDER)


def write_reports(data: dict, outdir: Path, formats: list[str], **options) -> list[Path]:
    """Write the reports; a failure to write (disk full, folder removed) is one line, exit 3."""
    from . import api

    from .exporters import written_files

    try:
        paths = api.write_reports(data, outdir, formats, **options)
        # every file written, companions included (csv: gaps.csv, evidence.csv, notes.csv beside practices.csv)
        return [q for p, f in zip(paths, formats) for q in written_files(p, f)]
    except OSError as exc:
        where = exc.filename or outdir
        raise InputError(f"{where}: cannot write the report ({exc.strerror or exc})") from None


@main.command()
@click.argument("paths", nargs=-1, required=True)
@common_assess_options
@reading_options
@click.option("-j", "--jobs", type=click.IntRange(1), metavar="JOBS", help="Worker processes reading files. Default: all cores.")
@click.option("--executor", type=click.Choice(["process", "dask"]), default="process", show_default=True,
              help="Where files are read: local worker processes, or a Dask distributed cluster (--scheduler).")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address for --executor dask, e.g. tcp://host:8786.")
@click.option("--per-project", is_flag=True, help="Also write each project's own reports to OUTDIR/projects/NAME/.")
@click.option("--task-timeout", type=click.FloatRange(1), default=600.0, show_default=True, metavar="SECONDS",
              help="Stop local workers that finish nothing for this long; a file that alone takes longer fails.")
@pretty_option
def batch(paths, rulesets, tailoring, outdir, formats, as_of, scale, fail_under, no_reuse, engine, apply_to, project,
          layout, mappings_file, no_bridge, legend_file, max_uncompressed_mb, max_ratio, pretty, jobs, executor,
          scheduler, per_project, task_timeout):
    """Assess a portfolio: every evidence file under PATHS (folders are searched, globs allowed)
    as one result with every project, written to OUTDIR/portfolio.json (and the -f formats).

    A project found in several files is one project. A file that cannot be used is listed with
    its reason and the rest is assessed (exit 4).
    """
    from . import api
    from .batch import run_batch, write_per_project

    _engine_choice(engine)
    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS (e.g. tcp://scheduler:8786)")
    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler is only used with --executor dask")
    if executor == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise click.UsageError("--executor dask needs Dask distributed: pip install 'iwm-rules[dask]'") from None
    out = check_outdir(outdir, formats)
    try:
        result = run_batch(list(paths), list(rulesets), jobs=jobs, executor=executor, scheduler=scheduler,
                           tailoring=tailoring, as_of=as_of, project=project, layout=layout, reuse=not no_reuse,
                           engine=engine, mappings_file=mappings_file, limits=_limits(max_uncompressed_mb, max_ratio),
                           options=result_options(fail_under, scale, layout, project, mappings_file,
                                                  max_uncompressed_mb, max_ratio, no_bridge=no_bridge,
                                                  legend_file=legend_file, apply_to=apply_to), exclude=[out],
                           task_timeout=task_timeout, apply_to=apply_to, bridge=not no_bridge,
                           legend_file=legend_file)
    except EvidenceError as exc:
        raise InputError("; ".join(_with_option(e) for e in exc.errors)) from None
    except IwmRulesError as exc:
        raise InputError(str(exc)) from None
    except RuntimeError as exc:  # e.g. the Dask scheduler cannot be reached
        raise InputError(str(exc)) from None
    written = write_reports(api.report_data(result.assessment, scale=scale), out, formats, pretty=pretty,
                            stem="portfolio")
    if per_project:
        written += write_per_project(result.data, out, formats, scale=scale, pretty=pretty)
    click.echo(batch_summary(result, scale=scale))
    warn_unused_apply_to(apply_to, result.data)
    for f in result.failed_files[:20]:
        click.echo(f"failed: {printable(f['file'])}: {printable(f['reason'])}", err=True)
    if len(result.failed_files) > 20:
        click.echo(f"... and {len(result.failed_files) - 20} more failed file(s)", err=True)
    if not result.projects:
        click.echo(f"error: no evidence row was accepted in {len(result.files)} file(s), nothing assessed; "
                   f"see {printable(out / 'portfolio.json')}", err=True)
        sys.exit(EXIT_INPUT)
    if written:
        click.echo(f"wrote {printable(written[0])}" + (f" and {len(written) - 1} more file(s)" if len(written) > 1 else ""))
    if result.failed_files:
        click.echo(f"{len(result.failed_files)} of {len(result.files)} file(s) failed: see failed_files in "
                   f"{printable(out / 'portfolio.json')}", err=True)
        sys.exit(EXIT_PARTIAL)
    cov = result.coverage()
    if fail_under is not None and (cov is None or cov * 100 < fail_under):
        click.echo(f"coverage {0 if cov is None else cov * 100:.1f}% is below --fail-under {fail_under:g}%", err=True)
        sys.exit(EXIT_FAIL_UNDER)


def batch_summary(result, *, scale: str = "scampi") -> str:
    """A few lines for a portfolio: files, projects, organization counts, coverage spread."""
    from .model import CMMI_V2_LABELS

    data = result.data
    labels = CMMI_V2_LABELS if scale == "cmmi-v2" else {k: k for k in CMMI_V2_LABELS}
    files = data["input"]["files"]
    counts = {k: sum(f[f"rows_{k}"] for f in files) for k in ("read", "accepted", "rejected", "skipped")}
    lines = [f"{len(result.files)} file(s) found, {len(result.failed_files)} failed; "
             + ", ".join(f"{n} rows {k}" if k == "read" else f"{n} {k}" for k, n in counts.items())]
    org = data["organization"]["practices"]
    counts = {k: sum(p["characterization"] == k for p in org) for k in ("FI", "LI", "PI", "NI", "NY", "NA")}
    lines.append(f"{len(result.projects)} project(s); organization: "
                 + ", ".join(f"{labels[k]} {n}" for k, n in counts.items() if n)
                 + f"; {sum(p['judgment_required'] for p in org)} need judgment")
    dist = data["portfolio"]["coverage_distribution"]
    if dist["mean"] is not None:
        lines.append(f"coverage: mean {dist['mean'] * 100:.0f}%, median {dist['median'] * 100:.0f}%, "
                     f"min {dist['min'] * 100:.0f}%, max {dist['max'] * 100:.0f}%")
    return "\n".join(lines)


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "json", "xlsx"]), default="md", show_default=True,
              help="md or json are printed (or written with -o); xlsx is written to -o (default diff.xlsx).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE", help="Write the diff to FILE.")
def diff(old, new, fmt, output):
    """Compare two results (assessment.json or portfolio.json): practices improved, regressed or
    unchanged, gaps closed and opened, coverage change, projects added and removed, per project
    and for the organization. Exits 0 whether or not they differ."""
    from .diff import diff_files
    from .diff_report import to_json, to_markdown, write

    target = None
    if output is not None or fmt == "xlsx":
        try:
            target = paths.check_output_file(output or "diff.xlsx")
        except PathError as exc:
            raise InputError(str(exc)) from None
    try:
        result = diff_files(old, new)
    except IwmRulesError as exc:
        raise InputError(str(exc)) from None
    if target is None:
        click.echo(to_json(result) if fmt == "json" else to_markdown(result), nl=False)
        return
    try:
        path = write(result, target, fmt)
    except OSError as exc:
        raise InputError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    s = result["summary"]
    click.echo(f"{s['improved']} improved, {s['regressed']} regressed, {s['unchanged']} unchanged, "
               f"{s['gaps_closed']} gap(s) closed, {s['gaps_opened']} opened; wrote {printable(path)}")


@main.command()
@click.option("-r", "--ruleset", "rulesets", multiple=True, required=True, metavar="RULESET", callback=_ruleset_names,
              help="Shipped ruleset id or YAML path (repeatable); its practices fill the dropdowns and catalogue.")
@click.option("--layout", type=click.Choice(["long", "piid"]), default="long", show_default=True,
              help="long: one row per piece of evidence; piid: one row per project x practice.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), metavar="FILE.xlsx",
              help="The workbook to write.")
def template(rulesets, layout, output):
    """Write a blank evidence workbook: instructions, the practice catalogue, and an evidence
    sheet with dropdowns for practice ids, evidence type, status and party."""
    from .assessment import as_rulesets
    from .template import write_template

    try:
        loaded = as_rulesets(rulesets)
    except RulesetError as exc:
        raise InputError(str(exc)) from None
    target = Path(output)
    try:
        paths.check_outdir(target.parent, [target.name])
    except PathError as exc:
        raise InputError(str(exc)) from None
    try:
        path = write_template(loaded, output, layout=layout)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-o/--output") from None
    except OSError as exc:
        raise InputError(f"{exc.filename or output}: cannot write the workbook ({exc.strerror or exc})") from None
    click.echo(f"wrote {printable(path)}")


# --------------------------------------------------------------------------- rulesets

@main.group()
def rulesets():
    """List, show and validate rulesets."""


@rulesets.command("list")
def rulesets_list():
    """List the shipped rulesets."""
    from .ruleset import load_ruleset, shipped_ids

    for rid, path in shipped_ids().items():
        try:
            rs = load_ruleset(path)
            click.echo(f"{rid:24} {len(rs.practices):3} practices  {rs.title}")
        except RulesetError as exc:
            click.echo(f"{rid:24} INVALID ({len(exc.issues)} problems)")


@rulesets.command("show")
@click.argument("ruleset_id")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True,
              help="md for people, json for programs (same keys as the ruleset YAML).")
def rulesets_show(ruleset_id, fmt):
    """Print the catalogue of RULESET_ID (id or path): goals, practices, work products."""
    from .catalogue import catalogue_dict, catalogue_markdown
    from .ruleset import load_ruleset

    try:
        rs = load_ruleset(ruleset_id)
    except RulesetError as exc:
        raise InputError(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(catalogue_dict(rs), indent=2, ensure_ascii=False))
    else:
        click.echo(catalogue_markdown(rs))


@rulesets.command("validate")
@click.argument("paths", nargs=-1, required=True)
def rulesets_validate(paths):
    """Validate ruleset or mappings files; list every problem with file and line (exit 3 if any)."""
    from .ruleset import validate_files

    issues = validate_files(list(paths))
    if issues:
        for i in issues:
            click.echo(printable(i), err=True)
        click.echo(f"{len(issues)} problem(s) in {len(paths)} file(s)", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"{len(paths)} file(s) valid")


if __name__ == "__main__":  # pragma: no cover
    main()
