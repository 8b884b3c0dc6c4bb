// What the fuzz targets drive, shared by the targets and by make_corpus.cpp
// (which writes valid inputs for them): every input's first byte picks a
// variant (a tree type, an optimizer rule, a stream kind), the rest is the
// stream handed to the loader.
#ifndef MLPRIM_TESTS_FUZZ_FUZZ_TARGETS_HPP
#define MLPRIM_TESTS_FUZZ_FUZZ_TARGETS_HPP

#include <mlprim/core.hpp>
#include <mlprim/neighbors.hpp>
#include <mlprim/optim.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>

#include "fuzz_require.hpp"

namespace mlprim::fuzz {

template <class T>
struct Tag {
  using type = T;
};

/// A static tree type and its dynamic counterpart.
template <class Scalar, int Dim, class Metric>
struct TreeTypes {
  using Static = KDTree<Scalar, Dim, Metric>;
  using Dynamic = DynamicKDTree<Scalar, Dim, Metric>;
  using MetricType = Metric;
};

/// The k-d tree types the tree targets load: fixed and dynamic dimensions,
/// float and double, L1 and a periodic box. fn(Tag<TreeTypes<...>>{}, dimension).
inline constexpr int kdtree_variants = 4;
template <class Fn>
void with_kdtree(std::uint8_t variant, Fn&& fn) {
  switch (variant % kdtree_variants) {
    case 0:
      return fn(Tag<TreeTypes<float, 3, L2>>{}, 3);
    case 1:
      return fn(Tag<TreeTypes<double, Eigen::Dynamic, L2>>{}, 5);
    case 2:
      return fn(Tag<TreeTypes<double, Eigen::Dynamic, L1>>{}, 2);
    default:
      return fn(Tag<TreeTypes<float, 2, Periodic<>>>{}, 2);
  }
}

/// The metric a variant's trees are built with (the periodic one needs its box).
template <class Metric>
Metric make_metric(Index dimension) {
  if constexpr (detail::is_periodic<Metric>::value)
    return Metric(std::vector<double>(static_cast<std::size_t>(dimension), 1.0));
  else
    return Metric{};
}

/// Two parameters (3 and 2 x 2 elements) in one group: what the optimizer
/// target loads state into and steps.
template <class T>
struct OptimizerParams {
  Vector<T> a = Vector<T>::LinSpaced(3, T(-1), T(1)), ga = Vector<T>::Constant(3, T(0.5));
  Matrix<T> b = Matrix<T>::Identity(2, 2), gb = Matrix<T>::Constant(2, 2, T(-0.25));
};

/// The optimizer rules, with options that keep every state buffer in use.
/// fn(optimizer) for a fresh optimizer of the variant's rule.
inline constexpr int optimizer_variants = 10;
template <class T, class Fn>
void with_optimizer(std::uint8_t variant, Fn&& fn) {
  switch (variant % optimizer_variants) {
    case 0: {
      SGDOptions o;
      o.momentum = 0.9;
      SGD<T> opt(o);
      return fn(opt);
    }
    case 1: {
      AdamOptions o;
      o.amsgrad = true;
      Adam<T> opt(o);
      return fn(opt);
    }
    case 2: {
      AdamW<T> opt;
      return fn(opt);
    }
    case 3: {
      RMSpropOptions o;
      o.momentum = 0.5;
      o.centered = true;
      RMSprop<T> opt(o);
      return fn(opt);
    }
    case 4: {
      Adagrad<T> opt;
      return fn(opt);
    }
    case 5: {
      Adadelta<T> opt;
      return fn(opt);
    }
    case 6: {
      Adamax<T> opt;
      return fn(opt);
    }
    case 7: {
      NAdam<T> opt;
      return fn(opt);
    }
    case 8: {
      RAdam<T> opt;
      return fn(opt);
    }
    default: {
      Lion<T> opt;
      return fn(opt);
    }
  }
}

/// The magic of the streams the BinaryReader target reads.
inline constexpr const char* reader_magic = "MLPFUZZ1";

/// The forest types the forest target loads: float and byte points.
/// fn(Tag<RandomizedKDForest<...>>{}).
inline constexpr int forest_variants = 2;
template <class Fn>
void with_forest(std::uint8_t variant, Fn&& fn) {
  if (variant % forest_variants == 0) return fn(Tag<RandomizedKDForest<float>>{});
  return fn(Tag<RandomizedKDForest<std::uint8_t>>{});
}

}  // namespace mlprim::fuzz

#endif  // MLPRIM_TESTS_FUZZ_FUZZ_TARGETS_HPP
