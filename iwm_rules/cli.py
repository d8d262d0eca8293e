"""Command line: thin click commands over the library API (no logic of their own).

Exit codes: 0 done; 1 below --fail-under; 2 usage error; 3 invalid input, nothing
assessed; 4 batch finished but some inputs failed.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import EvidenceError, EvidenceFileError, IwmRulesError, RulesetError

EXIT_OK, EXIT_FAIL_UNDER, EXIT_USAGE, EXIT_INPUT, EXIT_PARTIAL = 0, 1, 2, 3, 4
EVIDENCE_SUFFIXES = (".xlsx", ".xlsm", ".csv")


class InputError(click.ClickException):
    """Invalid input: printed as one line, exit code 3."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


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


def _formats(ctx, param, value):
    from .exporters import available_formats

    known = available_formats()
    out = []
    for part in (value or "json").split(","):
        part = part.strip().lower()
        if part == "all":
            out.extend(f for f in known if f not in out)
            continue
        if part and part not in known:
            raise click.BadParameter(f"unknown format {part!r}; choose from {', '.join(known)} or all")
        if part and part not in out:
            out.append(part)
    return out


def expand_inputs(paths: tuple[str, ...]) -> list[Path]:
    """Files as given, folders searched recursively for evidence files; a missing path is an error."""
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.suffix.lower() in EVIDENCE_SUFFIXES and f.is_file()
                           and not f.name.startswith(("~$", ".")))
            if not found:
                raise InputError(f"{path}: no .xlsx, .xlsm or .csv files in this folder")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: file not found")
    return files


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
        click.option("-r", "--ruleset", "rulesets", multiple=True, metavar="RULESET",
                     help="Shipped ruleset id or YAML path (repeatable). Default: the shipped rulesets the evidence refers to."),
        click.option("--tailoring", type=click.Path(dir_okay=False), help="Tailoring file: not applicable / not yet practices and waivers."),
        click.option("-o", "--outdir", default="reports", show_default=True, type=click.Path(file_okay=False),
                     help="Folder for the reports."),
        click.option("-f", "--format", "formats", default="json", show_default=True, callback=_formats,
                     help="Comma-separated output formats."),
        click.option("--as-of", callback=_date, metavar="YYYY-MM-DD", help="Assessment date (staleness, waivers). Default: today."),
        click.option("--scale", type=click.Choice(["scampi", "cmmi-v2"]), default="scampi", show_default=True,
                     help="Labels: SCAMPI FI/LI/PI/NI/NY or CMMI V2.0 FM/LM/PM/DM/NY."),
        click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PERCENT",
                     help="Exit 1 when overall coverage is below PERCENT."),
        click.option("--no-reuse", is_flag=True, help="Do not reuse evidence across mapped practices of different rulesets."),
        click.option("--engine", type=click.Choice(["auto", "durable", "python"]), default="auto", show_default=True,
                     help="Rule evaluator: durable_rules where it imports, else plain Python."),
    ]):
        f = deco(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iwm-rules")
def main():
    """Assess CMMI-SVC Integrated Work Management, Work Planning and ITIL transition
    evidence spreadsheets: characterize practices (FI/LI/PI/NI/NY), rate goals and list gaps."""


@main.command()
@click.argument("evidence", nargs=-1, required=True)
@common_assess_options
@click.option("--project", help="Project name for rows without one (files with no project column).")
@click.option("--layout", type=click.Choice(["auto", "long", "piid", "oedb"]), default="auto", show_default=True,
              help="Evidence layout: long (one row per item), piid (one row per project x practice), "
                   "oedb (appraisal-kit objective-evidence database); auto detects it per sheet.")
@click.option("--mappings", "mappings_file", type=click.Path(dir_okay=False),
              help="Extra mappings file, e.g. relating CMMI V2.0 practice ids (PLAN 2.7) to selected practices.")
@click.option("--max-uncompressed-mb", type=click.IntRange(1), default=1024, show_default=True,
              help="Refuse a workbook that inflates to more than this many MiB (zip-bomb guard).")
@click.option("--max-ratio", type=click.FloatRange(1), default=200.0, show_default=True,
              help="Refuse a workbook part compressed more than this ratio (zip-bomb guard).")
def assess(evidence, rulesets, tailoring, outdir, formats, as_of, scale, fail_under, no_reuse, engine, project, layout,
           mappings_file, max_uncompressed_mb, max_ratio):
    """Assess EVIDENCE files (xlsx, xlsm, csv; folders are searched) and write reports to OUTDIR.

    Prints a summary per project; the full result is in OUTDIR/assessment.json.
    """
    from . import api

    _engine_choice(engine)
    files = expand_inputs(evidence)
    try:
        result = api.run_assessment(files, rulesets=list(rulesets), tailoring=tailoring, as_of=as_of,
                                    project=project, layout=layout, reuse=not no_reuse, engine=engine,
                                    mappings_file=mappings_file,
                                    limits=_limits(max_uncompressed_mb, max_ratio))
    except EvidenceError as exc:
        raise InputError("; ".join(_with_option(e) for e in exc.errors)) from None
    except IwmRulesError as exc:
        raise InputError(str(exc)) from None
    written = api.write_reports(result, Path(outdir), formats, scale=scale)
    if not result.projects:
        click.echo(api.summary_text(result, scale=scale).splitlines()[0])
        n = len(result.data["input"]["rejected"])
        where = Path(outdir) / "assessment.json"
        why = (f"{n} row(s) rejected: see input.rejected in {where}" if n else
               f"every row was skipped: see input.files[].skipped in {where}")
        click.echo(f"error: no evidence row was accepted, nothing assessed; {why}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(api.summary_text(result, scale=scale))
    for path in written:
        click.echo(f"wrote {path}")
    cov = result.coverage()
    if fail_under is not None and (cov is None or cov * 100 < fail_under):
        click.echo(f"coverage {0 if cov is None else cov * 100:.1f}% is below --fail-under {fail_under:g}%", err=True)
        sys.exit(EXIT_FAIL_UNDER)


@main.command()
@click.option("-r", "--ruleset", "rulesets", multiple=True, required=True, metavar="RULESET",
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
    try:
        path = write_template(loaded, output, layout=layout)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-o/--output") from None
    click.echo(f"wrote {path}")


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
            click.echo(str(i), err=True)
        click.echo(f"{len(issues)} problem(s) in {len(paths)} file(s)", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"{len(paths)} file(s) valid")


if __name__ == "__main__":  # pragma: no cover
    main()
