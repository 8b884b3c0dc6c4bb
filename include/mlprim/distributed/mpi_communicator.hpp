// Communicator over MPI (link the CMake target mlprim::distributed, which
// exists when MPI was found): MpiCommunicator, a private duplicate of an
// MPI_Comm, and MpiEnvironment, MPI_Init / MPI_Finalize as a scope.
#ifndef MLPRIM_DISTRIBUTED_MPI_COMMUNICATOR_HPP
#define MLPRIM_DISTRIBUTED_MPI_COMMUNICATOR_HPP

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/distributed/communicator.hpp"

namespace mlprim {

namespace detail {

/// Throws std::runtime_error naming `what` and MPI's error string unless
/// `code` is MPI_SUCCESS.
inline void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw_runtime_error("MpiCommunicator", what, " failed: ",
                      length > 0 ? std::string(text, static_cast<std::size_t>(length))
                                 : std::string("MPI error ") + std::to_string(code));
}

template <class T>
MPI_Datatype mpi_type();
template <>
inline MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <>
inline MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }
template <>
inline MPI_Datatype mpi_type<std::int64_t>() { return MPI_INT64_T; }

/// Elements per MPI call: counts are int.
inline constexpr std::size_t kMpiChunk = std::size_t{1} << 30;

}  // namespace detail

/// MPI_Init_thread (MPI_THREAD_FUNNELED: only the thread that made the
/// environment calls MPI) and MPI_Finalize at scope exit, unless MPI was
/// already initialised by someone else, who then finalises it.
class MpiEnvironment {
 public:
  /// Initialises MPI with the program's arguments (mpiexec passes some).
  MpiEnvironment(int& argc, char**& argv) {
    int ready = 0;
    detail::check_mpi(MPI_Initialized(&ready), "MPI_Initialized");
    if (ready) return;
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided),
                      "MPI_Init_thread");
    owner_ = true;
  }
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
  /// MPI_Finalize, if this object initialised MPI.
  ~MpiEnvironment() {
    if (owner_) MPI_Finalize();
  }

 private:
  bool owner_ = false;
};

/// The Communicator of an MPI communicator: the constructor duplicates
/// `comm` (mlprim's messages never meet the caller's) with errors returned,
/// not fatal, and the destructor frees the duplicate; movable, not
/// copyable. Sums of float and double are reduced to rank 0 and broadcast,
/// so every rank holds the same bits; integer sums and maxima are exact.
class MpiCommunicator final : public Communicator {
 public:
  /// A private duplicate of `comm` (MPI must be initialised: MpiEnvironment).
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD) {
    int ready = 0;
    detail::check_mpi(MPI_Initialized(&ready), "MPI_Initialized");
    if (!ready) throw_runtime_error("MpiCommunicator", "MPI is not initialised (make an MpiEnvironment first)");
    detail::check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
    detail::check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;
  /// Takes over other's communicator.
  MpiCommunicator(MpiCommunicator&& other) noexcept
      : comm_(std::exchange(other.comm_, MPI_COMM_NULL)), rank_(other.rank_), size_(other.size_) {}
  /// Frees this communicator and takes over other's.
  MpiCommunicator& operator=(MpiCommunicator&& other) noexcept {
    if (this != &other) {
      release();
      comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
      rank_ = other.rank_;
      size_ = other.size_;
    }
    return *this;
  }
  /// MPI_Comm_free of the duplicate.
  ~MpiCommunicator() override { release(); }

  /// The duplicate, for the caller's own MPI calls.
  MPI_Comm comm() const { return comm_; }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void all_reduce_sum(float* data, std::size_t count) override { float_sum(data, count); }
  void all_reduce_sum(double* data, std::size_t count) override { float_sum(data, count); }
  void all_reduce_sum(std::int64_t* data, std::size_t count) override {
    all_reduce(data, count, MPI_SUM);
  }
  void all_reduce_max(float* data, std::size_t count) override { all_reduce(data, count, MPI_MAX); }
  void all_reduce_max(double* data, std::size_t count) override { all_reduce(data, count, MPI_MAX); }
  void all_reduce_max(std::int64_t* data, std::size_t count) override {
    all_reduce(data, count, MPI_MAX);
  }

  void broadcast(void* data, std::size_t bytes, int root) override {
    if (root < 0 || root >= size_)
      throw_invalid_argument("MpiCommunicator::broadcast", "root = ", root,
                             " is not a rank of a group of ", size_);
    auto* p = static_cast<unsigned char*>(data);
    for (std::size_t done = 0; done < bytes;) {
      const std::size_t n = std::min(detail::kMpiChunk, bytes - done);
      detail::check_mpi(MPI_Bcast(p + done, static_cast<int>(n), MPI_BYTE, root, comm_), "MPI_Bcast");
      done += n;
    }
  }

  /// Blocks and their sum must each stay below 2^31 bytes (MPI's int
  /// counts); a larger one throws std::runtime_error on every rank.
  std::vector<std::vector<unsigned char>> all_gather(const void* data, std::size_t bytes) override {
    // The lengths travel first as 64-bit values, so every rank sees an
    // oversized block and throws alike.
    std::vector<std::int64_t> lengths(static_cast<std::size_t>(size_));
    const auto mine = static_cast<std::int64_t>(std::min<std::size_t>(bytes, std::size_t{1} << 62));
    detail::check_mpi(MPI_Allgather(&mine, 1, MPI_INT64_T, lengths.data(), 1, MPI_INT64_T, comm_),
                      "MPI_Allgather");
    std::vector<int> counts(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
    std::int64_t total = 0;
    for (std::size_t r = 0; r < lengths.size(); ++r) {
      offsets[r] = static_cast<int>(std::min<std::int64_t>(total, INT_MAX));
      total += lengths[r];
      if (lengths[r] > INT_MAX || total > INT_MAX)
        throw_runtime_error("MpiCommunicator::all_gather", "the blocks add up to ", total,
                            " bytes or more (rank ", r, " sends ", lengths[r],
                            "); at most 2^31 - 1 are supported");
      counts[r] = static_cast<int>(lengths[r]);
    }
    std::vector<unsigned char> all(static_cast<std::size_t>(std::max<std::int64_t>(total, 1)));
    detail::check_mpi(MPI_Allgatherv(data, static_cast<int>(bytes), MPI_BYTE, all.data(), counts.data(),
                                     offsets.data(), MPI_BYTE, comm_),
                      "MPI_Allgatherv");
    std::vector<std::vector<unsigned char>> out(static_cast<std::size_t>(size_));
    for (std::size_t r = 0; r < out.size(); ++r)
      out[r].assign(all.begin() + offsets[r], all.begin() + offsets[r] + counts[r]);
    return out;
  }

  void barrier() override { detail::check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

 private:
  void release() noexcept {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  }

  template <class T>
  void all_reduce(T* data, std::size_t count, MPI_Op op) {
    for (std::size_t done = 0; done < count;) {
      const std::size_t n = std::min(detail::kMpiChunk, count - done);
      detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + done, static_cast<int>(n),
                                      detail::mpi_type<T>(), op, comm_),
                        "MPI_Allreduce");
      done += n;
    }
  }

  /// Reduce to rank 0, then broadcast its bits.
  template <class T>
  void float_sum(T* data, std::size_t count) {
    for (std::size_t done = 0; done < count;) {
      const std::size_t n = std::min(detail::kMpiChunk, count - done);
      void* send = rank_ == 0 ? MPI_IN_PLACE : static_cast<void*>(data + done);
      detail::check_mpi(MPI_Reduce(send, data + done, static_cast<int>(n), detail::mpi_type<T>(),
                                   MPI_SUM, 0, comm_),
                        "MPI_Reduce");
      detail::check_mpi(MPI_Bcast(data + done, static_cast<int>(n), detail::mpi_type<T>(), 0, comm_),
                        "MPI_Bcast");
      done += n;
    }
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

}  // namespace mlprim

#endif  // MLPRIM_DISTRIBUTED_MPI_COMMUNICATOR_HPP
