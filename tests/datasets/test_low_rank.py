import numpy as np
import pytest

from skstruct.datasets import make_background_video


@pytest.mark.parametrize("n_frames, height, width", [(1, 16, 8), (40, 20, 30), (120, 48, 64)])
def test_background_video_structure(n_frames, height, width):
    X, B, M = make_background_video(n_frames, height, width, noise=0.01, random_state=0)
    n = height * width
    assert X.shape == B.shape == M.shape == (n_frames, n)
    assert M.dtype == bool and M.any(axis=1).all()  # an object is on screen in every frame
    # the background is one texture under a scalar illumination: rank one
    s = np.linalg.svd(B, compute_uv=False)
    assert s[1:].max(initial=0.0) <= 1e-12 * s[0]
    # foreground pixels are bright, the rest is background plus the dense noise
    assert (X[M] >= 0.95).all() and (X[M] <= 1.0).all()
    resid = (X - B)[~M]
    assert abs(resid.std() - 0.01) < 0.1 * 0.01 + 5 * 0.01 / np.sqrt(resid.size)


def test_background_video_seeded_and_noiseless():
    a = make_background_video(10, 16, 8, random_state=3)
    b = make_background_video(10, 16, 8, random_state=3)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    X, B, M = make_background_video(10, 16, 8, noise=0.0, random_state=3)
    np.testing.assert_array_equal(X[~M], B[~M])


def test_background_video_rejects_frames_too_small():
    with pytest.raises(ValueError, match="height"):
        make_background_video(10, height=8)
