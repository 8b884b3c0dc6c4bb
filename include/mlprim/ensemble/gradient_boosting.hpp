// Histogram gradient boosting with XGBoost's second-order objective
// (Chen & Guestrin 2016, "XGBoost: A Scalable Tree Boosting System").
#ifndef MLPRIM_ENSEMBLE_GRADIENT_BOOSTING_HPP
#define MLPRIM_ENSEMBLE_GRADIENT_BOOSTING_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/distributed/communicator.hpp"
#include "mlprim/distributed/detail/agree.hpp"
#include "mlprim/ensemble/binning.hpp"
#include "mlprim/ensemble/detail/fit_checks.hpp"
#include "mlprim/ensemble/detail/metric.hpp"
#include "mlprim/ensemble/detail/objective.hpp"
#include "mlprim/ensemble/detail/packed_forest.hpp"
#include "mlprim/ensemble/detail/tree_builder.hpp"
#include "mlprim/ensemble/detail/tree_shap.hpp"
#include "mlprim/ensemble/params.hpp"
#include "mlprim/ensemble/sketch.hpp"
#include "mlprim/ensemble/tree.hpp"

namespace mlprim {

/// Gradient-boosted regression trees, XGBoost's `hist` algorithm: each round
/// fits, per output, a tree to the second-order expansion of the loss,
/// sum_i [g_i f(x_i) + h_i f(x_i)^2 / 2] + gamma T + lambda |w|^2 / 2 + alpha |w|_1,
/// on quantile bins of the features, and adds it shrunk by eta. The margin of
/// a row is base_margin + the sum of its leaves; the output is the objective's
/// transform of it. Given the same bins (features with at most max_bin
/// distinct values), data and parameters, it grows XGBoost's trees.
/// Fitting is parallel (GBParams::num_threads) and the model is the same for
/// any thread count; a fitted model answers const queries from many threads.
template <class Scalar>
class GradientBoosting {
  static_assert(std::is_floating_point_v<Scalar>, "mlprim::GradientBoosting needs float or double");

 public:
  /// The options of fit.
  using Options = FitOptions<Scalar>;

  /// An unfitted model with XGBoost's default parameters.
  GradientBoosting() = default;
  /// An unfitted model with `params` (checked by fit).
  explicit GradientBoosting(GBParams params) : params_(std::move(params)) {}

  /// The parameters.
  const GBParams& params() const { return params_; }

  /// Sets the threads of later fits and predictions (0 = all available).
  GradientBoosting& set_num_threads(int num_threads) {
    check_non_negative("GradientBoosting::set_num_threads", "num_threads", num_threads);
    params_.num_threads = num_threads;
    return *this;
  }

  /// Fits on X (n x p, one sample per row, NaN = missing; contiguous rows,
  /// a column-major argument is copied) and labels y (n). Replaces any
  /// previous fit. With early stopping the model keeps the rounds up to the
  /// best one. Throws std::invalid_argument on bad shapes, labels, weights
  /// or parameters. O(rounds * (n p + nodes * p * max_bin)).
  ///
  /// Data-parallel with options.communicator (collective; XGBoost's and
  /// LightGBM's histogram all-reduce): each rank passes its shard of the
  /// rows (possibly none) and every rank ends with the same model. Cuts are
  /// options.cuts or the merged sketch of all shards; the base score, node
  /// totals and the smaller children's histograms are all-reduced (the
  /// gradients lie on a grid, detail::GradientGrid, on which every sum is
  /// exact), the refit leaves of the absolute and quantile errors and the
  /// evaluation sets' outputs are all-gathered. So with the same cuts the
  /// model is bit-identical to this fit on the rows concatenated in rank
  /// order, for any split of the rows; row sampling draws per global row.
  /// Bad input on any rank (a bad label, weight, shape) makes every rank
  /// throw: that rank its std::invalid_argument, the others a
  /// std::runtime_error naming it; so do differing parameters or column
  /// counts (all ranks: std::invalid_argument) and an exception from the
  /// callback on any rank (every round ends with an all-gather of errors,
  /// so no rank is left waiting in a collective).
  GradientBoosting& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                        const Eigen::Ref<const Vector<Scalar>>& y, const Options& options = {}) {
    constexpr const char* fn = "GradientBoosting::fit";
    LocalCommunicator alone;
    Communicator& comm = options.communicator != nullptr ? *options.communicator : alone;
    const bool distributed = comm.size() > 1;
    const Index n = X.rows(), p = X.cols();
    std::vector<std::uint8_t> missing;
    std::vector<double> w;
    int threads = 1;
    detail::on_all_or_none(comm, fn, [&] {
      detail::check_params(fn, params_);
      objective_ = detail::Objective::from_params(fn, params_);
      if (n == 0 && !distributed) throw_invalid_argument(fn, "X has no rows");
      if (p == 0) throw_invalid_argument(fn, "X has no columns");
      if (n >= static_cast<Index>(std::numeric_limits<std::uint32_t>::max()))
        throw_invalid_argument(fn, "X has ", n, " rows; at most 2^32 - 2 are supported");
      check_equal(fn, "y.size()", y.size(), n, "X.rows()");
      if (!params_.monotone_constraints.empty())
        check_equal(fn, "monotone_constraints.size()",
                    static_cast<Index>(params_.monotone_constraints.size()), p, "X.cols()");
      missing = detail::check_data(fn, "X", X.data(), n, p, X.outerStride());
      for (Index i = 0; i < n; ++i) objective_.check_label(fn, i, y[i]);
      w = detail::checked_weights(fn, "sample_weight", options.sample_weight, n);
      metrics_ = params_.eval_metric;
      if (metrics_.empty()) metrics_.push_back(objective_.default_metric());
      for (const auto& m : metrics_) detail::check_metric(fn, m, objective_);
      for (const auto& set : options.eval_sets)
        detail::check_eval_set(fn, set, p, objective_, distributed);
      if (params_.early_stopping_rounds > 0 && options.eval_sets.empty())
        throw_invalid_argument(fn, "early_stopping_rounds = ", params_.early_stopping_rounds,
                               " needs at least one evaluation set");
      detail::check_categories(fn, params_, X);
      if (options.cuts != nullptr) detail::check_cuts(fn, *options.cuts, p, params_);
      threads = resolve_threads(fn, params_.num_threads);
    });
    detail::agree(comm, fn, "the numbers of columns of X", detail::fnv1a_value(p));
    detail::agree(comm, fn, "the parameters, evaluation sets or cuts",
                  detail::params_signature(
                      params_, {static_cast<std::int64_t>(options.eval_sets.size()),
                                options.cuts != nullptr ? static_cast<std::int64_t>(
                                                              detail::cuts_signature(*options.cuts))
                                                        : -1}));
    // Rows per rank (this rank's first global row), eval rows, whether any
    // rank weighs its rows (then the others weigh theirs 1).
    std::vector<std::int64_t> counts(static_cast<std::size_t>(comm.size()) + 1 +
                                     options.eval_sets.size());
    counts[static_cast<std::size_t>(comm.rank())] = n;
    counts[static_cast<std::size_t>(comm.size())] = w.empty() ? 0 : 1;
    for (std::size_t s = 0; s < options.eval_sets.size(); ++s)
      counts[static_cast<std::size_t>(comm.size()) + 1 + s] = options.eval_sets[s].X.rows();
    comm.all_reduce_sum(counts.data(), counts.size());
    Shard shard;
    for (int r = 0; r < comm.size(); ++r) {
      shard.total += counts[static_cast<std::size_t>(r)];
      if (r < comm.rank()) shard.offset += counts[static_cast<std::size_t>(r)];
    }
    if (shard.total == 0) throw_invalid_argument(fn, "X has no rows on any rank");
    for (std::size_t s = 0; s < options.eval_sets.size(); ++s)
      if (counts[static_cast<std::size_t>(comm.size()) + 1 + s] == 0)
        throw_invalid_argument(fn, "eval set \"", options.eval_sets[s].name,
                               "\" has no rows on any rank");
    shard.weighted = counts[static_cast<std::size_t>(comm.size())] > 0;
    if (shard.weighted && w.empty()) w.assign(static_cast<std::size_t>(n), 1.0);
    num_features_ = p;
    const HistogramCuts cuts =
        options.cuts != nullptr ? *options.cuts
        : distributed ? make_cuts<Scalar>(comm, X, params_.max_bin, options.sample_weight,
                                          threads, params_.categorical_features)
                      : make_cuts<Scalar>(X, params_.max_bin, options.sample_weight, threads,
                                          params_.categorical_features);
    for (int f : params_.categorical_features)
      if (cuts.num_bins(f) > 65535)
        throw_invalid_argument(fn, "categorical feature ", f, " has ", cuts.num_bins(f),
                               " categories; at most 65535 are supported");
    if (detail::codes_fit_byte(cuts, missing))
      fit_binned(detail::bin_matrix<std::uint8_t, Scalar>(X, cuts, threads), cuts, X, y, w, options,
                 threads, comm, shard);
    else
      fit_binned(detail::bin_matrix<std::uint16_t, Scalar>(X, cuts, threads), cuts, X, y, w,
                 options, threads, comm, shard);
    return *this;
  }

  /// Margins, n x num_outputs(): base_margin + the leaves of every tree, in
  /// double, per row block on up to num_threads threads.
  RowMatrix<Scalar> predict_margin(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    const std::vector<double> m = margins("GradientBoosting::predict_margin", X);
    return Eigen::Map<const RowMatrix<double>>(m.data(), X.rows(), num_outputs())
        .template cast<Scalar>();
  }

  /// Predictions (n): the probability of class 1 for binary:logistic, the
  /// most probable class for multi:softprob, exp(margin) for count:poisson,
  /// the margin for the regression objectives.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    const std::vector<double> m = margins("GradientBoosting::predict", X);
    const Index n = X.rows(), k = num_outputs();
    Vector<Scalar> out(n);
    for (Index i = 0; i < n; ++i) {
      const double* row = m.data() + i * k;
      out[i] = static_cast<Scalar>(k > 1 ? static_cast<double>(std::max_element(row, row + k) - row)
                                         : objective_.transform(row[0]));
    }
    return out;
  }

  /// Class probabilities, n x 2 ([1 - p, p]) for binary:logistic, n x K
  /// (softmax of the margins) for multi:softprob; other objectives throw.
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    constexpr const char* fn = "GradientBoosting::predict_proba";
    using detail::ObjectiveKind;
    if (objective_.kind != ObjectiveKind::Logistic && objective_.kind != ObjectiveKind::Softprob)
      throw_invalid_argument(fn, "objective ", objective_.name(), " does not predict classes");
    const std::vector<double> m = margins(fn, X);
    const Index n = X.rows(), k = num_outputs();
    RowMatrix<Scalar> out(n, std::max<Index>(k, 2));
    std::vector<double> prob(static_cast<std::size_t>(k));
    for (Index i = 0; i < n; ++i) {
      if (k == 1) {
        const double q = objective_.transform(m[static_cast<std::size_t>(i)]);
        out(i, 0) = static_cast<Scalar>(1 - q);
        out(i, 1) = static_cast<Scalar>(q);
        continue;
      }
      detail::Objective::softmax(m.data() + i * k, static_cast<int>(k), prob.data());
      for (Index j = 0; j < k; ++j)
        out(i, j) = static_cast<Scalar>(prob[static_cast<std::size_t>(j)]);
    }
    return out;
  }

  /// Leaf reached in every tree, n x num_trees() (node indices within each
  /// tree, XGBoost's pred_leaf).
  IndexMatrix predict_leaf(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    constexpr const char* fn = "GradientBoosting::predict_leaf";
    check_predict_input(fn, X);
    IndexMatrix out(X.rows(), num_trees());
    const Index p = X.cols();
    for_row_blocks(X, [&](Index lo, Index hi, const float* rows) {
      for (Index i = lo; i < hi; ++i)
        for (std::size_t t = 0; t < packed_.num_trees(); ++t)
          out(i, static_cast<Index>(t)) = packed_.local(t, packed_.leaf(t, rows + (i - lo) * p));
    });
    return out;
  }

  /// Exact TreeSHAP contributions (Lundberg et al. 2020, XGBoost's
  /// pred_contribs): n x (p + 1) per output, the outputs' blocks side by side
  /// (n x K (p + 1) for multi:softprob); each block's last column is the
  /// bias (base margin + the trees' expected values) and every block sums
  /// to the row's margin. Expectations use the nodes' hessian covers.
  RowMatrix<Scalar> predict_contributions(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    constexpr const char* fn = "GradientBoosting::predict_contributions";
    check_predict_input(fn, X);
    const Index p = num_features_, k = num_outputs(), width = p + 1;
    RowMatrix<double> phi = RowMatrix<double>::Zero(X.rows(), k * width);
    for (Index g = 0; g < k; ++g) phi.col(g * width + p).setConstant(base_margin_);
    for_row_blocks(X, [&](Index lo, Index hi, const float* rows) {
      detail::TreeShapWorkspace ws;  // one path buffer per block of rows
      for (Index i = lo; i < hi; ++i)
        for (std::size_t t = 0; t < trees_.size(); ++t)
          detail::tree_shap(trees_[t], rows + (i - lo) * p, phi.row(i).data() + groups_[t] * width,
                            p, ws);
    });
    return phi.template cast<Scalar>();
  }

  /// Feature importances (p), XGBoost's get_score: per feature the number of
  /// splits (Weight), the total or mean loss change (TotalGain, Gain) or
  /// hessian cover (TotalCover, Cover) of its splits; 0 for unused features.
  Vector<double> feature_importance(ImportanceType type = ImportanceType::Gain) const {
    Vector<double> count = Vector<double>::Zero(num_features_), sum = count;
    for (const RegressionTree& t : trees_)
      for (Index i = 0; i < t.num_nodes(); ++i) {
        if (t.is_leaf(i)) continue;
        const auto u = static_cast<std::size_t>(i);
        count[t.split_indices[u]] += 1;
        sum[t.split_indices[u]] += type == ImportanceType::Gain || type == ImportanceType::TotalGain
                                       ? t.loss_changes[u]
                                       : t.sum_hessian[u];
      }
    if (type == ImportanceType::Weight) return count;
    if (type == ImportanceType::TotalGain || type == ImportanceType::TotalCover) return sum;
    return (count.array() > 0).select(sum.array() / count.array().max(1.0), 0.0);
  }

  /// Round kept as best by early stopping (the last round without it); -1 unfitted.
  int best_iteration() const { return best_iteration_; }
  /// Every round's evaluation results.
  const std::vector<RoundEvaluation>& evals_result() const { return history_; }
  /// The trees, round after round (num_outputs() per round).
  const std::vector<RegressionTree>& trees() const { return trees_; }
  /// Output (class) each tree adds to.
  const std::vector<int>& tree_groups() const { return groups_; }
  /// Number of trees.
  Index num_trees() const { return static_cast<Index>(trees_.size()); }
  /// Features the model was fitted on.
  Index num_features() const { return num_features_; }
  /// Margins per row: num_class for multi:softprob, else 1.
  Index num_outputs() const { return objective_.groups; }
  /// The margin every row starts from (base_score in margin space).
  double base_margin() const { return base_margin_; }
  /// Whether the model has been fitted or loaded.
  bool fitted() const { return num_features_ > 0; }

  /// A model from its parts (what a model loader produces): `params` names
  /// the objective (and num_class), trees[t] adds to output groups[t].
  /// Throws std::runtime_error naming `fn` on an invalid tree or group.
  static GradientBoosting from_trees(std::string_view fn, GBParams params, Index num_features,
                                     double base_margin, std::vector<RegressionTree> trees,
                                     std::vector<int> groups, int best_iteration = -1) {
    GradientBoosting m(std::move(params));
    try {
      m.objective_ = detail::Objective::from_params(fn, m.params_);
    } catch (const std::invalid_argument& e) {
      throw_runtime_error(fn, e.what());
    }
    if (num_features <= 0 || num_features > std::numeric_limits<std::int32_t>::max())
      throw_runtime_error(fn, "num_features = ", num_features, " is invalid");
    if (!std::isfinite(base_margin)) throw_runtime_error(fn, "base margin ", base_margin);
    if (groups.size() != trees.size())
      throw_runtime_error(fn, groups.size(), " tree groups for ", trees.size(), " trees");
    // K outputs come as rounds of K trees: a model claiming more classes than
    // it has trees (beyond binary) is corrupt, and would make every K-wide
    // output allocate without bound.
    const auto k = static_cast<std::size_t>(m.objective_.groups);
    if (k > 1 && (trees.size() % k != 0 || k > std::max<std::size_t>(2, trees.size())))
      throw_runtime_error(fn, trees.size(), " trees do not make whole rounds of ", k, " classes");
    for (std::size_t t = 0; t < trees.size(); ++t) {
      trees[t].validate(fn, num_features);
      if (groups[t] < 0 || groups[t] >= m.objective_.groups)
        throw_runtime_error(fn, "tree ", t, " adds to output ", groups[t], " of ",
                            m.objective_.groups);
    }
    m.num_features_ = num_features;
    m.base_margin_ = base_margin;
    m.trees_ = std::move(trees);
    m.groups_ = std::move(groups);
    const auto rounds =
        static_cast<int>(m.trees_.size() / static_cast<std::size_t>(m.objective_.groups));
    m.best_iteration_ =
        best_iteration >= 0 && best_iteration < rounds ? best_iteration : rounds - 1;
    m.packed_.pack(m.trees_);
    return m;
  }

  /// The magic of the saved format.
  static constexpr std::string_view magic() { return kMagic; }

  /// Writes the model in mlprim's versioned binary format.
  void save(std::ostream& out) const {
    constexpr const char* fn = "GradientBoosting::save";
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(kMagic, kFormatVersion);
    w.string(params_.objective);
    w.value(static_cast<std::int32_t>(params_.num_class));
    w.value(params_.huber_slope);
    w.value(params_.quantile_alpha);
    w.value(static_cast<std::uint64_t>(num_features_));
    w.value(base_margin_);
    w.value(static_cast<std::int32_t>(best_iteration_));
    w.size(trees_.size());
    for (std::size_t t = 0; t < trees_.size(); ++t) {
      const RegressionTree& tr = trees_[t];
      w.value(static_cast<std::int32_t>(groups_[t]));
      w.vector(tr.left_children);
      w.vector(tr.right_children);
      w.vector(tr.parents);
      w.vector(tr.split_indices);
      w.vector(tr.split_conditions);
      w.vector(tr.default_left);
      w.vector(tr.base_weights);
      w.vector(tr.loss_changes);
      w.vector(tr.sum_hessian);
      w.vector(tr.split_type);
      w.vector(tr.category_segments);
      w.vector(tr.category_sizes);
      w.vector(tr.categories);
    }
  }

  /// Reads a model written by save. Throws std::runtime_error on a corrupt,
  /// truncated or hostile stream, reading and allocating only what the
  /// stream holds; every index is validated before use.
  static GradientBoosting load(std::istream& in) {
    constexpr const char* fn = "GradientBoosting::load";
    io::BinaryReader r(in, fn);
    r.header(kMagic, kFormatVersion);
    GBParams params;
    params.objective = r.string("objective", 64);
    params.num_class = r.value<std::int32_t>("num_class");
    if (params.num_class < 0 || params.num_class > kMaxClasses)
      throw_runtime_error(fn, "num_class = ", params.num_class, " is out of range");
    params.huber_slope = r.value<double>("huber_slope");
    params.quantile_alpha = r.value<double>("quantile_alpha");
    const auto p = r.size("num_features", std::numeric_limits<std::int32_t>::max());
    const auto base = r.value<double>("base_margin");
    const auto best = r.value<std::int32_t>("best_iteration");
    const auto count = r.size("tree count", std::numeric_limits<std::int32_t>::max());
    constexpr std::uint64_t max_nodes = std::numeric_limits<std::int32_t>::max();
    std::vector<RegressionTree> trees;
    std::vector<int> groups;
    for (std::uint64_t t = 0; t < count; ++t) {
      groups.push_back(r.value<std::int32_t>("tree group"));
      RegressionTree tr;
      tr.left_children = r.vector<std::int32_t>("left_children", max_nodes);
      tr.right_children = r.vector<std::int32_t>("right_children", max_nodes);
      tr.parents = r.vector<std::int32_t>("parents", max_nodes);
      tr.split_indices = r.vector<std::int32_t>("split_indices", max_nodes);
      tr.split_conditions = r.vector<float>("split_conditions", max_nodes);
      tr.default_left = r.vector<std::uint8_t>("default_left", max_nodes);
      tr.base_weights = r.vector<float>("base_weights", max_nodes);
      tr.loss_changes = r.vector<float>("loss_changes", max_nodes);
      tr.sum_hessian = r.vector<float>("sum_hessian", max_nodes);
      tr.split_type = r.vector<std::uint8_t>("split_type", max_nodes);
      tr.category_segments = r.vector<std::uint32_t>("category_segments", max_nodes);
      tr.category_sizes = r.vector<std::uint32_t>("category_sizes", max_nodes);
      tr.categories = r.vector<std::int32_t>("categories", max_nodes);
      tr.validate(fn, static_cast<Index>(p));
      trees.push_back(std::move(tr));
    }
    return from_trees(fn, std::move(params), static_cast<Index>(p), base, std::move(trees),
                      std::move(groups), best);
  }

 private:
  static constexpr const char* kMagic = "mlprimGB";
  static constexpr std::uint32_t kFormatVersion = 1;
  static constexpr int kMaxClasses = 1 << 20;
  static constexpr Index kRowBlock = 64;

  void check_predict_input(std::string_view fn,
                           const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    check_equal(fn, "X.cols()", X.cols(), num_features_, "the model's number of features");
  }

  /// Calls visit(lo, hi, rows) for blocks of kRowBlock rows of X, rows[lo,
  /// hi) as floats ((hi - lo) x p), on up to num_threads threads.
  template <class Visit>
  void for_row_blocks(const Eigen::Ref<const RowMatrix<Scalar>>& X, Visit&& visit) const {
    const Index n = X.rows(), p = X.cols();
    const Index blocks = (n + kRowBlock - 1) / kRowBlock;
    parallel_for(Index{0}, blocks, params_.num_threads, [&](Index b) {
      const Index lo = b * kRowBlock, hi = std::min(n, lo + kRowBlock);
      std::vector<float> rows(static_cast<std::size_t>((hi - lo) * p));
      for (Index i = lo; i < hi; ++i)
        for (Index f = 0; f < p; ++f)
          rows[static_cast<std::size_t>((i - lo) * p + f)] = static_cast<float>(X(i, f));
      visit(lo, hi, rows.data());
    });
  }

  /// n x K margins in double: each block of rows walks tree after tree.
  std::vector<double> margins(std::string_view fn,
                              const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    check_predict_input(fn, X);
    const Index n = X.rows(), p = X.cols(), k = num_outputs();
    std::vector<double> m(static_cast<std::size_t>(n * k), base_margin_);
    for_row_blocks(X, [&](Index lo, Index hi, const float* rows) {
      packed_.add_margins(rows, hi - lo, p, groups_, k, m.data() + lo * k);
    });
    return m;
  }

  /// Adds tree `tree` (output g) to the margins of the rows of a view.
  void add_tree_to(const RegressionTree& tree, Index g, const ConstRowView<Scalar>& X,
                   std::vector<double>& m, int threads) const {
    const Index k = num_outputs();
    parallel_for(Index{0}, X.rows(), threads, [&](Index i) {
      const std::int32_t leaf =
          tree.leaf_of([&](std::int32_t f) { return static_cast<float>(X(i, f)); });
      m[static_cast<std::size_t>(i * k + g)] +=
          tree.split_conditions[static_cast<std::size_t>(leaf)];
    });
  }

  /// This rank's rows among all ranks' rows of a fit.
  struct Shard {
    std::int64_t offset = 0;  ///< global index of the first local row
    std::int64_t total = 0;   ///< rows on all ranks
    bool weighted = false;    ///< whether any rank weighs its rows
  };

  /// One evaluation of every metric on outputs from margins m: collective,
  /// on every rank's rows of the set concatenated in rank order.
  std::vector<double> evaluate(const std::vector<double>& m, const ConstRowView<Scalar>& y,
                               const ConstRowView<Scalar>& weight, Communicator& comm) const {
    const Index n = y.rows() * y.cols(), k = num_outputs();
    std::vector<double> out(m.size()), labels(static_cast<std::size_t>(n)),
        w(static_cast<std::size_t>(n), 1.0);
    for (Index i = 0; i < n; ++i) {
      labels[static_cast<std::size_t>(i)] = static_cast<double>(y[i]);
      if (!weight.empty()) w[static_cast<std::size_t>(i)] = static_cast<double>(weight[i]);
      if (k > 1)
        detail::Objective::softmax(m.data() + i * k, static_cast<int>(k), out.data() + i * k);
      else
        out[static_cast<std::size_t>(i)] = objective_.transform(m[static_cast<std::size_t>(i)]);
    }
    if (comm.size() > 1) {
      out = all_gather_concat(comm, out);
      labels = all_gather_concat(comm, labels);
      w = all_gather_concat(comm, w);
    }
    std::vector<double> values;
    for (const auto& name : metrics_)
      values.push_back(detail::evaluate_metric(name, objective_, out, labels, w));
    return values;
  }

  /// The base margin, collective: params' base_score, else XGBoost 2's
  /// estimate over all ranks' rows: 0.5 (multi:softprob); the weighted
  /// alpha-quantile of y (absolute, quantile errors; the labels are
  /// all-gathered); one Newton step -G / H from margin 0 (the rest; the
  /// sums exact on a GradientGrid, then all-reduced).
  double base_margin(const Vector<Scalar>& y, const std::vector<double>& w, Communicator& comm,
                     const Shard& shard) const {
    constexpr const char* fn = "GradientBoosting::fit";
    if (params_.base_score) return objective_.margin_of_base_score(fn, *params_.base_score);
    if (objective_.kind == detail::ObjectiveKind::Softprob) return 0.5;
    const Index n = y.size();
    if (objective_.refits_leaves()) {
      std::vector<double> v(static_cast<std::size_t>(n));
      for (Index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<double>(y[i]);
      v = all_gather_concat(comm, v);
      const std::vector<double> all_w = all_gather_concat(comm, w);
      return detail::weighted_quantile(v, all_w.empty() ? nullptr : &all_w,
                                       objective_.refit_alpha());
    }
    std::vector<detail::GradientPair> gp(static_cast<std::size_t>(n));
    const double zero = 0;
    for (Index i = 0; i < n; ++i)
      objective_.gradient(&zero, static_cast<double>(y[i]),
                          w.empty() ? 1.0 : w[static_cast<std::size_t>(i)],
                          &gp[static_cast<std::size_t>(i)]);
    double sums[2] = {0, 0};
    const detail::GradientGrid grid = grid_of(gp.data(), n, comm, shard);
    for (const auto& pair : gp) {
      const detail::QuantizedPair q = grid.round(pair);
      sums[0] += q.g;
      sums[1] += q.h;
    }
    comm.all_reduce_sum(sums, 2);
    return sums[1] > 0 ? -sums[0] / sums[1] : 0.0;
  }

  /// The GradientGrid of the gradients of all ranks' rows, n of them here
  /// (collective: the largest magnitudes are all-reduced).
  static detail::GradientGrid grid_of(const detail::GradientPair* gp, Index n, Communicator& comm,
                                      const Shard& shard) {
    double max_abs[2] = {0, 0};
    for (Index i = 0; i < n; ++i) {
      max_abs[0] = std::max(max_abs[0], std::abs(static_cast<double>(gp[i].g)));
      max_abs[1] = std::max(max_abs[1], std::abs(static_cast<double>(gp[i].h)));
    }
    comm.all_reduce_max(max_abs, 2);
    return detail::GradientGrid(max_abs[0], max_abs[1], shard.total);
  }

  template <class Code>
  void fit_binned(const detail::BinnedMatrix<Code>& bins, const HistogramCuts& cuts,
                  const Eigen::Ref<const RowMatrix<Scalar>>& X,
                  const Eigen::Ref<const Vector<Scalar>>& y, const std::vector<double>& w,
                  const Options& options, int threads, Communicator& comm, const Shard& shard) {
    constexpr const char* fn = "GradientBoosting::fit";
    const Index n = X.rows(), k = num_outputs();
    const Vector<Scalar> labels = y;
    base_margin_ = base_margin(labels, w, comm, shard);
    std::vector<double> margin(static_cast<std::size_t>(n * k), base_margin_);
    std::vector<std::vector<double>> eval_margin;
    for (const auto& set : options.eval_sets)
      eval_margin.emplace_back(static_cast<std::size_t>(set.X.rows() * k), base_margin_);
    trees_.clear();
    groups_.clear();
    history_.clear();

    detail::GrowInputs<Code> in;
    in.bins = &bins;
    in.cuts = &cuts;
    in.params = {static_cast<float>(params_.min_child_weight),
                 static_cast<float>(params_.reg_lambda),
                 static_cast<float>(params_.reg_alpha),
                 static_cast<float>(objective_.tree_delta),
                 static_cast<float>(params_.gamma),
                 static_cast<float>(params_.learning_rate),
                 params_.max_cat_to_onehot};
    in.monotone = params_.monotone_constraints;
    in.policy = params_.grow_policy;
    in.max_depth = params_.max_depth;
    in.max_leaves = params_.max_leaves;
    in.threads = threads;
    in.comm = &comm;
    std::vector<Index> all_features(static_cast<std::size_t>(num_features_));
    for (Index f = 0; f < num_features_; ++f) all_features[static_cast<std::size_t>(f)] = f;

    detail::TreeGrower<Code> grower(in);
    std::vector<std::uint32_t> row_buffer;
    std::vector<std::uint8_t> sampled;
    std::vector<detail::GradientPair> gpair(static_cast<std::size_t>(n * k));
    std::vector<detail::QuantizedPair> quantized(gpair.size());
    const bool maximize = detail::metric_maximizes(metrics_.back());
    double best_score = 0;
    int best_round = -1, rounds = 0;
    for (int round = 0; round < params_.n_estimators; ++round) {
      parallel_for_chunks(Index{0}, n, threads, [&](Index lo, Index hi, int) {
        if (k == 1) {
          objective_.gradient_rows(margin.data() + lo, labels.data() + lo,
                                   w.empty() ? nullptr : w.data() + lo, hi - lo, gpair.data() + lo);
          return;
        }
        std::vector<detail::GradientPair> row(static_cast<std::size_t>(k));
        for (Index i = lo; i < hi; ++i) {
          objective_.gradient(margin.data() + i * k, static_cast<double>(labels[i]),
                              w.empty() ? 1.0 : w[static_cast<std::size_t>(i)], row.data());
          for (Index g = 0; g < k; ++g)
            gpair[static_cast<std::size_t>(g * n + i)] = row[static_cast<std::size_t>(g)];
        }
      });
      for (Index g = 0; g < k; ++g) {
        const auto t = static_cast<std::uint64_t>(trees_.size());
        const detail::GradientPair* gp = gpair.data() + g * n;
        const detail::GradientGrid grid = grid_of(gp, n, comm, shard);
        detail::QuantizedPair* qp = quantized.data() + g * n;
        parallel_for_chunks(Index{0}, n, threads, [&](Index lo, Index hi, int) {
          for (Index i = lo; i < hi; ++i) qp[i] = grid.round(gp[i]);
        });
        std::vector<std::uint32_t> rows = std::move(row_buffer);
        rows.clear();
        if (params_.subsample < 1) {
          // One draw per global row, so that the sample does not depend on the shards.
          const std::uint64_t key = Rng::stream(params_.seed, 4 * t)();
          sampled.assign(static_cast<std::size_t>(n), std::uint8_t{0});
          for (Index i = 0; i < n; ++i)
            if (unit_interval(SplitMix64::at(key, static_cast<std::uint64_t>(shard.offset + i))) <
                params_.subsample) {
              rows.push_back(static_cast<std::uint32_t>(i));
              sampled[static_cast<std::size_t>(i)] = 1;
            }
        } else {
          rows.resize(static_cast<std::size_t>(n));
          for (Index i = 0; i < n; ++i)
            rows[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(i);
        }
        Rng tree_rng = Rng::stream(params_.seed, 4 * t + 1);
        detail::ColumnSampler columns(
            detail::sample_features(all_features, params_.colsample_bytree, tree_rng),
            params_.colsample_bylevel, params_.colsample_bynode,
            Rng::stream(params_.seed, 4 * t + 2)());
        detail::GrowResult grown = grower.grow(qp, std::move(rows), columns);
        RegressionTree& tree = grown.tree;
        if (objective_.refits_leaves()) refit_leaves(grown, labels, w, margin, g, comm, shard);
        for (Index node = 0; node < tree.num_nodes(); ++node) {
          if (!tree.is_leaf(node)) continue;
          const auto u = static_cast<std::size_t>(node);
          for (std::uint32_t j = grown.begin[u]; j < grown.end[u]; ++j)
            margin[static_cast<std::size_t>(grown.rows[j] * k + g)] += tree.split_conditions[u];
        }
        if (!sampled.empty())
          for (Index i = 0; i < n; ++i)
            if (!sampled[static_cast<std::size_t>(i)])
              margin[static_cast<std::size_t>(i * k + g)] +=
                  tree.split_conditions[static_cast<std::size_t>(
                      tree.leaf_of([&](std::int32_t f) { return static_cast<float>(X(i, f)); }))];
        for (std::size_t s = 0; s < options.eval_sets.size(); ++s)
          add_tree_to(tree, g, options.eval_sets[s].X, eval_margin[s], threads);
        trees_.push_back(std::move(tree));
        groups_.push_back(static_cast<int>(g));
        row_buffer = std::move(grown.rows);
      }
      rounds = round + 1;
      RoundEvaluation record;
      record.iteration = round;
      record.metrics = metrics_;
      for (std::size_t s = 0; s < options.eval_sets.size(); ++s) {
        record.set_names.push_back(options.eval_sets[s].name);
        record.values.push_back(evaluate(eval_margin[s], options.eval_sets[s].y,
                                         options.eval_sets[s].weight, comm));
      }
      history_.push_back(record);
      // The callback may throw or stop on some ranks only: both are agreed.
      std::int64_t stop_here = 0;
      detail::on_all_or_none(comm, fn, [&] {
        stop_here = options.callback && !options.callback(history_.back()) ? 1 : 0;
      });
      comm.all_reduce_max(&stop_here, 1);
      bool stop = stop_here != 0;
      if (params_.early_stopping_rounds > 0) {
        const double score = record.values.back().back();
        if (best_round < 0 || (maximize ? score > best_score : score < best_score)) {
          best_score = score;
          best_round = round;
        } else if (round - best_round >= params_.early_stopping_rounds) {
          stop = true;
        }
      }
      if (stop) break;
    }
    if (params_.early_stopping_rounds > 0 && best_round >= 0) {
      trees_.resize(static_cast<std::size_t>((best_round + 1) * k));
      groups_.resize(trees_.size());
      best_iteration_ = best_round;
    } else {
      best_iteration_ = rounds - 1;
    }
    packed_.pack(trees_);
  }

  /// XGBoost's UpdateTreeLeaf for the absolute and quantile errors: each
  /// leaf becomes eta times the (weighted) alpha-quantile of its rows'
  /// residuals y - margin. Collective: every rank's residuals (and weights)
  /// of every leaf are all-gathered, O(rows) bytes per tree, and each
  /// leaf's taken in rank order, as one process would hold them.
  void refit_leaves(detail::GrowResult& grown, const Vector<Scalar>& y,
                    const std::vector<double>& w, const std::vector<double>& margin, Index g,
                    Communicator& comm, const Shard& shard) const {
    const Index k = num_outputs();
    RegressionTree& tree = grown.tree;
    // Per leaf (node order): its row count, residuals, then weights.
    std::vector<double> mine;
    for (Index node = 0; node < tree.num_nodes(); ++node) {
      if (!tree.is_leaf(node)) continue;
      const auto u = static_cast<std::size_t>(node);
      mine.push_back(static_cast<double>(grown.end[u] - grown.begin[u]));
      for (std::uint32_t j = grown.begin[u]; j < grown.end[u]; ++j) {
        const std::uint32_t r = grown.rows[j];
        mine.push_back(static_cast<double>(y[r]) - margin[static_cast<std::size_t>(r * k + g)]);
      }
      if (shard.weighted)
        for (std::uint32_t j = grown.begin[u]; j < grown.end[u]; ++j) mine.push_back(w[grown.rows[j]]);
    }
    const auto blocks = all_gather_values(comm, mine.data(), mine.size());
    std::vector<std::size_t> at(blocks.size(), 0);
    for (Index node = 0; node < tree.num_nodes(); ++node) {
      if (!tree.is_leaf(node)) continue;
      const auto u = static_cast<std::size_t>(node);
      std::vector<double> residual, weight;
      for (std::size_t r = 0; r < blocks.size(); ++r) {
        const std::vector<double>& b = blocks[r];
        const auto count = static_cast<std::size_t>(b[at[r]]);
        const auto first = b.begin() + static_cast<std::ptrdiff_t>(at[r] + 1);
        residual.insert(residual.end(), first, first + static_cast<std::ptrdiff_t>(count));
        if (shard.weighted)
          weight.insert(weight.end(), first + static_cast<std::ptrdiff_t>(count),
                        first + static_cast<std::ptrdiff_t>(2 * count));
        at[r] += 1 + (shard.weighted ? 2 : 1) * count;
      }
      if (residual.empty()) continue;
      const double q = detail::weighted_quantile(residual, shard.weighted ? &weight : nullptr,
                                                 objective_.refit_alpha());
      tree.split_conditions[u] = static_cast<float>(q) * static_cast<float>(params_.learning_rate);
    }
  }

  GBParams params_;
  detail::Objective objective_;
  std::vector<std::string> metrics_;
  Index num_features_ = 0;
  double base_margin_ = 0;
  std::vector<RegressionTree> trees_;
  std::vector<int> groups_;
  std::vector<RoundEvaluation> history_;
  int best_iteration_ = -1;
  detail::PackedForest packed_;
};

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_GRADIENT_BOOSTING_HPP
