"""Policy parameters: dated YAML presets (national baseline, seed regions, demo-county)."""

from yibao.policy.loader import Policy, load_policy, preset_names
from yibao.policy.model import Bracket, Parameter, PolicyError, Scale

__all__ = ["Bracket", "Parameter", "Policy", "PolicyError", "Scale", "load_policy", "preset_names"]
