"""Resumable results: ``cases.jsonl`` rows keyed by (case id, model alias, input hash).

The input hash covers everything that decides a case's outcome besides the code: the case JSON, the models-file
entries of the alias and its fallbacks, the prompt templates' sha256 and the tenant data's fingerprint. A rerun
skips every (case, alias) whose latest row has the current hash and runs the rest; rows are appended and flushed
one by one, so an interrupted run loses at most the cases in flight.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from agent_crm.errors import ConfigError
from agent_crm.evaluation.dataset import Case, canonical_json, sha256_text
from agent_crm.evaluation.results import CaseResult
from agent_crm.logs import get_logger

log = get_logger("evaluation.store")

CASES_FILE = "cases.jsonl"


def models_file_entries(path: Path) -> dict[str, dict[str, Any]]:
    """Return the raw entries of a models file by alias (what the input hash covers)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read models file ({exc.__class__.__name__})") from exc
    entries = doc.get("models") if isinstance(doc, Mapping) else None
    out: dict[str, dict[str, Any]] = {}
    for entry in entries or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("model_name"), str):
            out[entry["model_name"]] = dict(entry)
    return out


def prompt_hashes() -> dict[str, str]:
    """Return the sha256 of the latest version of every prompt template (empty when none is installed)."""
    from agent_crm.llm.prompts import available_versions, default_root, load_prompt

    root = default_root()
    if not root.is_dir():
        return {}
    out: dict[str, str] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if available_versions(folder.name, root=root):
            out[folder.name] = load_prompt(folder.name, root=root).sha256
    return out


def input_hash(case: Case, chain_entries: Sequence[Mapping[str, Any]], prompts: Mapping[str, str],
               tenant_fingerprint: str) -> str:
    """Return the resume key's input hash of one (case, alias)."""
    payload = {"case": json.loads(case.canonical()), "models": list(chain_entries), "prompts": dict(prompts),
               "tenant": tenant_fingerprint}
    return sha256_text(canonical_json(payload))


class CaseStore:
    """The append-only ``cases.jsonl`` of an output folder."""

    def __init__(self, out: Path) -> None:
        """Open (create) ``out/cases.jsonl`` and read the rows already there."""
        out.mkdir(parents=True, exist_ok=True)
        self.path = out / CASES_FILE
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str], CaseResult] = {}
        if self.path.exists():
            self._read()

    def _read(self) -> None:
        bad = 0
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    row = CaseResult.model_validate_json(line)
                except ValueError:
                    bad += 1  # a line cut by an interrupted run
                    continue
                self._latest[(row.case_id, row.model)] = row
        if bad:
            log.warning("eval_cases_unreadable_lines", path=str(self.path), lines=bad)

    def done(self, case_id: str, model: str, digest: str) -> CaseResult | None:
        """Return the stored result of (case, model) when it was made from the same inputs, else None."""
        row = self._latest.get((case_id, model))
        return row if row is not None and row.input_hash == digest else None

    def append(self, row: CaseResult) -> None:
        """Append one result and flush it to disk."""
        line = row.model_dump_json() + "\n"
        with self._lock:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            self._latest[(row.case_id, row.model)] = row
