// libFuzzer target: the scikit-learn-style models through load_classifier
// and load_estimator (trees, forests, extra trees, AdaBoost, bagging, the
// linear models, stacking, voting; dispatched on the saved magic). Byte 0:
// bit 0 picks the stream (seekable or a pipe), bit 1 the loader
// (classifier or estimator); the rest is the stream. A model that loads must
// predict rows of its width, and save and load again to the same
// predictions. Corrupt input may only throw std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "boosting_checks.hpp"

namespace {

template <class Model, class Load>
void check_model(std::istream& in, Load&& load) {
  Model model;
  try {
    model = load(in);
  } catch (const std::runtime_error&) {
    return;
  }
  // What loaded must work and save to a stream that loads (no catch here).
  const mlprim::Index p = model.num_features();
  if (p > mlprim::fuzz::max_checked_features) return;
  mlprim::Rng rng(1);
  mlprim::RowMatrix<double> X(3, p);
  mlprim::fill_normal(X, rng);
  const mlprim::Vector<double> pred = model.predict(X);
  std::stringstream again;
  model.save(again);
  const Model back = load(again);
  mlprim::fuzz::require(back.predict(X) == pred || !pred.allFinite(),
                        "a saved and reloaded model predicts the same");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool classifier = (data[0] & 2) != 0;
  mlprim::fuzz::with_stream(data[0], bytes, [classifier](std::istream& in) {
    if (classifier)
      check_model<mlprim::Classifier<double>>(
          in, [](std::istream& s) { return mlprim::load_classifier<double>(s); });
    else
      check_model<mlprim::Estimator<double>>(
          in, [](std::istream& s) { return mlprim::load_estimator<double>(s); });
  });
  return 0;
}
