"""`optimizer compare`: one table, rows = indicators, columns = plans, each plan's status shown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli.commands import app
from tests.support import ROOT

pytestmark = pytest.mark.slow


def test_compare_tables_plans_side_by_side(tmp_path: Path) -> None:
    """Three plans and a missing file: the table logic is the same for every plan, so the two slowest
    (Mianyang, Xiushan) are left to the plan tests."""
    plans = ["lu_county", "pingchang", "renhe"]
    scenarios = [*(ROOT / "scenarios" / f"{plan}.toml" for plan in plans), tmp_path / "absent.toml"]
    outcome = CliRunner().invoke(app, ["compare", *map(str, scenarios), "--out", str(tmp_path / "cmp")])
    assert outcome.exit_code == 0, outcome.output
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(table.columns) == ["id", "indicator", "unit", *plans, "absent"]
    for plan in plans:  # every plan ran: each has met/missed cells, none says "not run"
        assert table[plan].str.contains(r"\((?:met|missed by [0-9.e+-]+)\)$").any(), plan
        assert not table[plan].str.startswith("not run").any(), plan
    physicians = table.set_index("id").loc["physicians_per_1000"]
    assert physicians["lu_county"].startswith(">= 2.9 → ")
    assert physicians["renhe"].startswith(">= 3.78 → ")
    assert table.set_index("id").loc["beds_per_1000", "renhe"] == ""  # Renhe has no 2025 bed target
    assert table["absent"].str.startswith("not run:").all()
    assert "| physicians_per_1000 |" in (tmp_path / "cmp" / "compare.md").read_text(encoding="utf-8")
