"""Numerical kernels shared by every family.

Pure functions on arrays: no estimator logic and no validation of user input
(callers validate). Each module groups one kind of kernel; see the module
docstrings for shapes and costs.
"""
