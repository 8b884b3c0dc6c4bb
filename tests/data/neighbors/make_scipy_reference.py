#!/usr/bin/python3
# Reference neighbours from SciPy's cKDTree (Debian's python3-scipy), read by
# tests/neighbors/test_scipy_reference.cpp. Run from this folder:
#   /usr/bin/python3 make_scipy_reference.py > scipy_reference.txt
# Blocks are "<name> <rows> <cols>" followed by the values, printed with 17
# significant digits so that doubles read back exactly.
import numpy as np
import scipy
from scipy.spatial import cKDTree

rng = np.random.default_rng(20261122)
# Points: three Gaussian blobs and a uniform background in [0, 1)^3, so the
# same set also serves the periodic box of side 1.
blobs = np.concatenate([rng.normal(c, s, size=(200, 3)) for c, s in
                        [((0.2, 0.3, 0.7), 0.03), ((0.8, 0.8, 0.1), 0.08), ((0.5, 0.1, 0.5), 0.01)]])
points = np.mod(np.concatenate([blobs, rng.uniform(0, 1, size=(400, 3))]), 1.0)
queries = rng.uniform(-0.1, 1.1, size=(100, 3))


def block(name, a):
    a = np.atleast_2d(np.asarray(a, dtype=float))
    print(name, a.shape[0], a.shape[1])
    for row in a:
        print(" ".join(repr(float(v)) for v in row))


print("# scipy", scipy.__version__, "cKDTree, k = 5")
block("points", points)
block("queries", queries)
tree = cKDTree(points)
for name, p in [("l2", 2), ("l1", 1), ("linf", np.inf), ("minkowski3", 3)]:
    d, i = tree.query(queries, k=5, p=p)
    block(name + "_indices", i)
    block(name + "_distances", d)
block("radius_counts_r0.1", tree.query_ball_point(queries, r=0.1, return_length=True).reshape(-1, 1))
torus = cKDTree(points, boxsize=[1.0, 1.0, 1.0])
d, i = torus.query(queries, k=5)
block("periodic_indices", i)
block("periodic_distances", d)
