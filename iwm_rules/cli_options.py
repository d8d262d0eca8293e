"""Shared pieces of the command line: errors that print one line, option callbacks and
decorators, input and output-folder checks, signal handling (docs/command-line.md)."""
from __future__ import annotations

import datetime as dt
import math
import signal
import threading
from pathlib import Path

import click

from . import paths
from .errors import EvidenceFileError
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


def _not_blank(what: str):
    """A callback refusing blank text for an option naming ``what``: an empty folder or file name
    would mean the current folder (or be ignored), a blank project a nameless project."""
    def check(ctx, param, value):
        if value is not None and not value.strip():
            raise click.BadParameter(f"the {what} is empty")
        return value
    return check


_outdir = _not_blank("output folder name")
_file_name = _not_blank("file name")
_project_name = _not_blank("project name")


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
