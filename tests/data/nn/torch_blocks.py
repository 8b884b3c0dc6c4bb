# What the reference scripts of this folder share: printing a torch tensor
# as a block that tests/reference_data.hpp reads.


def block(name, a):
    """Prints "<name> <rows> <cols>" and the rows of a in float64 (the first
    dimension is the rows, the others are flattened; a vector is one column)."""
    a = a.detach().double()
    a = a.reshape(a.shape[0], -1) if a.dim() > 1 else a.reshape(-1, 1)
    print(name, a.shape[0], a.shape[1])
    for row in a.tolist():
        print(" ".join(repr(float(v)) for v in row))
