// libFuzzer target: load_xgboost_json. The input is the JSON text. A model
// that loads must score rows (with missing values) through every
// prediction, and save_json and load again to the same margins. Malformed
// or hostile input may only throw std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include <mlprim/ensemble/xgboost_json.hpp>

#include "boosting_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  mlprim::GradientBoosting<double> model;
  try {
    model = mlprim::load_xgboost_json<double>(in);
  } catch (const std::runtime_error&) {
    return 0;
  }
  // What loaded must work and export to JSON that loads (no catch here).
  mlprim::fuzz::check_boosting(model);
  std::stringstream again;
  mlprim::save_json(model, again);
  mlprim::fuzz::check_same_margins(model, mlprim::load_xgboost_json<double>(again));
  return 0;
}
