# What the reference scripts of this folder share: printing a matrix as a
# block that tests/reference_data.hpp reads, and writing a data set as CSV.
import numpy as np


def block(name, a):
    """Prints "<name> <rows> <cols>" and the rows of a (a vector is one column)."""
    a = np.asarray(a, dtype=np.float64)
    a = a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(-1, 1)
    print(name, a.shape[0], a.shape[1])
    for row in a.tolist():
        print(" ".join(repr(float(v)) for v in row))


def write_csv(path, X, y, names=("0", "1")):
    """The examples' layout: "n,p,<label names>" then one row per sample, label last."""
    with open(path, "w") as f:
        f.write("%d,%d,%s\n" % (X.shape[0], X.shape[1], ",".join(names)))
        for row, label in zip(X.tolist(), y.tolist()):
            f.write(",".join(repr(float(v)) for v in row) + ",%s\n" % repr(float(label)))
