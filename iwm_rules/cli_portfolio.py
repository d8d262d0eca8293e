"""Portfolio commands: ``batch`` (many files, one result) and ``diff`` (trends between two results)."""
from __future__ import annotations

import sys

import click

from . import paths
from .errors import EvidenceError, IwmRulesError
from .gcpause import paused_gc
from .paths import PathError
from .exporters.summary import printable
from .cli_options import (
    EXIT_FAIL_UNDER, EXIT_INPUT, EXIT_PARTIAL, InputError, _engine_choice, _limits, _with_option, check_outdir,
    common_assess_options, pretty_option, reading_options, result_options, warn_unused_apply_to, write_reports,
)


@click.command()
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
@paused_gc  # as for assess; the workers collect their own garbage (batch_pool._init_worker)
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


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("-f", "--format", "fmt", type=click.Choice(["md", "json", "xlsx"]), default="md", show_default=True,
              help="md or json are printed (or written with -o); xlsx is written to -o (default diff.xlsx).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE", help="Write the diff to FILE.")
@paused_gc
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
