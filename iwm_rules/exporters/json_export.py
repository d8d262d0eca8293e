"""assessment.json (DESIGN §7); the JSON Schema ships beside this module."""
from __future__ import annotations

import json
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("assessment.schema.json")


def write(data: dict, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, default=str)
        fh.write("\n")


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
