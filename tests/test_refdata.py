"""Reference lists load from the shared data folder and agree with its README."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao import refdata


def _nonblank_lines(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def test_data_dir_found() -> None:
    d = refdata.data_dir()
    assert (d / "gbt2260" / "2024.txt").is_file()
    assert (d / "chs-drg-1.1" / "ZD_INFO.dat").is_file()


def test_data_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path))
    assert refdata.data_dir() == tmp_path
    monkeypatch.setenv("YIBAO_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="YIBAO_DATA_DIR"):
        refdata.data_dir()


def test_data_dir_missing_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("YIBAO_DATA_DIR", raising=False)
    monkeypatch.setattr(refdata, "_repo_root", lambda: None)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="YIBAO_DATA_DIR") as err:
        refdata.data_dir()
    assert "参考数据" in str(err.value)


def test_area_codes_current() -> None:
    codes = refdata.area_codes()
    assert len(codes) == _nonblank_lines(refdata.data_dir() / "gbt2260" / "2024.txt")
    assert codes["430900"] == "益阳市"
    assert codes["110000"] == "北京市"
    assert all(len(c) == 6 and c.isdigit() for c in codes)


def test_valid_province_prefixes_match_2024_list() -> None:
    provinces = {c[:2] for c in refdata.area_codes() if c.endswith("0000")}
    assert provinces - {"71", "81", "82"} == refdata.VALID_PROVINCE_PREFIXES
    assert len(refdata.VALID_PROVINCE_PREFIXES) == 31


def test_counties_of_yiyang() -> None:
    assert refdata.counties_of("430900") == [
        "430902",
        "430903",
        "430921",
        "430922",
        "430923",
        "430981",
    ]
    assert refdata.area_name("430903") == "赫山区"


def test_counties_of_rejects_non_prefecture() -> None:
    for bad in ("430000", "430902", "4309", "abcdef"):
        with pytest.raises(ValueError):
            refdata.counties_of(bad)


def test_abolished_code_resolves_via_history() -> None:
    assert "110103" not in refdata.area_codes()
    entry = refdata.area_history()["110103"]
    assert entry == refdata.AreaCode("110103", "崇文区", "县级", False, "110101")
    assert refdata.area_name("110103") == "崇文区"
    assert refdata.province_of("110103") == "110000"


def test_reused_code_takes_current_name() -> None:
    # 120110 was 东郊区 (1981–1992) and is now 东丽区.
    entry = refdata.area_history()["120110"]
    assert entry.name == "东丽区" and entry.in_use and entry.successor is None


def test_history_contains_every_current_code() -> None:
    history = refdata.area_history()
    current = refdata.area_codes()
    assert set(current) <= set(history)
    assert {c for c, e in history.items() if e.in_use} == set(current)
    assert {e.level for e in history.values()} == {"省级", "地级", "县级"}


def test_province_and_prefecture_of() -> None:
    assert refdata.province_of("430903") == "430000"
    assert refdata.prefecture_of("430903") == "430900"
    assert refdata.prefecture_of("430900") == "430900"
    assert refdata.prefecture_of("430000") is None
    assert refdata.prefecture_of("429004") is None  # 仙桃市: 省直辖, no 429000
    assert refdata.province_of("990101") is None
    assert refdata.province_of("43") is None
    assert refdata.area_name("999999") is None


def test_icd10_diagnoses_loaded() -> None:
    path = refdata.data_dir() / "chs-drg-1.1" / "ZD_INFO.dat"
    diag = refdata.icd10_diagnoses()
    assert len(diag) == _nonblank_lines(path)
    # README says 33,303 (that is `wc -l`; the last line has no newline, so one more row).
    assert len(diag) >= 33_303
    assert diag["A00.000"].startswith("霍乱")


def test_procedures_and_drg_loaded() -> None:
    d = refdata.data_dir() / "chs-drg-1.1"
    procs = refdata.procedures()
    assert len(procs) == _nonblank_lines(d / "SS_INFO.dat")
    assert procs["22.4200x005"] == "Draf Ⅱa型手术"  # name containing a space is kept whole
    drgs = refdata.drg_groups()
    assert len(drgs) == _nonblank_lines(d / "DRG.dat")
    assert drgs["AA19"] == "心脏移植"
