// Matching image descriptors: two sets of SIFT-like 128-byte descriptors
// with known correspondences (the second image's descriptors are noisy
// copies of some of the first's, plus descriptors of things only it shows),
// matched with Lowe's ratio test through a randomized k-d forest, then
// through the exact k-d tree for comparison. Prints the precision and
// recall of the matches and the queries per second of each search.
#include <chrono>
#include <cstdint>
#include <cstdio>

#include <mlprim/neighbors.hpp>

#include "common/descriptors.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  using mlprim::Index;
  // Image 1: 20000 descriptors. Image 2: noisy copies of 1500 of them (query
  // i shows train descriptor 13 i) and 500 descriptors of its own.
  const Index train_count = 20000, copies = 1500, own = 500;
  const mlprim::RowMatrix<std::uint8_t> train = mlprim::bench::sift_like(train_count, 1);
  mlprim::RowMatrix<std::uint8_t> queries(copies + own, 128);
  mlprim::Rng rng(2);
  for (Index i = 0; i < copies; ++i)
    for (Index j = 0; j < 128; ++j) {
      const float noisy = static_cast<float>(train(13 * i, j)) + rng.normal(0.0f, 8.0f);
      queries(i, j) = static_cast<std::uint8_t>(std::clamp(std::round(noisy), 0.0f, 255.0f));
    }
  queries.bottomRows(own) = mlprim::bench::sift_like(own, 3, /*layout=*/2);

  auto report = [&](const char* name, const auto& matches, double seconds) {
    Index correct = 0;
    for (const auto& m : matches) correct += m.query < copies && m.train == 13 * m.query;
    const double precision = matches.empty() ? 0.0 : double(correct) / double(matches.size());
    std::printf("%-28s %5zu matches, precision %.3f, recall %.3f, %8.0f queries/s\n", name,
                matches.size(), precision, double(correct) / double(copies),
                double(queries.rows()) / seconds);
  };
  std::printf("matching %lld descriptors against %lld (ratio test 0.8)\n",
              static_cast<long long>(queries.rows()), static_cast<long long>(train_count));

  auto start = std::chrono::steady_clock::now();
  const mlprim::RandomizedKDForest<std::uint8_t> forest(train);
  std::printf("forest of 4 trees built in %.0f ms, %.0f bytes per descriptor\n",
              1e3 * seconds_since(start), forest.bytes_per_point());
  for (const Index checks : {32, 128, 512}) {
    mlprim::ForestSearchOptions<float> search;
    search.checks = checks;
    start = std::chrono::steady_clock::now();
    const auto matches = mlprim::match_descriptors(forest, queries, mlprim::MatchOptions{}, search);
    const double seconds = seconds_since(start);
    char name[64];
    std::snprintf(name, sizeof name, "forest, %lld checks", static_cast<long long>(checks));
    report(name, matches, seconds);
  }
  mlprim::MatchOptions mutual;
  mutual.cross_check = true;
  mlprim::ForestSearchOptions<float> search;
  search.checks = 128;
  start = std::chrono::steady_clock::now();
  const auto mutual_matches = mlprim::match_descriptors(forest, queries, mutual, search);
  report("forest, 128 checks, mutual", mutual_matches, seconds_since(start));

  // The exact answer: a k-d tree over float copies (Auto picks its method).
  const mlprim::RowMatrix<float> train_f = train.cast<float>(), queries_f = queries.cast<float>();
  const mlprim::KDTree<float> tree(train_f);
  start = std::chrono::steady_clock::now();
  const auto exact_matches = mlprim::match_descriptors(tree, queries_f);
  report("exact k-d tree", exact_matches, seconds_since(start));
  return 0;
}
