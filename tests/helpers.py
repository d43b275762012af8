"""Helpers for tests: export files written the way bureaus write them."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from yibao.identity.idcard import random_valid_id

TODAY = date(2026, 11, 23)


def write_csv(
    path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def valid_id(
    seed: int, area: str = "430921", birth: date = date(1980, 5, 17), male: bool = True
) -> str:
    return random_valid_id(random.Random(seed), area, birth, male)


CLAIM_HEADER_CN = [
    "结算ID",
    "人员编号",
    "证件号码",
    "险种类型",
    "医疗类别",
    "定点医药机构编号",
    "医保结算等级",
    "异地就医标志",
    "人员身份类别",
    "结算时间",
    "医疗费总额",
    "符合政策范围金额",
    "基本医疗保险统筹基金支出",
]


def claim_row(i: int, **over: object) -> list[object]:
    base = {
        "结算ID": f"S{i:06d}",
        "人员编号": f"P{i % 7:04d}",
        "证件号码": valid_id(i),
        "险种类型": "390",
        "医疗类别": "21",
        "定点医药机构编号": "H001",
        "医保结算等级": "3",
        "异地就医标志": "0",
        "人员身份类别": "普通人员",
        "结算时间": datetime(2021, 3, 1 + i % 27, 10, 0).strftime("%Y-%m-%d %H:%M:%S"),
        "医疗费总额": "100000.00",
        "符合政策范围金额": "90000.00",
        "基本医疗保险统筹基金支出": "57980.00",
    }
    base.update(over)
    return [base[h] for h in CLAIM_HEADER_CN]


@dataclass
class Ran:
    """What ``subprocess.run`` would have said of a ``yibao`` command."""

    returncode: int
    stdout: str
    stderr: str


def yibao_here(*args: str) -> Ran:
    """``yibao ARGS`` in this process through typer's runner, for tests about what commands
    store rather than about the process: it spares the ~1.5 s CPU of a fresh interpreter per
    call (ibis, DuckDB), and a command with ``--engine pyspark`` uses this worker's one
    SparkSession instead of starting a JVM.  Crashes are still exit 3 (SafeGroup)."""
    from typer.testing import CliRunner

    from yibao.cli import app

    res = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    return Ran(res.exit_code, res.stdout, res.stderr)
