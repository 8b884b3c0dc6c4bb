// Vector quantisation as in VQ-VAE (van den Oord, Vinyals & Kavukcuoglu 2017,
// "Neural Discrete Representation Learning"). Each input row x_i (a D-vector
// from an encoder) is replaced by its nearest codebook row e_k, k = argmin_j
// |x_i - e_j|^2, and the layer trains with
//
//     loss = |sg[x] - e|^2 / (n D)  +  beta |x - sg[e]|^2 / (n D)
//            (codebook loss)           (commitment loss)
//
// (sg = stop gradient; both are F.mse_loss means over the n x D entries) and
// the straight-through estimator: the decoder's gradient with respect to the
// quantised rows is copied to the inputs unchanged. With EMA updates
// (Appendix A.1 of the paper; Razavi et al. 2019) the codebook is not
// trained by gradient: per code, over the batch's assignments,
//
//     N_k <- gamma N_k + (1 - gamma) n_k,   m_k <- gamma m_k + (1 - gamma) sum_{i -> k} x_i,
//     e_k  = m_k / N~_k,   N~_k = (N_k + eps) / (sum_j N_j + K eps) sum_j N_j
//
// (Laplace smoothing of the counts, as Sonnet's VectorQuantizerEMA) and only
// the commitment term is in the loss. Codes whose N_k falls below a
// threshold are restarted at random batch rows (Dhariwal et al. 2020,
// Jukebox), so that dead codes come back into use.
#ifndef MLPRIM_NN_VECTOR_QUANTIZER_HPP
#define MLPRIM_NN_VECTOR_QUANTIZER_HPP

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/bruteforce.hpp"
#include "mlprim/neighbors/kdtree.hpp"
#include "mlprim/nn/detail/checks.hpp"

namespace mlprim {

/// How a VectorQuantizer is trained and searched. Defaults follow the
/// VQ-VAE paper (beta = 0.25) and Sonnet's VectorQuantizerEMA (decay 0.99,
/// epsilon 1e-5).
template <class T>
struct VectorQuantizerParams {
  T beta = T(0.25);  ///< weight of the commitment loss (>= 0)
  /// Learn the codebook by exponential moving averages (ema_update) instead
  /// of by gradient; the codebook loss then leaves `loss` and its gradient
  /// is zero.
  bool ema = false;
  T decay = T(0.99);    ///< EMA decay gamma, in [0, 1)
  T epsilon = T(1e-5);  ///< Laplace smoothing of the EMA counts (> 0)
  /// ema_update restarts every code whose EMA count N_k falls below this
  /// (in assignments per batch; Jukebox uses 1); 0 never restarts.
  T dead_code_threshold = T(0);
  std::uint64_t seed = 0;  ///< the random codebook's and the restarts' draws
  /// Nearest-code search: the k-d tree's cost model (Auto: the tree for low
  /// D, the GEMM-screened brute force otherwise), or one forced. Every
  /// method gives the same, exact assignment.
  KnnMethod method = KnnMethod::Auto;
  int num_threads = 0;  ///< threads over input rows (0 = all)
};

/// What VectorQuantizer::forward returns for n input rows.
template <class T>
struct VectorQuantizerOutput {
  /// n x D, row i = the code of row i (the straight-through output's value).
  RowMatrix<T> quantized;
  std::vector<Index> indices;  ///< the code of each row (smaller index on ties)
  /// |x - e|^2 / (n D), accumulated in double for float: the codebook loss
  /// and the commitment loss have this value and differ in their gradients.
  T codebook_loss = 0;
  T commitment_loss = 0;  ///< the same value, weighted by beta in `loss`
  /// codebook_loss + beta commitment_loss (beta commitment_loss with EMA).
  T loss = 0;
  std::vector<Index> counts;  ///< rows assigned to each of the K codes
  /// exp(-sum_k p_k log p_k), p_k = counts[k] / n: the number of codes in
  /// effective use (1 to K).
  T perplexity = 0;
};

/// Gradients of VectorQuantizer::backward.
template <class T>
struct VectorQuantizerGradient {
  RowMatrix<T> input;     ///< n x D: straight-through gradient + beta commitment term
  RowMatrix<T> codebook;  ///< K x D: the codebook loss's gradient (zero with EMA)
};

/// A K x D codebook with nearest-code assignment, the straight-through
/// estimator, the VQ-VAE losses and EMA updates with dead-code restarts.
/// Inputs are n x D, one vector per row (an image's [C, H, W] features go
/// in as H W rows of C). Const members are thread-safe.
template <class T>
class VectorQuantizer {
  static_assert(std::is_floating_point_v<T>, "mlprim::VectorQuantizer needs float or double");

 public:
  /// A quantiser with the given codebook (K x D, finite, K, D >= 1). The
  /// EMA state starts as if each code had been assigned once to itself
  /// (N_k = 1, m_k = e_k), so unused codes stay where they are rather than
  /// being divided by the smoothing epsilon.
  explicit VectorQuantizer(const Eigen::Ref<const RowMatrix<T>>& codebook,
                           const VectorQuantizerParams<T>& params = {})
      : params_(params), codebook_(codebook), rng_(Rng::stream(params.seed, 1)) {
    const char* fn = "VectorQuantizer";
    check_params(fn);
    check_positive(fn, "codebook.rows()", codebook.rows());
    check_positive(fn, "codebook.cols()", codebook.cols());
    detail::check_finite_rows<T>(fn, "codebook", codebook_);
    ema_count_ = Vector<T>::Ones(codebook.rows());
    ema_sum_ = codebook_;
  }

  /// K codes of dimension D drawn uniformly from [-1/K, 1/K] with
  /// params.seed (the VQ-VAE reference implementation's initialisation).
  VectorQuantizer(Index num_codes, Index dim, const VectorQuantizerParams<T>& params = {})
      : VectorQuantizer(random_codebook(num_codes, dim, params.seed), params) {}

  /// K, the number of codes.
  Index num_codes() const { return codebook_.rows(); }
  /// D, the dimension of a code.
  Index dim() const { return codebook_.cols(); }
  /// The parameters.
  const VectorQuantizerParams<T>& params() const { return params_; }
  /// The codebook, K x D.
  const RowMatrix<T>& codebook() const { return codebook_; }
  /// The codebook for an optimizer to update in place (Optimizer::add_param
  /// with VectorQuantizerGradient::codebook); its shape must not change.
  RowMatrix<T>& codebook() { return codebook_; }
  /// The EMA counts N_k (K entries).
  const Vector<T>& ema_counts() const { return ema_count_; }
  /// The EMA sums m_k (K x D).
  const RowMatrix<T>& ema_sums() const { return ema_sum_; }

  /// The nearest code of each row of x (n x D, finite; contiguous rows, a
  /// column-major argument is copied): argmin_k |x_i - e_k|^2 exactly, the
  /// smaller index on ties, by params.method. O(n K D) by brute force.
  std::vector<Index> encode(const Eigen::Ref<const RowMatrix<T>>& x) const {
    check_input("VectorQuantizer::encode", x);
    const IndexMatrix nearest = nearest_codes(x);
    return std::vector<Index>(nearest.data(), nearest.data() + nearest.size());
  }

  /// The codebook rows of `indices` (each in [0, K)), one per row.
  RowMatrix<T> decode(const std::vector<Index>& indices) const {
    const auto rows = static_cast<Index>(indices.size());
    detail::check_class_indices("VectorQuantizer::decode", "indices", indices, rows, num_codes());
    RowMatrix<T> out(rows, dim());
    for (Index i = 0; i < rows; ++i)
      out.row(i) = codebook_.row(indices[static_cast<std::size_t>(i)]);
    return out;
  }

  /// The forward pass of the layer on x (n >= 1 rows of D): codes, losses,
  /// code counts and perplexity. O(n K D).
  VectorQuantizerOutput<T> forward(const Eigen::Ref<const RowMatrix<T>>& x) const {
    check_input("VectorQuantizer::forward", x);
    const IndexMatrix nearest = nearest_codes(x);
    VectorQuantizerOutput<T> out;
    out.indices.assign(nearest.data(), nearest.data() + nearest.size());
    out.quantized = decode(out.indices);
    using Acc = AccumulatorT<T>;
    Acc squared = 0;
    for (Index i = 0; i < x.rows(); ++i)
      squared += (x.row(i) - out.quantized.row(i)).template cast<Acc>().squaredNorm();
    const Acc mse = squared / static_cast<Acc>(x.size());
    out.codebook_loss = out.commitment_loss = static_cast<T>(mse);
    out.loss = static_cast<T>((params_.ema ? Acc(0) : mse) + Acc(params_.beta) * mse);
    out.counts.assign(static_cast<std::size_t>(num_codes()), 0);
    for (Index k : out.indices) ++out.counts[static_cast<std::size_t>(k)];
    Acc entropy = 0;
    for (Index c : out.counts) {
      if (c == 0) continue;
      const Acc p = static_cast<Acc>(c) / static_cast<Acc>(x.rows());
      entropy -= p * std::log(p);
    }
    out.perplexity = static_cast<T>(std::exp(entropy));
    return out;
  }

  /// Gradients of f(quantized_st) + grad_loss * loss, where quantized_st =
  /// x + sg[e - x] is the straight-through output, given
  /// grad_quantized = df/dquantized (n x D) for the `output` of forward(x):
  ///
  ///     d/dx = grad_quantized + grad_loss beta 2 (x - e) / (n D)
  ///     d/de_k = grad_loss 2 sum_{i -> k} (e_k - x_i) / (n D)   (0 with EMA)
  ///
  /// (PyTorch autograd of the same expression gives these). O(n D).
  VectorQuantizerGradient<T> backward(const Eigen::Ref<const RowMatrix<T>>& x,
                                      const VectorQuantizerOutput<T>& output,
                                      const Eigen::Ref<const RowMatrix<T>>& grad_quantized,
                                      T grad_loss = T(1)) const {
    const char* fn = "VectorQuantizer::backward";
    check_input(fn, x);
    check_output(fn, x, output);
    check_equal(fn, "grad_quantized.rows()", grad_quantized.rows(), x.rows(), "x.rows()");
    check_equal(fn, "grad_quantized.cols()", grad_quantized.cols(), x.cols(), "x.cols()");
    check_finite(fn, "grad_loss", grad_loss);
    const T scale = T(2) * grad_loss / static_cast<T>(x.size());
    VectorQuantizerGradient<T> g;
    g.input = grad_quantized + (scale * params_.beta) * (x - output.quantized);
    g.codebook = RowMatrix<T>::Zero(num_codes(), dim());
    if (!params_.ema) {
      for (Index i = 0; i < x.rows(); ++i)
        g.codebook.row(output.indices[static_cast<std::size_t>(i)]) +=
            scale * (output.quantized.row(i) - x.row(i));
    }
    return g;
  }

  /// One EMA step of the codebook on the batch x with its codes `indices`
  /// (from forward or encode), by the formulas at the top of this file; then
  /// each code whose N_k is below params.dead_code_threshold restarts at a
  /// batch row drawn at random (distinct rows while the batch has enough):
  /// e_k = m_k = x_r, N_k = 1. Returns the restarted codes, ascending.
  /// Needs params.ema. O(n D + K D).
  std::vector<Index> ema_update(const Eigen::Ref<const RowMatrix<T>>& x,
                                const std::vector<Index>& indices) {
    const char* fn = "VectorQuantizer::ema_update";
    if (!params_.ema)
      throw_invalid_argument(fn, "params.ema = false: the codebook learns by gradient");
    check_input(fn, x);
    detail::check_class_indices(fn, "indices", indices, x.rows(), num_codes());
    using Acc = AccumulatorT<T>;
    Vector<Acc> counts = Vector<Acc>::Zero(num_codes());
    RowMatrix<Acc> sums = RowMatrix<Acc>::Zero(num_codes(), dim());
    for (Index i = 0; i < x.rows(); ++i) {
      const Index k = indices[static_cast<std::size_t>(i)];
      counts(k) += 1;
      sums.row(k) += x.row(i).template cast<Acc>();
    }
    const Acc gamma = params_.decay, eps = params_.epsilon;
    ema_count_ =
        (gamma * ema_count_.template cast<Acc>() + (1 - gamma) * counts).template cast<T>();
    ema_sum_ = (gamma * ema_sum_.template cast<Acc>() + (1 - gamma) * sums).template cast<T>();
    const Acc total = ema_count_.template cast<Acc>().sum();
    const Acc k_eps = static_cast<Acc>(num_codes()) * eps;
    for (Index k = 0; k < num_codes(); ++k) {
      const Acc smoothed = (Acc(ema_count_(k)) + eps) / (total + k_eps) * total;
      codebook_.row(k) = (ema_sum_.row(k).template cast<Acc>() / smoothed).template cast<T>();
    }
    std::vector<Index> dead;
    for (Index k = 0; k < num_codes(); ++k)
      if (ema_count_(k) < params_.dead_code_threshold) dead.push_back(k);
    if (dead.empty()) return dead;
    const Index n = x.rows(), need = static_cast<Index>(dead.size());
    std::vector<Index> rows =
        need <= n ? sample_without_replacement(n, need, rng_) : bootstrap_sample(n, need, rng_);
    for (std::size_t j = 0; j < dead.size(); ++j) {
      const Index k = dead[j];
      codebook_.row(k) = ema_sum_.row(k) = x.row(rows[j]);
      ema_count_(k) = T(1);
    }
    return dead;
  }

 private:
  static RowMatrix<T> random_codebook(Index num_codes, Index dim, std::uint64_t seed) {
    const char* fn = "VectorQuantizer";
    check_positive(fn, "num_codes", num_codes);
    check_positive(fn, "dim", dim);
    RowMatrix<T> codebook(num_codes, dim);
    Rng rng(seed);
    const T bound = T(1) / static_cast<T>(num_codes);
    fill_uniform(codebook, rng, -bound, bound);
    return codebook;
  }

  void check_params(std::string_view fn) const {
    check_non_negative(fn, "params.beta", params_.beta);
    check_finite(fn, "params.beta", params_.beta);
    check_in_half_open(fn, "params.decay", params_.decay, T(0), T(1));
    check_positive(fn, "params.epsilon", params_.epsilon);
    check_finite(fn, "params.epsilon", params_.epsilon);
    check_non_negative(fn, "params.dead_code_threshold", params_.dead_code_threshold);
    check_finite(fn, "params.dead_code_threshold", params_.dead_code_threshold);
    check_non_negative(fn, "params.num_threads", params_.num_threads);
  }

  void check_input(std::string_view fn, const Eigen::Ref<const RowMatrix<T>>& x) const {
    check_positive(fn, "x.rows()", x.rows());
    check_equal(fn, "x.cols()", x.cols(), dim(), "the code dimension");
    detail::check_finite_rows<T>(fn, "x", x);
  }

  void check_output(std::string_view fn, const Eigen::Ref<const RowMatrix<T>>& x,
                    const VectorQuantizerOutput<T>& output) const {
    detail::check_class_indices(fn, "output.indices", output.indices, x.rows(), num_codes());
    check_equal(fn, "output.quantized.rows()", output.quantized.rows(), x.rows(), "x.rows()");
    check_equal(fn, "output.quantized.cols()", output.quantized.cols(), x.cols(), "x.cols()");
  }

  IndexMatrix nearest_codes(const Eigen::Ref<const RowMatrix<T>>& x) const {
    KnnOptions<T> options;
    options.method = params_.method;
    options.num_threads = params_.num_threads;
    if (params_.method == KnnMethod::BruteForce)
      return knn_bruteforce(codebook_, x, 1, options).indices;
    return KDTree<T>(codebook_).knn(x, 1, options).indices;
  }

  VectorQuantizerParams<T> params_;
  RowMatrix<T> codebook_;
  Vector<T> ema_count_;
  RowMatrix<T> ema_sum_;
  Rng rng_;
};

}  // namespace mlprim

#endif  // MLPRIM_NN_VECTOR_QUANTIZER_HPP
