// SIFT-like descriptors for the neighbors benchmarks and examples: 128 bytes
// each, drawn from a mixture of low-rank Gaussian clusters so that, as in
// real SIFT data, the intrinsic dimension is far below 128.
//
// Generator: `clusters` centres uniform in [10, 90]^128; each cluster has its
// own basis of `rank` (8) random directions with per-direction spreads in
// [6, 30]; a descriptor is centre + basis z (z standard normal) + N(0, 2)
// per coordinate, rounded and clamped to [0, 255]. The layout (centres,
// bases) comes from `layout`, the draws from `seed`, so queries drawn with the
// same layout and another seed fall where the train descriptors are.
#ifndef MLPRIM_BENCH_COMMON_DESCRIPTORS_HPP
#define MLPRIM_BENCH_COMMON_DESCRIPTORS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <mlprim/core.hpp>

namespace mlprim::bench {

/// n SIFT-like descriptors (n x 128 bytes).
inline RowMatrix<std::uint8_t> sift_like(Index n, std::uint64_t seed, std::uint64_t layout = 1,
                                         Index clusters = 64, Index rank = 8) {
  constexpr Index d = 128;
  Rng shape(layout), rng(seed);
  RowMatrix<float> centres(clusters, d);
  fill_uniform(centres, shape, 10.0f, 90.0f);
  std::vector<RowMatrix<float>> bases;
  for (Index c = 0; c < clusters; ++c) {
    RowMatrix<float> basis(rank, d);
    fill_normal(basis, shape);
    for (Index r = 0; r < rank; ++r)
      basis.row(r) *= shape.uniform(6.0f, 30.0f) / basis.row(r).norm() * std::sqrt(float(d)) / 4;
    bases.push_back(std::move(basis));
  }
  RowMatrix<std::uint8_t> out(n, d);
  RowVector<float> z(rank), x(d);
  for (Index i = 0; i < n; ++i) {
    const auto c = static_cast<Index>(rng.below(static_cast<std::uint64_t>(clusters)));
    fill_normal(z, rng);
    x = centres.row(c) + z * bases[static_cast<std::size_t>(c)];
    for (Index j = 0; j < d; ++j)
      out(i, j) = static_cast<std::uint8_t>(std::clamp(std::round(x(j) + rng.normal(0.0f, 2.0f)), 0.0f, 255.0f));
  }
  return out;
}

}  // namespace mlprim::bench

#endif  // MLPRIM_BENCH_COMMON_DESCRIPTORS_HPP
