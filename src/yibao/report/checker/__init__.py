"""``yibao check-report``: find the arithmetic a report states and say where it does not hold."""

from yibao.report.checker.check import Finding, check_report, check_text

__all__ = ["Finding", "check_report", "check_text"]
