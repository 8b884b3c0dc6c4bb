// The k best candidates of a kNN query, ordered by accumulated distance and
// then by the smaller original index (so results are deterministic), kept in
// the caller's storage without allocating: a small sorted array for k <= 64
// (faster than a heap for the usual small k), a max-heap above, sorted by
// finish(). Candidates may be offered as positions into an id map (a tree's
// slots), compared by id only on equal distances and turned into ids by
// finish(), so a search need not load an id for every point it looks at.
#ifndef MLPRIM_NEIGHBORS_DETAIL_NEAREST_SET_HPP
#define MLPRIM_NEIGHBORS_DETAIL_NEAREST_SET_HPP

#include <cstdint>
#include <initializer_list>
#include <utility>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

template <class Scalar>
class NearestSet {
 public:
  static constexpr Index sorted_array_limit = 64;

  /// Holds up to k entries in indices[0..k) / dists[0..k), accepting only
  /// accumulated distances <= limit. With `ids`, offered indices are
  /// positions and ids[position] is the index they stand for.
  NearestSet(Index k, Scalar limit, Index* indices, Scalar* dists,
             const std::int32_t* ids = nullptr)
      : k_(k),
        limit_(limit),
        heap_(k > sorted_array_limit),
        indices_(indices),
        dists_(dists),
        ids_(ids) {}

  /// The accumulated distance a candidate must not exceed to be useful.
  Scalar bound() const { return count_ < k_ ? limit_ : dists_[heap_ ? 0 : k_ - 1]; }

  /// Inserts (dist, index) if it beats the current k-th entry.
  void offer(Scalar dist, Index index) {
    if (count_ < k_) {
      if (!(dist <= limit_)) return;
      if (heap_) {
        put(count_, dist, index);
        sift_up(count_++);
      } else {
        insert_sorted(count_++, dist, index);
      }
      return;
    }
    const Index worst = heap_ ? 0 : k_ - 1;
    if (!before(dist, index, dists_[worst], indices_[worst])) return;
    if (heap_) {
      put(0, dist, index);
      sift_down(0, count_);
    } else {
      insert_sorted(k_ - 1, dist, index);
    }
  }

  /// Puts the entries in ascending order (the sorted array already is) and
  /// turns positions into ids.
  void finish() {
    if (heap_)
      for (Index end = count_ - 1; end > 0; --end) {
        swap_entries(0, end);
        sift_down(0, end);
      }
    if (ids_)
      for (Index i = 0; i < count_; ++i) indices_[i] = ids_[indices_[i]];
  }

  Index count() const { return count_; }
  /// k: the entries it holds when full.
  Index capacity() const { return k_; }

 private:
  bool before(Scalar da, Index ia, Scalar db, Index ib) const {
    return da < db || (da == db && (ids_ ? ids_[ia] < ids_[ib] : ia < ib));
  }

  void put(Index i, Scalar dist, Index index) {
    dists_[i] = dist;
    indices_[i] = index;
  }
  void swap_entries(Index a, Index b) {
    std::swap(dists_[a], dists_[b]);
    std::swap(indices_[a], indices_[b]);
  }

  /// Shifts larger entries right from `hole` and puts (dist, index) in order.
  void insert_sorted(Index hole, Scalar dist, Index index) {
    while (hole > 0 && before(dist, index, dists_[hole - 1], indices_[hole - 1])) {
      put(hole, dists_[hole - 1], indices_[hole - 1]);
      --hole;
    }
    put(hole, dist, index);
  }

  void sift_up(Index i) {
    while (i > 0) {
      const Index parent = (i - 1) / 2;
      if (!before(dists_[parent], indices_[parent], dists_[i], indices_[i])) return;
      swap_entries(parent, i);
      i = parent;
    }
  }
  void sift_down(Index i, Index size) {
    for (;;) {
      Index largest = i;
      for (Index child : {2 * i + 1, 2 * i + 2})
        if (child < size &&
            before(dists_[largest], indices_[largest], dists_[child], indices_[child]))
          largest = child;
      if (largest == i) return;
      swap_entries(i, largest);
      i = largest;
    }
  }

  Index k_, count_ = 0;
  Scalar limit_;
  bool heap_;
  Index* indices_;
  Scalar* dists_;
  const std::int32_t* ids_;
};

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_NEAREST_SET_HPP
