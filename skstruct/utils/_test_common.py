"""Instances and expected failures for the scikit-learn common checks.

``tests/test_common.py`` builds one instance per public estimator with the
parameters below (defaults when absent), so the checks run fast, and passes
the expected failures (each with its reason) to ``parametrize_with_checks``.
One block per family keeps edits apart.
"""

# --- decomposition ------------------------------------------------------------------
DECOMPOSITION_PARAMS = {
    "RobustPCA": {"random_state": 0},
    "OutlierRobustPCA": {"random_state": 0},
}
DECOMPOSITION_EXPECTED_FAILED = {}

# --- linear_model -------------------------------------------------------------------
LINEAR_MODEL_PARAMS = {
    # tight gaps so the sample-weight equivalence checks compare converged fits
    "LassoCV": {"tol": 1e-10, "alphas": 20, "cv": 3},
    "ElasticNetCV": {"tol": 1e-10, "alphas": 20, "cv": 3},
    "AdaptiveLassoCV": {"tol": 1e-10},
    "GroupLassoCV": {"tol": 1e-10},
    "MultiTaskLassoCV": {"tol": 1e-10, "alphas": 20, "cv": 3},
    "MultiTaskElasticNetCV": {"tol": 1e-10, "alphas": 20, "cv": 3},
    "SparseLogisticRegressionCV": {"alphas": 5, "cv": 3},
}
# (the sample-weight equivalence checks give a CV estimator the same folds, one group per
# fold, for the weighted and the repeated rows: converged fits agree, so no entry)
LINEAR_MODEL_EXPECTED_FAILED = {}

# --- cluster ------------------------------------------------------------------------
CLUSTER_PARAMS = {}
CLUSTER_PARAMS.update({  # subspace clustering: fewer k-means restarts, faster checks
    name: {"n_init": 3} for name in (
        "SparseSubspaceClustering", "ElasticNetSubspaceClustering", "OMPSubspaceClustering",
        "LeastSquaresSubspaceClustering", "LowRankRepresentation",
        "ThresholdingSubspaceClustering")
})
CLUSTER_EXPECTED_FAILED = {
    "OMPSubspaceClustering": {
        "check_clustering": (
            "the check clusters 2-D blobs, which are not subspaces: in R^2 any point is an "
            "exact combination of almost any two others, so OMP's second pick is arbitrary "
            "and the affinity carries no blob structure (ARI about 0.05)"),
    },
}

# --- mixture ------------------------------------------------------------------------
MIXTURE_PARAMS = {
    # The check fits 200 samples in 10 + 1 dimensions (a linear target): wider
    # initial components give the one-or-two-piece model that data size supports.
    "IncrementalGaussianMixtureRegressor": {"init_scale": 0.3},
}
MIXTURE_EXPECTED_FAILED = {
    "IncrementalGaussianMixture": {
        "check_sample_weight_equivalence_on_dense_data": (
            "one pass in the given order: which samples create components, and the order of "
            "the components, depend on the order of the rows, and the check shuffles the "
            "weighted rows against the repeated ones. Integer weights equal repetitions in "
            "the same order (tests/mixture/test_incremental_gmm.py)."
        ),
    },
}

# --- spd ----------------------------------------------------------------------------
# SPD estimators take 3-D/4-D input (tags two_d_array=False), so sklearn's checks skip
# them; their contract is tested in tests/spd/.
SPD_PARAMS = {
    "SPDSWAlignment": {"n_projections": 10, "random_state": 0},
    "SPDSWEmbedding": {"n_projections": 10, "random_state": 0},
    "SPDSWKernel": {"n_projections": 10, "random_state": 0},
}
SPD_EXPECTED_FAILED = {}

# --- density ------------------------------------------------------------------------
DENSITY_PARAMS = {
    "KDEModeFinder": {"n_init": 10, "random_state": 0},
}
DENSITY_EXPECTED_FAILED = {}


CHECK_PARAMS = {
    **DECOMPOSITION_PARAMS,
    **LINEAR_MODEL_PARAMS,
    **CLUSTER_PARAMS,
    **MIXTURE_PARAMS,
    **SPD_PARAMS,
    **DENSITY_PARAMS,
}
EXPECTED_FAILED_CHECKS = {
    **DECOMPOSITION_EXPECTED_FAILED,
    **LINEAR_MODEL_EXPECTED_FAILED,
    **CLUSTER_EXPECTED_FAILED,
    **MIXTURE_EXPECTED_FAILED,
    **SPD_EXPECTED_FAILED,
    **DENSITY_EXPECTED_FAILED,
}


def make_instance(cls):
    """An instance of ``cls`` configured for the common checks."""
    return cls(**CHECK_PARAMS.get(cls.__name__, {}))


def expected_failed_checks(estimator):
    """``{check_name: reason}`` for ``estimator`` (may be empty)."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
