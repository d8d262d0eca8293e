"""Documentation a user relies on stays true: every command has help, every fact field is documented."""
from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from iwm_rules.cli import main
from iwm_rules.model import FACT_FIELDS

ROOT = Path(__file__).resolve().parent.parent


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_and_option_is_documented():
    for path, cmd in _commands(main):
        assert cmd.help, f"{' '.join(path)} has no help text"
        res = CliRunner().invoke(main, [*path, "--help"])
        assert res.exit_code == 0
        for p in cmd.params:
            if isinstance(p, click.Option):
                assert p.help, f"{' '.join(path)} {p.opts[0]} has no help text"


def test_fact_fields_are_documented():
    text = (ROOT / "docs" / "facts.md").read_text()
    for kind, fields in FACT_FIELDS.items():
        for name in fields:
            assert f"| `{name}` |" in text, f"{kind}.{name} missing from docs/facts.md"


def test_readme_quick_start_has_two_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = quick.split("```bash")[1:]
    assert len(blocks) == 2
    assert "iwm-rules assess evidence_samples/" in blocks[0] and "pytest" in blocks[1]


def test_exit_codes_are_documented_as_the_cli_uses_them():
    from iwm_rules import cli

    table = (ROOT / "docs" / "command-line.md").read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")}
    codes = {str(v) for k, v in vars(cli).items() if k.startswith("EXIT_")}
    assert codes <= rows, codes - rows
    assert "128 + signal" in rows
    readme = (ROOT / "README.md").read_text()
    assert "docs/command-line.md" in readme and "--pretty" in readme and "-f all" in readme
