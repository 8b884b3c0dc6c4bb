// The collective operations that distributed training and search need, as
// an interface any engine can implement (MpiCommunicator is the MPI one),
// and LocalCommunicator, the single-process default and test double. This
// header does not include MPI.
#ifndef MLPRIM_DISTRIBUTED_COMMUNICATOR_HPP
#define MLPRIM_DISTRIBUTED_COMMUNICATOR_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"

namespace mlprim {

/// A group of `size()` processes, this one numbered `rank()`, and the
/// collectives mlprim's distributed code calls. Every operation is
/// collective: all ranks call it, in the same order, with the same counts
/// (the byte blocks of all_gather may differ in length). Buffers are
/// reduced in place, and every rank ends with the same bits (an
/// implementation must reduce in an order independent of the rank that
/// receives). Failures throw std::runtime_error.
class Communicator {
 public:
  virtual ~Communicator() = default;

  /// This process's number, in [0, size()).
  virtual int rank() const = 0;
  /// Processes in the group, >= 1.
  virtual int size() const = 0;

  /// data[i] = sum over ranks of data[i], i < count.
  virtual void all_reduce_sum(float* data, std::size_t count) = 0;
  /// data[i] = sum over ranks of data[i], i < count.
  virtual void all_reduce_sum(double* data, std::size_t count) = 0;
  /// data[i] = sum over ranks of data[i], i < count.
  virtual void all_reduce_sum(std::int64_t* data, std::size_t count) = 0;
  /// data[i] = max over ranks of data[i], i < count.
  virtual void all_reduce_max(float* data, std::size_t count) = 0;
  /// data[i] = max over ranks of data[i], i < count.
  virtual void all_reduce_max(double* data, std::size_t count) = 0;
  /// data[i] = max over ranks of data[i], i < count.
  virtual void all_reduce_max(std::int64_t* data, std::size_t count) = 0;

  /// Copies `bytes` bytes at `data` on rank `root` to `data` on every rank.
  virtual void broadcast(void* data, std::size_t bytes, int root) = 0;

  /// Every rank's block of bytes, in rank order, on every rank.
  virtual std::vector<std::vector<unsigned char>> all_gather(const void* data,
                                                             std::size_t bytes) = 0;

  /// Returns when every rank has called it.
  virtual void barrier() = 0;

 protected:
  /// Made only as a part of an implementation.
  Communicator() = default;
  /// Copied only as a part of an implementation (no slicing).
  Communicator(const Communicator&) = default;
  /// Assigned only as a part of an implementation (no slicing).
  Communicator& operator=(const Communicator&) = default;
};

/// One process alone: rank 0 of 1, every collective the identity.
class LocalCommunicator final : public Communicator {
 public:
  /// 0.
  int rank() const override { return 0; }
  /// 1.
  int size() const override { return 1; }
  /// Nothing to add: the data stay.
  void all_reduce_sum(float*, std::size_t) override {}
  /// Nothing to add: the data stay.
  void all_reduce_sum(double*, std::size_t) override {}
  /// Nothing to add: the data stay.
  void all_reduce_sum(std::int64_t*, std::size_t) override {}
  /// The data are their own maximum.
  void all_reduce_max(float*, std::size_t) override {}
  /// The data are their own maximum.
  void all_reduce_max(double*, std::size_t) override {}
  /// The data are their own maximum.
  void all_reduce_max(std::int64_t*, std::size_t) override {}
  /// Rank 0 already holds the data; another root throws.
  void broadcast(void*, std::size_t, int root) override {
    if (root != 0)
      throw_invalid_argument("LocalCommunicator::broadcast", "root = ", root,
                             " is not a rank of a group of 1");
  }
  /// This rank's block alone.
  std::vector<std::vector<unsigned char>> all_gather(const void* data, std::size_t bytes) override {
    std::vector<unsigned char> block(bytes);
    if (bytes > 0) std::memcpy(block.data(), data, bytes);
    return {std::move(block)};
  }
  /// No one to wait for.
  void barrier() override {}
};

/// Collective: every rank's `count` values at `data` (a trivially copyable
/// T), one vector per rank in rank order: all_gather with the bytes typed.
template <class T>
std::vector<std::vector<T>> all_gather_values(Communicator& comm, const T* data,
                                              std::size_t count) {
  static_assert(std::is_trivially_copyable_v<T>, "all_gather_values copies bytes");
  const auto blocks = comm.all_gather(data, count * sizeof(T));
  std::vector<std::vector<T>> out(blocks.size());
  for (std::size_t r = 0; r < blocks.size(); ++r) {
    if (blocks[r].size() % sizeof(T) != 0)
      throw_runtime_error("all_gather_values", "rank ", r, " sent ", blocks[r].size(),
                          " bytes, not a whole number of values");
    out[r].resize(blocks[r].size() / sizeof(T));
    if (!out[r].empty()) std::memcpy(out[r].data(), blocks[r].data(), blocks[r].size());
  }
  return out;
}

/// Collective: every rank's values concatenated in rank order.
template <class T>
std::vector<T> all_gather_concat(Communicator& comm, const std::vector<T>& values) {
  std::vector<T> out;
  for (const auto& part : all_gather_values(comm, values.data(), values.size()))
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_DISTRIBUTED_COMMUNICATOR_HPP
