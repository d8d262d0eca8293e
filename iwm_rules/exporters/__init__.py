"""Assessment -> files. Each format is one module with ``write(data, path)`` over plain records;
exporters never compute scores. Files are written to a temporary name and renamed.

The registry names every format of DESIGN §6 with its default file name and the module that
writes it; modules are imported only when their format is written.
"""
from __future__ import annotations

import importlib
import os
import tempfile
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


def writer(fmt: str) -> Callable[[dict, Path], None]:
    return importlib.import_module(f"{__name__}.{FORMATS[fmt][1]}").write


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def export(assessment, path, fmt: str | None = None) -> Path:
    """Write ``assessment`` (an Assessment or its dict) to ``path``; format from the suffix."""
    data = assessment.to_dict() if hasattr(assessment, "to_dict") else assessment
    path = Path(path)
    fmt = fmt or SUFFIX_TO_FORMAT.get(path.suffix.lower())
    if fmt not in FORMATS or fmt not in available_formats():
        raise ValueError(f"unknown format {fmt!r} for {path} (known: {', '.join(available_formats())})")
    write = writer(fmt)
    return atomic_write(path, lambda tmp: write(data, tmp))
