"""Fund supervision (基金监管): screening rules over a year of data, ranked findings, work list."""

from yibao.supervise.catalogue import CATALOGUE, RULES
from yibao.supervise.rules import Rule
from yibao.supervise.run import SuperviseError, SuperviseOutcome, run_supervision

__all__ = ["CATALOGUE", "RULES", "Rule", "SuperviseError", "SuperviseOutcome", "run_supervision"]
