import numpy as np
import pytest

from skstruct._backend._working_set import top_indices


@pytest.mark.parametrize("select", [top_indices])
@pytest.mark.parametrize("seed", range(5))
def test_top_selection_matches_brute_force(select, seed):
    rng = np.random.RandomState(seed)
    s = rng.randint(0, 4, 40).astype(float)  # many ties
    s[rng.rand(40) < 0.2] = np.inf
    for k in [1, 5, 17, 40]:
        # brute force: sort by (-score, index), take k, return in index order
        ref = np.sort(sorted(range(40), key=lambda j: (-s[j], j))[:k])
        np.testing.assert_array_equal(select(s, k), ref)
