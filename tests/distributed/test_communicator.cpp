// MpiCommunicator against closed forms computed on every rank, and
// LocalCommunicator as the identity.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <mlprim/core/random.hpp>

#include "catch.hpp"
#include "world.hpp"

namespace {

using mlprim::test::world;

/// Rank r's contribution to element i of the reduced buffers.
double value_of(int r, std::size_t i) { return static_cast<double>((r + 1) * (static_cast<int>(i) + 1)); }

}  // namespace

TEST_CASE("MPI all-reduce sums and maxima equal their closed forms on every rank") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  REQUIRE(P >= 1);
  REQUIRE(me >= 0);
  REQUIRE(me < P);
  const std::size_t n = 1000;
  std::vector<float> f(n);
  std::vector<double> d(n);
  std::vector<std::int64_t> k(n);
  for (std::size_t i = 0; i < n; ++i) {
    f[i] = static_cast<float>(value_of(me, i));
    d[i] = value_of(me, i);
    k[i] = static_cast<std::int64_t>(value_of(me, i));
  }
  comm.all_reduce_sum(f.data(), n);
  comm.all_reduce_sum(d.data(), n);
  comm.all_reduce_sum(k.data(), n);
  const double ranks_sum = P * (P + 1) / 2.0;  // sum of (r + 1)
  bool sums = true;
  for (std::size_t i = 0; i < n; ++i) {
    const double want = ranks_sum * static_cast<double>(i + 1);  // small integers: exact
    sums = sums && f[i] == static_cast<float>(want) && d[i] == want &&
           k[i] == static_cast<std::int64_t>(want);
  }
  CHECK(sums);
  for (std::size_t i = 0; i < n; ++i) {
    f[i] = static_cast<float>(value_of(me, i));
    d[i] = -value_of(me, i);
    k[i] = static_cast<std::int64_t>(value_of(me, i));
  }
  comm.all_reduce_max(f.data(), n);
  comm.all_reduce_max(d.data(), n);
  comm.all_reduce_max(k.data(), n);
  bool maxima = true;
  for (std::size_t i = 0; i < n; ++i)
    maxima = maxima && f[i] == static_cast<float>(value_of(P - 1, i)) && d[i] == -value_of(0, i) &&
             k[i] == static_cast<std::int64_t>(value_of(P - 1, i));
  CHECK(maxima);
}

TEST_CASE("MPI sums of random doubles are the same bits on every rank and near the exact sum") {
  auto& comm = world();
  const int P = comm.size();
  constexpr std::size_t n = 4096;
  auto draw = [](int r) {
    mlprim::Rng rng(1000 + static_cast<std::uint64_t>(r));
    std::vector<double> v(n);
    for (double& x : v) x = rng.normal<double>();
    return v;
  };
  std::vector<double> sum = draw(comm.rank());
  comm.all_reduce_sum(sum.data(), n);
  // Every rank's draws, regenerated here: the sum in long double.
  std::vector<long double> exact(n, 0.0L);
  for (int r = 0; r < P; ++r) {
    const std::vector<double> v = draw(r);
    for (std::size_t i = 0; i < n; ++i) exact[i] += v[i];
  }
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i)
    worst = std::max(worst, static_cast<double>(std::abs(static_cast<long double>(sum[i]) - exact[i])));
  CHECK(worst <= 4 * P * 1e-16 * 8);  // P - 1 roundings of values below 8 in magnitude
  const auto blocks = comm.all_gather(sum.data(), n * sizeof(double));
  bool same = true;
  for (const auto& b : blocks) same = same && b == blocks[0];
  CHECK(same);
}

TEST_CASE("MPI broadcast, all-gather of uneven blocks and barrier") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  std::vector<std::int32_t> data(257, me);
  comm.broadcast(data.data(), data.size() * sizeof(std::int32_t), P - 1);
  bool from_last = true;
  for (std::int32_t x : data) from_last = from_last && x == P - 1;
  CHECK(from_last);
  // Rank r sends r bytes of value r (rank 0 an empty block).
  std::vector<unsigned char> mine(static_cast<std::size_t>(me), static_cast<unsigned char>(me));
  const auto blocks = comm.all_gather(mine.data(), mine.size());
  REQUIRE(blocks.size() == static_cast<std::size_t>(P));
  for (int r = 0; r < P; ++r)
    CHECK(blocks[static_cast<std::size_t>(r)] ==
          std::vector<unsigned char>(static_cast<std::size_t>(r), static_cast<unsigned char>(r)));
  comm.barrier();
  CHECK_THROWS_AS(comm.broadcast(data.data(), 4, P), std::invalid_argument);
  CHECK_THROWS_AS(comm.broadcast(data.data(), 4, -1), std::invalid_argument);
}

TEST_CASE("LocalCommunicator is one rank whose collectives are the identity") {
  mlprim::LocalCommunicator local;
  CHECK(local.rank() == 0);
  CHECK(local.size() == 1);
  std::vector<double> v = {1.5, -2, 3};
  local.all_reduce_sum(v.data(), v.size());
  local.all_reduce_max(v.data(), v.size());
  CHECK(v == std::vector<double>{1.5, -2, 3});
  const unsigned char bytes[3] = {7, 8, 9};
  const auto blocks = local.all_gather(bytes, 3);
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0] == std::vector<unsigned char>{7, 8, 9});
  CHECK_NOTHROW(local.broadcast(v.data(), 8, 0));
  CHECK_THROWS_WITH(local.broadcast(v.data(), 8, 1),
                    Catch::Contains("LocalCommunicator::broadcast") && Catch::Contains("root = 1"));
  local.barrier();
}
