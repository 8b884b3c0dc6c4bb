#!/usr/bin/python3
# Reference exact neighbours from FAISS's IndexFlatL2 (Debian's python3-faiss),
# read by tests/neighbors/test_faiss_reference.cpp. Run from this folder:
#   /usr/bin/python3 make_faiss_reference.py > faiss_reference.txt
# Two sets: float points in 24-D (continuous, so no ties), and byte-valued
# descriptors in 64-D given to FAISS as float32 (its squared distances are
# then exact integers). FAISS reports squared L2 distances; they are printed
# as given, with 9 significant digits (float32 values read back exactly).
# Blocks are "<name> <rows> <cols>" followed by the values.
import faiss
import numpy as np

rng = np.random.default_rng(20261203)


def block(name, a):
    a = np.atleast_2d(np.asarray(a, dtype=float))
    print(name, a.shape[0], a.shape[1])
    for row in a:
        print(" ".join("%.9g" % v for v in row))


def search(points, queries, k):
    index = faiss.IndexFlatL2(points.shape[1])
    index.add(points)
    return index.search(queries, k)


print("# faiss", faiss.__version__, "IndexFlatL2, k = 5")
centres = rng.uniform(-1, 1, size=(4, 24))
points = (centres[rng.integers(0, 4, 400)] + rng.normal(0, 0.3, size=(400, 24))).astype(np.float32)
queries = (centres[rng.integers(0, 4, 30)] + rng.normal(0, 0.3, size=(30, 24))).astype(np.float32)
d, i = search(points, queries, 5)
block("float_points", points)
block("float_queries", queries)
block("float_indices", i)
block("float_squared_distances", d)

bytes_points = rng.integers(0, 256, size=(300, 64)).astype(np.float32)
bytes_queries = rng.integers(0, 256, size=(30, 64)).astype(np.float32)
d, i = search(bytes_points, bytes_queries, 5)
block("byte_points", bytes_points)
block("byte_queries", bytes_queries)
block("byte_indices", i)
block("byte_squared_distances", d)
