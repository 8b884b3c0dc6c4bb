// libFuzzer target: KDTree::load. Byte 0 picks the tree type (see
// fuzz_targets.hpp), the rest is the stream. A tree that loads must answer
// queries consistently: k nearest = the first k of all n by distance,
// radius = the prefix within r, box over everything = every index once, and
// it must save and load again to the same answers. Corrupt input may only
// throw std::runtime_error.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  mlprim::fuzz::with_kdtree(data[0], [&](auto tag, mlprim::Index) {
    using Tree = typename decltype(tag)::type::Static;
    try {
      const Tree tree = Tree::load(in);
      mlprim::fuzz::check_tree(tree);
      std::stringstream again;
      tree.save(again);
      const Tree reloaded = Tree::load(again);
      mlprim::fuzz::check_same_answers(tree, reloaded);
    } catch (const std::runtime_error&) {
    }
  });
  return 0;
}
