"""yibao 医保: running and evaluating regional medical-insurance funds."""

__version__ = "0.1.0"
