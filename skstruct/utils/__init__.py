"""Utilities: estimator discovery and input validation helpers."""

from .discovery import all_estimators

__all__ = ["all_estimators"]
