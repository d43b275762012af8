"""`yibao synth` output: progress, files written, realised rates next to their targets."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from .preset import SynthPresetError
from .run import synthesize
from .writer import SynthOutputError


def parse_rates(items: list[str]) -> dict[str, float]:
    rates = {}
    for item in items:
        kind, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            rates[kind.strip()] = float(value)
        except ValueError:
            msg = f"--rate 应写作 类型=比例,如 split_admission=0.001: {item!r}"
            raise SynthPresetError(msg) from None
    return rates


def run_synth(
    *,
    preset: str,
    out_dir: Path,
    scale: float,
    seed: int,
    fmt: str,
    encoding: str,
    rates: list[str],
    as_json: bool,
    out: Console,
    err: Console,
    years: int = 1,
) -> int:
    try:
        with err.status("生成中…") as status:
            result = synthesize(
                preset,
                out_dir,
                scale=scale,
                seed=seed,
                fmt=fmt,
                encoding=encoding,
                rates=parse_rates(rates),
                years=years,
                progress=lambda m: status.update(m),
            )
    except (SynthPresetError, SynthOutputError, ValueError) as exc:
        err.print(f"[red]错误[/red]: {exc}")
        return 2
    m = result.manifest
    rows = sum(f["rows"] for f in m["files"].values())
    speed = {
        "seconds": round(result.seconds, 2),
        "rows": rows,
        "rows_per_s": round(rows / result.seconds) if result.seconds else None,
        "peak_rss_mb": result.peak_rss_mb,
    }
    if as_json:
        print(json.dumps(m | speed, ensure_ascii=False))
        return 0
    out.print(
        f"已生成 {m['label']} {m['year']} 年数据(scale {m['scale']}, seed {m['seed']})→ {out_dir}"
    )
    files = RichTable(title="文件")
    for col in ("表", "文件", "行数"):
        files.add_column(col)
    for t, f in m["files"].items():
        files.add_row(t, f["file"], f"{f['rows']:,}")
    out.print(files)
    real = RichTable(title="实现值与目标(全国居民典型值)")
    for col in ("指标", "实现值", "目标", "说明"):
        real.add_column(col)
    for r in m["realised"]:
        real.add_row(r["indicator"], r["realised"], r["target"], r["note"])
    out.print(real)
    planted = RichTable(title="植入的异常(truth/anomalies.csv)")
    planted.add_column("类型")
    planted.add_column("个数")
    for k, v in m["planted"].items():
        planted.add_row(k, str(v))
    out.print(planted)
    out.print(
        f"用时 {speed['seconds']} 秒,{rows:,} 行,{speed['rows_per_s']:,} 行/秒,"
        f"峰值内存 {result.peak_rss_mb} MB。导入: yibao init WS --policy {out_dir}/policy.yaml"
    )
    return 0
