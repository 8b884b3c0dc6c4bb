// Reader for the reference matrices that the scripts in tests/data/ print:
// blocks of "<name> <rows> <cols>" followed by rows * cols numbers (inf,
// -inf and nan allowed); lines starting with '#' are comments.
#ifndef MLPRIM_TESTS_REFERENCE_DATA_HPP
#define MLPRIM_TESTS_REFERENCE_DATA_HPP

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include <mlprim/core/types.hpp>

namespace mlprim::test {

using ReferenceData = std::map<std::string, RowMatrix<double>>;

/// Reads tests/data/<relative_path>; throws std::runtime_error when the file
/// is missing or malformed.
inline ReferenceData read_reference_data(const std::string& relative_path) {
  const std::string path = std::string(MLPRIM_TEST_DATA_DIR) + "/" + relative_path;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  ReferenceData data;
  std::string name;
  while (in >> name) {
    if (name[0] == '#') {
      std::getline(in, name);
      continue;
    }
    Index rows = 0, cols = 0;
    if (!(in >> rows >> cols) || rows < 0 || cols < 0)
      throw std::runtime_error(path + ": bad shape for " + name);
    RowMatrix<double> m(rows, cols);
    // Tokens through strtod, so that inf, -inf and nan read back too.
    std::string token;
    for (Index i = 0; i < m.size(); ++i) {
      char* end = nullptr;
      if (!(in >> token)) throw std::runtime_error(path + ": truncated block " + name);
      m.data()[i] = std::strtod(token.c_str(), &end);
      if (end != token.c_str() + token.size())
        throw std::runtime_error(path + ": bad number " + token + " in " + name);
    }
    data[name] = std::move(m);
  }
  return data;
}

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_REFERENCE_DATA_HPP
