// libFuzzer target: DynamicKDTree::load. Byte 0 picks the tree type (see
// fuzz_targets.hpp), the rest is the stream. A forest that loads must answer
// queries consistently (fuzz_checks.hpp), take insertions and removals
// afterwards (points outside a periodic box are rejected with
// std::invalid_argument), and save and load again to the same answers. Corrupt input may
// only throw std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  mlprim::fuzz::with_kdtree(data[0], [&](auto tag, mlprim::Index) {
    using Tree = typename decltype(tag)::type::Dynamic;
    try {
      Tree tree = Tree::load(in);
      mlprim::fuzz::check_tree(tree);
      std::stringstream again;
      tree.save(again);
      mlprim::fuzz::check_same_answers(tree, Tree::load(again));
      try {  // points in [0, 1)^d: outside a loaded periodic box, rejected
        const auto first = tree.insert(
            mlprim::fuzz::query_points<typename Tree::Points::Scalar>(tree.dimension()));
        tree.remove(first);
      } catch (const std::invalid_argument&) {
      }
      if (tree.contains(0)) tree.remove(0);
      mlprim::fuzz::check_tree(tree);
    } catch (const std::runtime_error&) {
    }
  });
  return 0;
}
