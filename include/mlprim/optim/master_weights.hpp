// fp32 master copies of half-precision parameters (Micikevicius et al. 2018):
// the optimizer updates float copies, so small updates are not lost to
// fp16/bf16 rounding, and the rounded copies are written back after each step.
//
//   Eigen::Matrix<Eigen::half, -1, 1> w = ..., dw(w.size());
//   mlprim::MasterWeights<Eigen::half> master;
//   master.add(w, dw);
//   mlprim::AdamW<float> opt;
//   master.register_with(opt);
//   // each iteration: backward fills dw (scaled), then
//   master.load_gradients(); scaler.step(opt); scaler.update(); master.store_parameters();
#ifndef MLPRIM_OPTIM_MASTER_WEIGHTS_HPP
#define MLPRIM_OPTIM_MASTER_WEIGHTS_HPP

#include <deque>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/optim/detail/binding.hpp"

namespace mlprim {

/// float master copies of Eigen::half / Eigen::bfloat16 parameters and
/// their gradients (see the header comment).
template <class Low>
class MasterWeights {
  static_assert(std::is_same_v<Low, Eigen::half> || std::is_same_v<Low, Eigen::bfloat16>,
                "mlprim::MasterWeights keeps float masters of Eigen::half or Eigen::bfloat16");

 public:
  /// Registers a low-precision parameter and its gradient (same shape,
  /// contiguous); the float master starts as an exact copy of the parameter.
  /// Returns the parameter's index.
  template <class P, class G>
  Index add(Eigen::DenseBase<P>& param, Eigen::DenseBase<G>& grad) {
    static_assert(
        std::is_same_v<typename P::Scalar, Low> && std::is_same_v<typename G::Scalar, Low>,
        "mlprim::MasterWeights::add: parameter and gradient must be of the Low type");
    const char* fn = "MasterWeights::add";
    detail::require_contiguous(fn, "param", param.derived());
    detail::require_contiguous(fn, "grad", grad.derived());
    if (param.rows() != grad.rows() || param.cols() != grad.cols())
      throw_invalid_argument(fn, "grad shape ", grad.rows(), " x ", grad.cols(),
                             " does not match param shape ", param.rows(), " x ", param.cols());
    entries_.push_back(Entry{detail::EigenBinding<Low>(param.derived()),
                             detail::EigenBinding<Low>(grad.derived()), param.rows(), param.cols(),
                             Vector<float>(param.size()), Vector<float>::Zero(param.size())});
    Entry& e = entries_.back();
    e.master = low_view(e.param).template cast<float>();
    return static_cast<Index>(entries_.size()) - 1;
  }

  /// Registers every (master, master gradient) pair with a float optimizer.
  template <class Opt>
  void register_with(Opt& optimizer, Index group = 0) {
    for (Entry& e : entries_) optimizer.add_param(e.master, e.master_grad, group);
  }

  /// master_grad = float(grad) for every parameter (inf and NaN carry over,
  /// for GradScaler to see).
  void load_gradients() {
    for (Entry& e : entries_) {
      check_shape(e, "load_gradients");
      e.master_grad = low_view(e.grad).template cast<float>();
    }
  }

  /// param = master rounded to Low (to nearest even) for every parameter.
  void store_parameters() {
    for (Entry& e : entries_) {
      check_shape(e, "store_parameters");
      low_view(e.param) = e.master.template cast<Low>();
    }
  }

  /// Registered parameters.
  Index size() const { return static_cast<Index>(entries_.size()); }
  /// The float master of parameter i, in [0, size()).
  const Vector<float>& master(Index i) const { return entry("MasterWeights::master", i).master; }
  /// The float gradient of parameter i, in [0, size()).
  const Vector<float>& master_grad(Index i) const {
    return entry("MasterWeights::master_grad", i).master_grad;
  }

 private:
  struct Entry {
    detail::EigenBinding<Low> param, grad;
    Index rows, cols;
    Vector<float> master, master_grad;  // stable addresses: entries_ is a deque
  };

  static Eigen::Map<Vector<Low>> low_view(const detail::EigenBinding<Low>& b) {
    return Eigen::Map<Vector<Low>>(b.data(), b.size());
  }

  const Entry& entry(const char* fn, Index i) const {
    check_in_half_open(fn, "i", i, Index{0}, size());
    return entries_[static_cast<std::size_t>(i)];
  }

  static void check_shape(const Entry& e, const char* what) {
    for (const auto* b : {&e.param, &e.grad})
      if (b->rows() != e.rows || b->cols() != e.cols)
        throw_invalid_argument(std::string("MasterWeights::") + what,
                               "a registered parameter or gradient was resized from ", e.rows,
                               " x ", e.cols, " to ", b->rows(), " x ", b->cols());
  }

  std::deque<Entry> entries_;
};

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_MASTER_WEIGHTS_HPP
