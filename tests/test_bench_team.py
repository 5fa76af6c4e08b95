"""The team load tests cannot rot: `benchmarks/bench_team.py` runs here at a tiny size (two
agents through PgBouncer, two HTTP sessions for a second, three agents against a role allowed
two connections) and must keep every promise: no error, no offline fallback, nothing journalled,
every acknowledged write present, and each refused call the clear `connections_exhausted` error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PostgresServer, in_ci, require_postgres
from tests.pgbouncer import unavailable_reason

pytestmark = pytest.mark.heavy

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_team.py"


def test_bench_team_at_a_tiny_size(postgres_server: PostgresServer, tmp_path: Path) -> None:
    require_postgres(postgres_server)
    reason = unavailable_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"{reason} (CI=true: this test must run, not skip)", pytrace=False)
        pytest.skip(reason)
    completed = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--processes",
            "2",
            "--direct-processes",
            "3",
            "--role-limit",
            "2",
            "--ops",
            "3",
            "--sessions",
            "2",
            "--seconds",
            "1",
            "--deadline",
            "240",
            "--folder",
            str(tmp_path / "agents"),
            "--json",
            str(tmp_path / "results.json"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results) == {"a", "b", "c"}
    for name, result in results.items():
        assert result["ok"], (name, result)
        assert result["errors"] == {} and result["offline_fallbacks"] == 0, (name, result)
        assert result["writes_present"] == result["acknowledged_writes"], (name, result)
    assert results["a"]["journalled"] == results["c"]["journalled"] == 0
    assert results["a"]["acknowledged_writes"] + results["b"]["acknowledged_writes"] > 0
    assert results["c"]["calls"] == 3 * 3
