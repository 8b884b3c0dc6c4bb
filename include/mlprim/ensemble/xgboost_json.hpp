// XGBoost's JSON model format: load_xgboost_json reads a model saved by
// XGBoost's save_model("m.json"); save_json writes ours in that layout.
// Needs nlohmann/json (Debian nlohmann-json3-dev); the rest of the module
// does not include this header.
#ifndef MLPRIM_ENSEMBLE_XGBOOST_JSON_HPP
#define MLPRIM_ENSEMBLE_XGBOOST_JSON_HPP

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <istream>
#include <iterator>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlprim/ensemble/gradient_boosting.hpp"

namespace mlprim {
namespace detail {

using Json = nlohmann::json;

/// j[key], which must exist.
inline const Json& json_field(std::string_view fn, const Json& j, const char* key) {
  if (!j.is_object()) throw_runtime_error(fn, "expected an object holding \"", key, "\"");
  const auto it = j.find(key);
  if (it == j.end()) throw_runtime_error(fn, "missing field \"", key, "\"");
  return *it;
}

/// A number or a numeric string (XGBoost writes "5E-1", 2.x "[5E-1]").
inline double json_number(std::string_view fn, const Json& j, const char* what) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
    const char* begin = s.c_str();
    char* end = nullptr;
    const double v = std::strtod(begin, &end);
    if (end != begin && *end == '\0') return v;
  }
  throw_runtime_error(fn, what, " is not a number");
}

/// An integer in [lo, hi] given as a number or a numeric string.
inline std::int64_t json_integer(std::string_view fn, const Json& j, const char* what,
                                 std::int64_t lo, std::int64_t hi) {
  if (j.is_number_integer()) {
    const bool negative = j.is_number_unsigned() ? false : j.get<std::int64_t>() < 0;
    if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
      throw_runtime_error(fn, what, " is out of range");
    const std::int64_t v = negative || !j.is_number_unsigned()
                               ? j.get<std::int64_t>()
                               : static_cast<std::int64_t>(j.get<std::uint64_t>());
    if (v < lo || v > hi) throw_runtime_error(fn, what, " = ", v, " is out of range");
    return v;
  }
  const double v = json_number(fn, j, what);
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || std::floor(v) != v)
    throw_runtime_error(fn, what, " = ", v, " is not an integer in [", lo, ", ", hi, "]");
  return static_cast<std::int64_t>(v);
}

/// An array of exactly `n` entries converted by `get`.
template <class T, class Get>
std::vector<T> json_array(std::string_view fn, const Json& tree, const char* key, std::size_t n,
                          Get&& get) {
  const Json& a = json_field(fn, tree, key);
  if (!a.is_array()) throw_runtime_error(fn, "\"", key, "\" is not an array");
  if (a.size() != n)
    throw_runtime_error(fn, "\"", key, "\" has ", a.size(), " entries for ", n, " nodes");
  std::vector<T> out;
  out.reserve(n);
  for (const Json& v : a) out.push_back(get(v));
  return out;
}

inline RegressionTree tree_from_json(std::string_view fn, const Json& j) {
  const Json& param = json_field(fn, j, "tree_param");
  const auto n =
      static_cast<std::size_t>(json_integer(fn, json_field(fn, param, "num_nodes"), "num_nodes", 1,
                                            std::numeric_limits<std::int32_t>::max()));
  if (json_integer(fn, json_field(fn, param, "size_leaf_vector"), "size_leaf_vector", 0,
                   std::numeric_limits<std::int32_t>::max()) > 1)
    throw_runtime_error(fn, "vector-leaf (multi-target) trees are not supported");
  constexpr std::int64_t imax = std::numeric_limits<std::int32_t>::max();
  auto index = [&](const char* what) {
    return [&fn, what](const Json& v) {
      return static_cast<std::int32_t>(json_integer(fn, v, what, -1, imax));
    };
  };
  auto real = [&](const char* what) {
    return [&fn, what](const Json& v) {
      // XGBoost writes NaN (read as null) for the conditions of categorical splits.
      return v.is_null() ? std::numeric_limits<float>::quiet_NaN()
                         : static_cast<float>(json_number(fn, v, what));
    };
  };
  RegressionTree t;
  t.left_children = json_array<std::int32_t>(fn, j, "left_children", n, index("left child"));
  t.right_children = json_array<std::int32_t>(fn, j, "right_children", n, index("right child"));
  t.parents = json_array<std::int32_t>(fn, j, "parents", n, [&](const Json& v) {
    const std::int64_t p = json_integer(fn, v, "parent", -1, imax);
    return static_cast<std::int32_t>(p == imax ? -1 : p);  // XGBoost's root parent is INT_MAX
  });
  t.split_indices = json_array<std::int32_t>(fn, j, "split_indices", n, index("split index"));
  t.split_conditions = json_array<float>(fn, j, "split_conditions", n, real("split condition"));
  t.default_left = json_array<std::uint8_t>(fn, j, "default_left", n, [&](const Json& v) {
    if (v.is_boolean()) return static_cast<std::uint8_t>(v.get<bool>() ? 1 : 0);
    return static_cast<std::uint8_t>(json_integer(fn, v, "default_left", 0, 1));
  });
  t.base_weights = json_array<float>(fn, j, "base_weights", n, real("base weight"));
  t.loss_changes = json_array<float>(fn, j, "loss_changes", n, real("loss change"));
  t.sum_hessian = json_array<float>(fn, j, "sum_hessian", n, real("sum_hessian"));
  t.split_type = json_array<std::uint8_t>(fn, j, "split_type", n, [&](const Json& v) {
    return static_cast<std::uint8_t>(json_integer(fn, v, "split_type", 0, 1));
  });
  t.category_segments.assign(n, 0);
  t.category_sizes.assign(n, 0);
  const Json& nodes = json_field(fn, j, "categories_nodes");
  const Json& segments = json_field(fn, j, "categories_segments");
  const Json& sizes = json_field(fn, j, "categories_sizes");
  const Json& cats = json_field(fn, j, "categories");
  if (!nodes.is_array() || !segments.is_array() || !sizes.is_array() || !cats.is_array() ||
      segments.size() != nodes.size() || sizes.size() != nodes.size())
    throw_runtime_error(fn, "the categories_* arrays of a tree do not match");
  for (const Json& c : cats)
    t.categories.push_back(static_cast<std::int32_t>(
        json_integer(fn, c, "category", 0, static_cast<std::int64_t>(kMaxCategory) - 1)));
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    const auto node = static_cast<std::size_t>(
        json_integer(fn, nodes[k], "categories node", 0, static_cast<std::int64_t>(n) - 1));
    if (t.split_type[node] != 1)
      throw_runtime_error(fn, "node ", node, " has categories but a numeric split");
    t.category_segments[node] = static_cast<std::uint32_t>(json_integer(
        fn, segments[k], "categories segment", 0, std::numeric_limits<std::uint32_t>::max()));
    t.category_sizes[node] = static_cast<std::uint32_t>(json_integer(
        fn, sizes[k], "categories size", 0, std::numeric_limits<std::uint32_t>::max()));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (t.left_children[i] < 0) t.split_indices[i] = 0;
    if (t.split_type[i] == 1) t.split_conditions[i] = 0;  // unused: the set decides
  }
  return t;
}

/// The JSON text of `in` with XGBoost's non-standard NaN / Infinity tokens
/// (outside strings) turned into null, so that a strict parser reads it.
inline std::string standard_json(std::istream& in) {
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size())
        out.push_back(text[++i]);
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (text.compare(i, 3, "NaN") == 0) {
      out += "null";
      i += 2;
    } else if (text.compare(i, 9, "-Infinity") == 0 || text.compare(i, 8, "Infinity") == 0) {
      out += "null";
      i += text[i] == '-' ? 8 : 7;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace detail

/// Reads a model written by XGBoost's `save_model("m.json")` (1.7 layout;
/// 2.x's bracketed base_score and boolean default_left accepted) for the
/// objectives GradientBoosting knows, gbtree booster, numeric and
/// categorical splits (XGBoost's NaN tokens accepted). The
/// base_score is mapped to a margin as XGBoost does (logit for
/// binary:logistic, log for count:poisson). Predictions equal XGBoost's (it
/// sums leaves in float, we in double). Throws std::runtime_error on
/// malformed JSON, wrong types, unsupported models, and on any tree whose
/// indices are out of range, cyclic or unreachable (RegressionTree::validate).
template <class Scalar = double>
GradientBoosting<Scalar> load_xgboost_json(std::istream& in) {
  constexpr const char* fn = "load_xgboost_json";
  using detail::json_field;
  try {
    const detail::Json root = detail::Json::parse(detail::standard_json(in));
    const detail::Json& learner = json_field(fn, root, "learner");
    const detail::Json& booster = json_field(fn, learner, "gradient_booster");
    const detail::Json& name = json_field(fn, booster, "name");
    if (!name.is_string() || name.get<std::string>() != "gbtree")
      throw_runtime_error(fn, "only the gbtree booster is supported");
    const detail::Json& objective = json_field(fn, learner, "objective");
    const detail::Json& obj_name = json_field(fn, objective, "name");
    if (!obj_name.is_string()) throw_runtime_error(fn, "the objective name is not a string");
    GBParams params;
    params.objective = obj_name.get<std::string>();
    const detail::Json& model_param = json_field(fn, learner, "learner_model_param");
    const auto num_class =
        detail::json_integer(fn, json_field(fn, model_param, "num_class"), "num_class", 0, 1 << 20);
    params.num_class = static_cast<int>(num_class);
    if (objective.contains("pseudo_huber_param"))
      params.huber_slope = detail::json_number(
          fn, json_field(fn, objective["pseudo_huber_param"], "huber_slope"), "huber_slope");
    if (objective.contains("quantile_loss_param"))
      params.quantile_alpha = detail::json_number(
          fn, json_field(fn, objective["quantile_loss_param"], "quantile_alpha"), "quantile_alpha");
    const auto num_feature =
        detail::json_integer(fn, json_field(fn, model_param, "num_feature"), "num_feature", 1,
                             std::numeric_limits<std::int32_t>::max());
    const double base_score =
        detail::json_number(fn, json_field(fn, model_param, "base_score"), "base_score");
    detail::Objective obj;
    try {
      obj = detail::Objective::from_params(fn, params);
    } catch (const std::invalid_argument& e) {
      throw_runtime_error(fn, e.what());
    }
    double base_margin = base_score;
    if (obj.kind == detail::ObjectiveKind::Logistic) {
      if (!(base_score > 0 && base_score < 1))
        throw_runtime_error(fn, "base_score = ", base_score, " is not a probability");
      base_margin = -std::log(1 / base_score - 1);
    } else if (obj.kind == detail::ObjectiveKind::Poisson) {
      if (!(base_score > 0)) throw_runtime_error(fn, "base_score = ", base_score, " must be > 0");
      base_margin = std::log(base_score);
    }
    const detail::Json& model = json_field(fn, booster, "model");
    const detail::Json& trees_json = json_field(fn, model, "trees");
    const detail::Json& info = json_field(fn, model, "tree_info");
    if (!trees_json.is_array() || !info.is_array() || trees_json.size() != info.size())
      throw_runtime_error(fn, "\"trees\" and \"tree_info\" must be arrays of equal length");
    std::vector<RegressionTree> trees;
    std::vector<int> groups;
    for (std::size_t t = 0; t < trees_json.size(); ++t) {
      trees.push_back(detail::tree_from_json(fn, trees_json[t]));
      groups.push_back(
          static_cast<int>(detail::json_integer(fn, info[t], "tree_info", 0, 1 << 20)));
    }
    int best = -1;
    if (learner.contains("attributes") && learner["attributes"].is_object() &&
        learner["attributes"].contains("best_iteration"))
      best = static_cast<int>(detail::json_integer(fn, learner["attributes"]["best_iteration"],
                                                   "best_iteration", 0, 1 << 30));
    return GradientBoosting<Scalar>::from_trees(fn, std::move(params), num_feature, base_margin,
                                                std::move(trees), std::move(groups), best);
  } catch (const detail::Json::exception& e) {
    throw_runtime_error(fn, "invalid JSON model: ", e.what());
  }
}

/// Writes `model` in XGBoost's JSON layout (1.7), which XGBoost's
/// load_model and load_xgboost_json read back.
template <class Scalar>
void save_json(const GradientBoosting<Scalar>& model, std::ostream& out) {
  constexpr const char* fn = "save_json";
  if (!model.fitted()) throw_invalid_argument(fn, "the model is not fitted");
  using detail::Json;
  detail::Objective obj = detail::Objective::from_params(fn, model.params());
  double base_score = model.base_margin();
  if (obj.kind == detail::ObjectiveKind::Logistic) base_score = 1 / (1 + std::exp(-base_score));
  if (obj.kind == detail::ObjectiveKind::Poisson) base_score = std::exp(base_score);
  const std::string p = std::to_string(model.num_features());
  Json trees = Json::array();
  for (std::size_t t = 0; t < model.trees().size(); ++t) {
    const RegressionTree& tr = model.trees()[t];
    std::vector<std::int64_t> cat_nodes, cat_segments, cat_sizes;
    for (std::size_t i = 0; i < tr.split_type.size(); ++i)
      if (tr.split_type[i] == 1) {
        cat_nodes.push_back(static_cast<std::int64_t>(i));
        cat_segments.push_back(tr.category_segments[i]);
        cat_sizes.push_back(tr.category_sizes[i]);
      }
    Json parents = Json::array();
    for (std::int32_t v : tr.parents)
      parents.push_back(v < 0 ? std::numeric_limits<std::int32_t>::max() : v);
    trees.push_back({{"id", t},
                     {"tree_param",
                      {{"num_nodes", std::to_string(tr.num_nodes())},
                       {"num_feature", p},
                       {"num_deleted", "0"},
                       {"size_leaf_vector", "0"}}},
                     {"left_children", tr.left_children},
                     {"right_children", tr.right_children},
                     {"parents", parents},
                     {"split_indices", tr.split_indices},
                     {"split_conditions", tr.split_conditions},
                     {"default_left", tr.default_left},
                     {"base_weights", tr.base_weights},
                     {"loss_changes", tr.loss_changes},
                     {"sum_hessian", tr.sum_hessian},
                     {"split_type", tr.split_type},
                     {"categories", tr.categories},
                     {"categories_nodes", cat_nodes},
                     {"categories_segments", cat_segments},
                     {"categories_sizes", cat_sizes}});
  }
  Json objective = {{"name", obj.name()}};
  if (obj.kind == detail::ObjectiveKind::Softprob)
    objective["softmax_multiclass_param"] = {{"num_class", std::to_string(obj.groups)}};
  if (obj.kind == detail::ObjectiveKind::PseudoHuber)
    objective["pseudo_huber_param"] = {{"huber_slope", std::to_string(obj.huber_slope)}};
  if (obj.kind == detail::ObjectiveKind::QuantileError)
    objective["quantile_loss_param"] = {{"quantile_alpha", std::to_string(obj.quantile_alpha)}};
  if (obj.kind == detail::ObjectiveKind::Logistic ||
      obj.kind == detail::ObjectiveKind::SquaredError)
    objective["reg_loss_param"] = {{"scale_pos_weight", std::to_string(obj.scale_pos_weight)}};
  if (obj.kind == detail::ObjectiveKind::Poisson)
    objective["poisson_regression_param"] = {{"max_delta_step", std::to_string(obj.poisson_delta)}};
  char base[32];
  std::snprintf(base, sizeof base, "%.17g", base_score);
  const Json root = {{"learner",
                      {{"attributes", {{"best_iteration", std::to_string(model.best_iteration())}}},
                       {"feature_names", Json::array()},
                       {"feature_types", Json::array()},
                       {"gradient_booster",
                        {{"name", "gbtree"},
                         {"model",
                          {{"gbtree_model_param",
                            {{"num_parallel_tree", "1"},
                             {"num_trees", std::to_string(model.trees().size())},
                             {"size_leaf_vector", "0"}}},
                           {"tree_info", model.tree_groups()},
                           {"trees", trees}}}}},
                       {"learner_model_param",
                        {{"base_score", base},
                         {"boost_from_average", "1"},
                         {"num_class", std::to_string(obj.groups > 1 ? obj.groups : 0)},
                         {"num_feature", p},
                         {"num_target", "1"}}},
                       {"objective", objective}}},
                     {"version", {1, 7, 4}}};
  out << root.dump();
}

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_XGBOOST_JSON_HPP
