"""The pure domain: scenario in, monthly cost series and a verdict out.

Imports numpy and pydantic only, never a web, database or chart library
(tests/engine/test_purity.py proves it in a fresh interpreter).
"""

from .estimate import Estimate, estimate, estimate_many, run
from .inputs import MissingPrice, build_inputs
from .prices import PriceSheet
from .scenario import CATEGORIES, STRATEGIES, Scenario

__all__ = [
    "CATEGORIES",
    "STRATEGIES",
    "Estimate",
    "MissingPrice",
    "PriceSheet",
    "Scenario",
    "build_inputs",
    "estimate",
    "estimate_many",
    "run",
]
