// libFuzzer target: GradientBoosting::load. Byte 0 picks the stream (even:
// seekable, odd: a pipe that cannot tell its length), the rest is the
// stream. A model that loads must score rows (with missing values) through
// every prediction, and save and load again to the same margins. Corrupt
// input may only throw std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "boosting_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  mlprim::fuzz::with_stream(data[0], bytes, [](std::istream& in) {
    using Model = mlprim::GradientBoosting<double>;
    Model model;
    try {
      model = Model::load(in);
    } catch (const std::runtime_error&) {
      return;
    }
    // What loaded must work and save to a stream that loads (no catch here).
    mlprim::fuzz::check_boosting(model);
    std::stringstream again;
    model.save(again);
    mlprim::fuzz::check_same_margins(model, Model::load(again));
  });
  return 0;
}
