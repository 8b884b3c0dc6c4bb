// Data-parallel optimizer steps (PyTorch DistributedDataParallel's
// semantics): every rank computes gradients on its own batch, then
// allreduce_gradients sums or averages them across ranks before step(), so
// N ranks with local batches of a mean loss take the step one process
// would take on their union; broadcast_parameters makes the ranks start
// from rank 0's parameters.
#ifndef MLPRIM_DISTRIBUTED_GRADIENTS_HPP
#define MLPRIM_DISTRIBUTED_GRADIENTS_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/distributed/communicator.hpp"
#include "mlprim/distributed/detail/agree.hpp"

namespace mlprim {

/// How allreduce_gradients combines the ranks' gradients.
struct AllreduceOptions {
  /// Divide the sums by the number of ranks (DDP's mean); false keeps sums.
  bool average = true;
  /// Gradients travel in buckets of at most this many bytes (DDP's
  /// bucket_cap_mb = 25): fewer, larger messages; >= one element.
  std::size_t bucket_bytes = std::size_t{25} << 20;
};

namespace detail {

/// Signature of a list of buffers' sizes, for agree().
template <class Maps>
std::uint64_t layout_signature(const Maps& maps, std::uint64_t hash = kFnv1aBasis) {
  hash = fnv1a_value(static_cast<std::uint64_t>(maps.size()), hash);
  for (const auto& m : maps) hash = fnv1a_value(static_cast<std::int64_t>(m.size()), hash);
  return hash;
}

}  // namespace detail

/// Collective: every gradient registered with `optimizer` (any mlprim
/// optimizer, or anything with gradients() returning Eigen maps) becomes
/// g = sum_r g_r over the ranks r, divided by the number of ranks when
/// options.average, copied through buckets of options.bucket_bytes. Every
/// rank must hold gradients of the same sizes in the same order and pass
/// the same options, else every rank throws std::invalid_argument. The
/// result is the same bits on every rank (Communicator's guarantee).
template <class Optimizer>
void allreduce_gradients(Optimizer& optimizer, Communicator& comm,
                         const AllreduceOptions& options = {}) {
  constexpr const char* fn = "allreduce_gradients";
  auto grads = optimizer.gradients();
  using T = typename decltype(grads)::value_type::Scalar;
  std::uint64_t signature = detail::layout_signature(grads);
  signature = detail::fnv1a_value(static_cast<std::uint64_t>(options.bucket_bytes), signature);
  signature = detail::fnv1a_value(options.average, signature);
  detail::agree(comm, fn, "the gradients' count, sizes or the options", signature);
  if (options.bucket_bytes < sizeof(T))
    throw_invalid_argument(fn, "options.bucket_bytes = ", options.bucket_bytes,
                           " holds no element of ", sizeof(T), " bytes");
  const T scale = options.average ? T(1) / static_cast<T>(comm.size()) : T(1);
  if (comm.size() == 1) {
    if (scale != T(1))
      for (auto& g : grads) g *= scale;
    return;
  }
  // Pieces (gradient, first element, count) fill a bucket in order; a full
  // bucket is reduced and its pieces copied back.
  struct Piece {
    std::size_t grad;
    Index begin, count;
  };
  const std::size_t capacity = options.bucket_bytes / sizeof(T);
  Index total = 0;
  for (const auto& g : grads) total += g.size();
  std::vector<T> bucket(static_cast<std::size_t>(std::min<Index>(total, static_cast<Index>(capacity))));
  std::vector<Piece> pieces;
  std::size_t used = 0;
  auto flush = [&]() {
    if (used == 0) return;
    comm.all_reduce_sum(bucket.data(), used);
    std::size_t at = 0;
    for (const Piece& p : pieces) {
      T* g = grads[p.grad].data() + p.begin;
      for (Index i = 0; i < p.count; ++i) g[i] = bucket[at + static_cast<std::size_t>(i)] * scale;
      at += static_cast<std::size_t>(p.count);
    }
    pieces.clear();
    used = 0;
  };
  for (std::size_t gi = 0; gi < grads.size(); ++gi) {
    const T* g = grads[gi].data();
    for (Index begin = 0; begin < grads[gi].size();) {
      const Index n = std::min<Index>(grads[gi].size() - begin, static_cast<Index>(capacity - used));
      std::copy(g + begin, g + begin + n, bucket.begin() + static_cast<std::ptrdiff_t>(used));
      pieces.push_back({gi, begin, n});
      used += static_cast<std::size_t>(n);
      begin += n;
      if (used == capacity) flush();
    }
  }
  flush();
}

/// Collective: every parameter registered with `optimizer` takes rank
/// `root`'s values (call once before training, as DDP does at
/// construction). The layouts must agree, as for allreduce_gradients.
template <class Optimizer>
void broadcast_parameters(Optimizer& optimizer, Communicator& comm, int root = 0) {
  constexpr const char* fn = "broadcast_parameters";
  auto params = optimizer.parameters();
  using T = typename decltype(params)::value_type::Scalar;
  std::uint64_t signature = detail::layout_signature(params);
  signature = detail::fnv1a_value(root, signature);
  detail::agree(comm, fn, "the parameters' count, sizes or the root", signature);
  if (root < 0 || root >= comm.size())
    throw_invalid_argument(fn, "root = ", root, " is not a rank of a group of ", comm.size());
  for (auto& p : params) comm.broadcast(p.data(), static_cast<std::size_t>(p.size()) * sizeof(T), root);
}

}  // namespace mlprim

#endif  // MLPRIM_DISTRIBUTED_GRADIENTS_HPP
