"""Command line: thin click commands over the library API (no logic of their own).

Exit codes: 0 done; 1 below --fail-under; 2 usage error; 3 invalid input, nothing
assessed; 4 batch finished but some inputs failed; 128 + signal number when interrupted
(docs/command-line.md).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__, paths
from .errors import EvidenceError, IwmRulesError, RulesetError
from .gcpause import paused_gc
from .exporters.summary import printable
from .cli_options import (  # noqa: F401 - re-exported for callers and tests
    EXIT_FAIL_UNDER, EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, InputError, Interrupted, UsageLineError,
    _engine_choice, _limits, _Main, _ruleset_names, _with_option, check_outdir, common_assess_options, expand_inputs,
    pretty_option, reading_options, result_options, warn, warn_unused_apply_to, write_reports,
)
from .cli_portfolio import batch, batch_summary, diff  # noqa: F401
from .paths import EVIDENCE_SUFFIXES, PathError  # noqa: F401  (EVIDENCE_SUFFIXES: kept for callers)


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
@paused_gc  # the result is millions of acyclic objects: collecting them after the assessment only costs time
def assess(evidence, rulesets, tailoring, outdir, formats, as_of, scale, fail_under, no_reuse, engine, apply_to, project,
           layout, mappings_file, no_bridge, legend_file, max_uncompressed_mb, max_ratio, pretty):
    """Assess EVIDENCE files (xlsx, xlsm, csv; folders are searched) and write reports to OUTDIR.

    Prints a summary per project; the full result is in OUTDIR/assessment.json.
    """
    from . import api
    from .exporters import summary

    _engine_choice(engine)
    say = _stage_messages()
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
                                                           legend_file=legend_file, apply_to=apply_to),
                                    progress=say)
    except EvidenceError as exc:
        raise InputError("; ".join(_with_option(e) for e in exc.errors)) from None
    except IwmRulesError as exc:
        raise InputError(str(exc)) from None
    data = api.report_data(result, scale=scale)
    warn_unused_apply_to(apply_to, data)
    say(f"writing {len(formats)} report format(s) to {out}")
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


def _stage_messages():
    """On a terminal, what a long run is doing goes to stderr, one line per stage; elsewhere
    (pipes, files, CI logs) nothing is added."""
    if not sys.stderr.isatty():
        return lambda message: None
    return lambda message: click.echo(f"iwm-rules: {printable(message)} ...", err=True)


main.add_command(batch)
main.add_command(diff)


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
