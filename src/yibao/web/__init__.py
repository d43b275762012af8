"""The web workbench (issue 18): ``yibao serve``."""
