#!/usr/bin/env bash
# Mutation testing of the scoring code with mutmut 3 (slow: not part of CI).
#
#   tools/mutation.sh [scoring|facts|engine|all] [MUTANT-GLOB...]
#
# e.g. a 20% sample of the largest function plus the rest of facts.py in full:
#   tools/mutation.sh facts 'iwm_rules.facts.x_build_facts__mutmut_*[05]' 'iwm_rules.facts.x_[!b]*' 'iwm_rules.facts.xǁ*'

#
# Copies the checkout (tracked and new files) to $MUTATION_DIR (default: a temporary folder),
# runs mutmut there with [tool.mutmut] from pyproject.toml and prints killed/survived per
# module. The run is bounded: one mutant at a time by default (MUTATION_JOBS=2 for two), each
# mutant only against the fast tests listed in pyproject.toml (for engine/ also the engine's
# tests, durable_rules variants included), and a wall-clock limit of MUTATION_TIMEOUT seconds
# (default 3600). A whole engine run took 12-30 min on a busy 2-core machine (MUTATION_TIMEOUT=2700).
# Score = killed (failed, timed out or crashed the test process) / mutants checked; a mutant no
# test reaches in-process (mutmut's "no tests") counts as not killed.
# Survivors: `cd $MUTATION_DIR && python -m mutmut results`, then `python -m mutmut show NAME`.
set -euo pipefail

target="${1:-all}"
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"  # the environment's python, e.g. PYTHON=.venv/bin/python
"$python" -c "import mutmut" 2>/dev/null || { echo "mutmut is not installed for $python: pip install -e '.[test]'" >&2; exit 2; }

case "$target" in
  scoring) glob="iwm_rules.scoring*" ;;
  facts)   glob="iwm_rules.facts*" ;;
  engine)  glob="iwm_rules.engine*" ;;
  all)     glob="" ;;
  *) echo "usage: tools/mutation.sh [scoring|facts|engine|all] [MUTANT-GLOB...]" >&2; exit 2 ;;
esac
shift $(( $# > 0 ? 1 : 0 ))
globs=("$@")
[[ ${#globs[@]} -eq 0 && -n "$glob" ]] && globs=("$glob")

work="${MUTATION_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/iwm-mutation.XXXXXX")}"
mkdir -p "$work"
(cd "$here" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$work"
if [[ "$target" == engine ]]; then  # the evaluator cross-checks live in test_engine.py, and the
  # durable_rules variants are the only tests of durable_backend.py: keep them for the engine
  sed -i -e 's#^pytest_add_cli_args_test_selection = \[#pytest_add_cli_args_test_selection = ["tests/test_engine.py", "tests/test_engine_semantics.py", "tests/test_durable_backend.py", #' \
    -e 's#"-k", "not durable and not integrated_sample"#"-k", "not integrated_sample"#' "$work/pyproject.toml"
  grep -q '"-k", "not integrated_sample"' "$work/pyproject.toml" || { echo "tools/mutation.sh: [tool.mutmut] pytest_add_cli_args changed; update the engine selection" >&2; exit 2; }
fi
echo "mutation run in $work (target: $target${globs[*]:+, mutants ${globs[*]}})" >&2
cd "$work"
status=0
timeout "${MUTATION_TIMEOUT:-3600}" "$python" -m mutmut run --max-children "${MUTATION_JOBS:-1}" ${globs[@]+"${globs[@]}"} \
  > mutmut-run.log 2>&1 || status=$?
[[ $status -eq 124 ]] && echo "stopped after ${MUTATION_TIMEOUT:-3600} s: the figures cover the mutants checked so far" >&2

"$python" - <<'PY'
import json
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

print(f"{'module':36} {'mutants':>7} {'checked':>7} {'killed':>7} {'survived':>8} {'other':>6} {'score':>6}")
for meta in sorted(Path("mutants").rglob("*.py.meta")):
    codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
    counts = Counter(status_by_exit_code[c] for c in codes.values())
    checked = sum(n for s, n in counts.items() if s not in ("not checked", "skipped"))
    killed = counts["killed"] + counts["timeout"] + counts["segfault"]
    other = checked - killed - counts["survived"]
    score = f"{100 * killed / checked:.1f}%" if checked else "-"
    name = str(meta.relative_to("mutants"))[: -len(".meta")]
    print(f"{name:36} {len(codes):7} {checked:7} {killed:7} {counts['survived']:8} {other:6} {score:>6}")
PY
exit "$status"
