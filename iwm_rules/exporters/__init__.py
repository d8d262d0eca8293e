"""Assessment -> files. Each format is one module with ``write(data, path)`` over plain records;
exporters never compute scores. Files are written to a temporary name and renamed.

The registry names every format of DESIGN §6 with its default file name and the module that
writes it; modules are imported only when their format is written.
"""
from __future__ import annotations

import errno
import importlib
import inspect
import os
import secrets
from collections.abc import Callable
from pathlib import Path

#: format -> (default file name, module in this package with ``write(data, path)``)
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("assessment.json", "json_export"),
    "xlsx": ("assessment.xlsx", "xlsx_export"),
    "csv": ("practices.csv", "csv_export"),        # also gaps.csv and evidence.csv beside it
    "html": ("assessment.html", "html_export"),
    "md": ("assessment.md", "md_export"),
    "junit": ("junit.xml", "junit_export"),
    "oscal": ("assessment-results.oscal.json", "oscal_export"),
}
SUFFIX_TO_FORMAT = {".json": "json", ".xlsx": "xlsx", ".csv": "csv", ".html": "html", ".htm": "html", ".md": "md",
                    ".xml": "junit"}


def available_formats() -> list[str]:
    """Formats whose writer module is present."""
    here = Path(__file__).parent
    return [f for f, (_, mod) in FORMATS.items() if (here / f"{mod}.py").exists()]


def written_files(path, fmt: str) -> list[Path]:
    """Every file a format's writer wrote for the report at ``path``: ``path`` itself, then the
    companions its module names in ``COMPANIONS`` (e.g. csv: gaps.csv, evidence.csv, notes.csv)
    that exist beside it."""
    path = Path(path)
    module = importlib.import_module(f"{__name__}.{FORMATS[fmt][1]}")
    extra = [path.with_name(n) for n in getattr(module, "COMPANIONS", ())]
    return [path] + [p for p in extra if p.exists()]


def writer(fmt: str) -> Callable[[dict, Path], None]:
    return importlib.import_module(f"{__name__}.{FORMATS[fmt][1]}").write


#: temporary files being written right now (removed by ``discard_partial`` when a run is killed)
_PARTIAL: set[Path] = set()


def _create_temp(path: Path) -> Path:
    """A new empty file beside ``path``, created with mode 0666 less the umask (as ``open`` would)."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"cannot create a temporary file beside {path}")


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder, then rename over ``path``.

    The report gets the permissions any new file gets (0666 less the umask). If ``write``
    raises (an OSError is re-raised naming ``path``), or the run is interrupted (KeyboardInterrupt, or SystemExit from a signal
    handler), the temporary file is removed and nothing replaces ``path``.
    """
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        # never rename over a device (/dev/null), a folder, a pipe or a link
        raise IsADirectoryError(errno.EISDIR if path.is_dir() else errno.EEXIST,
                                "exists and is not a regular file; name a new file or a regular one", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        tmp = _create_temp(path)
        _PARTIAL.add(tmp)
        write(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (None, str(tmp)):
            # name the report, not its temporary file
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    finally:
        _PARTIAL.discard(tmp)
    return path


def discard_partial() -> None:
    """Remove every temporary report file still being written (for a signal handler)."""
    for tmp in list(_PARTIAL):
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        _PARTIAL.discard(tmp)


def relabel(data: dict) -> dict:
    """A copy of the JSON result with CMMI V2.0 labels (FM/LM/PM/DM/NY), ``scale: cmmi-v2``."""
    import copy

    from .labels import CMMI_V2

    out = copy.deepcopy(data)
    for p in out["projects"]:
        for pr in p["practices"]:
            pr["characterization"] = CMMI_V2[pr["characterization"]]
    for pr in out["organization"]["practices"]:
        pr["characterization"] = CMMI_V2[pr["characterization"]]
        pr["instances"] = {CMMI_V2[k]: v for k, v in pr["instances"].items()}
    for p in out["projects"]:
        for pr in p["practices"]:
            if "recorded" in pr:
                pr["recorded"] = CMMI_V2[pr["recorded"]]
    for d in out.get("disagreements", []):
        d["recorded"] = CMMI_V2[d["recorded"]]
        d["characterization"] = CMMI_V2[d["characterization"]]
    from ..levels import V2_NOTE

    for rec in [r for p in out["projects"] for r in p.get("levels", [])] + out["organization"].get("levels", []):
        rec["scale_note"] = V2_NOTE
    out["scale"] = "cmmi-v2"
    return out


def export(assessment, path, fmt: str | None = None, **options) -> Path:
    """Write ``assessment`` (an Assessment or its dict) to ``path``; format from the suffix.

    ``options`` (e.g. ``pretty=True``) go to the writers whose ``write`` takes them; other
    writers ignore them, so one set of options serves ``-f all``.
    """
    data = assessment if isinstance(assessment, dict) else assessment.data
    path = Path(path)
    fmt = fmt or SUFFIX_TO_FORMAT.get(path.suffix.lower())
    if fmt not in FORMATS or fmt not in available_formats():
        raise ValueError(f"unknown format {fmt!r} for {path} (known: {', '.join(available_formats())})")
    write = writer(fmt)
    params = inspect.signature(write).parameters
    kwargs = {k: v for k, v in options.items() if k in params}
    return atomic_write(path, lambda tmp: write(data, tmp, **kwargs))
