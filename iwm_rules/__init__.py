"""iwm-rules: CMMI Integrated Work Management and ITIL transition gap assessment.

Data flows one way: files -> validated tables -> facts -> findings -> reports.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import EvidenceError, EvidenceFileError, Issue, RulesetError  # noqa: E402
from .evidence import Evidence, load_evidence  # noqa: E402
from .ruleset import load_mappings, load_ruleset, load_tailoring  # noqa: E402
from .assessment import Assessment, assess  # noqa: E402
from .exporters import export  # noqa: E402
from .batch import BatchResult, run_batch  # noqa: E402

__all__ = [
    "Assessment", "BatchResult", "Evidence", "EvidenceError", "EvidenceFileError", "Issue", "RulesetError",
    "assess", "export", "load_evidence", "load_mappings", "load_ruleset", "load_tailoring", "run_batch", "__version__",
]
