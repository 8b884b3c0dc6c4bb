// Writes the seed corpus of the fuzz targets: valid inputs (saved trees,
// optimizer states, reader scripts over well-formed streams) for libFuzzer
// to mutate, and for the replay tests to run as they are.
//
//   make_corpus <directory>   # creates <directory>/<target>/seed_*
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <mlprim/ensemble.hpp>
#include <mlprim/ensemble/xgboost_json.hpp>

#include "fuzz_targets.hpp"

namespace {

namespace fs = std::filesystem;

void write(const fs::path& dir, int index, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed_" + std::to_string(index)), std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string with_variant(std::uint8_t variant, const std::string& stream) {
  return std::string(1, static_cast<char>(variant)) + stream;
}

template <class T>
mlprim::RowMatrix<T> points(mlprim::Index n, mlprim::Index d, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  mlprim::RowMatrix<T> p(n, d);
  mlprim::fill_uniform(p, rng);  // in [0, 1): inside the periodic variant's box
  return p;
}

void kdtree_seeds(const fs::path& root) {
  int index = 0;
  for (std::uint8_t variant = 0; variant < mlprim::fuzz::kdtree_variants; ++variant) {
    mlprim::fuzz::with_kdtree(variant, [&](auto tag, mlprim::Index d) {
      using Types = typename decltype(tag)::type;
      using T = typename Types::Static::Points::Scalar;
      const auto metric = mlprim::fuzz::make_metric<typename Types::MetricType>(d);
      for (const mlprim::Index n : {0, 1, 5, 40}) {
        mlprim::KDTreeParams params;
        params.leaf_size = n > 10 ? 4 : 16;
        std::ostringstream tree_bytes;
        typename Types::Static(points<T>(n, d, 10 + static_cast<std::uint64_t>(n)), params, metric)
            .save(tree_bytes);
        write(root / "kdtree_load", index, with_variant(variant, tree_bytes.str()));
        typename Types::Dynamic dynamic(d, params, metric);
        dynamic.insert(points<T>(n, d, 20 + static_cast<std::uint64_t>(n)));
        dynamic.insert(points<T>(3, d, 30));
        if (n > 1) dynamic.remove(1);
        std::ostringstream dynamic_bytes;
        dynamic.save(dynamic_bytes);
        write(root / "dynamic_kdtree_load", index, with_variant(variant, dynamic_bytes.str()));
        ++index;
      }
    });
  }
}

/// A tree over x_i = 2^-i: sliding-midpoint splits peel one point at a time
/// until the median fallback, the deepest tree a build makes (it once failed
/// to load).
void geometric_seeds(const fs::path& root) {
  mlprim::RowMatrix<double> points(300, 5);
  for (int i = 0; i < 300; ++i) points.row(i) << std::ldexp(1.0, -i), 0.5, 0.5, 0.5, 0.5;
  mlprim::KDTreeParams params;
  params.leaf_size = 1;
  std::ostringstream tree_bytes;
  mlprim::KDTree<double>(points, params).save(tree_bytes);
  write(root / "kdtree_load", 100, with_variant(1, tree_bytes.str()));
  mlprim::DynamicKDTree<double> dynamic(5, params);
  dynamic.insert(points);
  std::ostringstream dynamic_bytes;
  dynamic.save(dynamic_bytes);
  write(root / "dynamic_kdtree_load", 100, with_variant(1, dynamic_bytes.str()));
}

void forest_seeds(const fs::path& root) {
  int index = 0;
  for (std::uint8_t variant = 0; variant < mlprim::fuzz::forest_variants; ++variant)
    mlprim::fuzz::with_forest(variant, [&](auto tag) {
      using Forest = typename decltype(tag)::type;
      using Scalar = typename Forest::value_type;
      for (const mlprim::Index n : {0, 1, 40}) {
        const mlprim::RowMatrix<Scalar> p = (points<float>(n, 6, 5 + static_cast<std::uint64_t>(n)) * 200.0f).cast<Scalar>();
        std::ostringstream out;
        Forest(p, mlprim::KDForestParams{2, 3, 4, 9, 1}).save(out);
        write(root / "forest_load", index++, with_variant(variant, out.str()));
      }
    });
}

void optimizer_seeds(const fs::path& root) {
  int index = 0;
  for (int variant = 0; variant < 2 * mlprim::fuzz::optimizer_variants; ++variant) {
    auto save_after = [&](auto tag, int steps) {
      using T = typename decltype(tag)::type;
      mlprim::fuzz::OptimizerParams<T> params;
      mlprim::fuzz::with_optimizer<T>(static_cast<std::uint8_t>(variant), [&](auto& opt) {
        opt.add_param(params.a, params.ga);
        opt.add_param(params.b, params.gb);
        for (int s = 0; s < steps; ++s) opt.step();
        std::ostringstream out;
        opt.save(out);
        write(root / "optimizer_load", index++,
              with_variant(static_cast<std::uint8_t>(variant), out.str()));
      });
    };
    for (const int steps : {0, 2}) {
      if (variant < mlprim::fuzz::optimizer_variants)
        save_after(mlprim::fuzz::Tag<float>{}, steps);
      else
        save_after(mlprim::fuzz::Tag<double>{}, steps);
    }
  }
}

void reader_seeds(const fs::path& root) {
  std::ostringstream stream;
  mlprim::io::BinaryWriter w(stream, "make_corpus");
  w.header(mlprim::fuzz::reader_magic, 1);
  w.value(std::uint8_t{7});
  w.value(std::int32_t{-3});
  w.value(std::uint64_t{1} << 40);
  w.value(1.5f);
  w.value(-2.25);
  w.value(true);
  w.value(Eigen::half(0.5f));
  w.size(12);
  w.vector(std::vector<float>{1, 2, 3});
  w.vector(std::vector<double>{4, 5});
  w.string("mlprim");
  w.matrix(mlprim::RowMatrix<float>::Constant(3, 4, 1.0f));
  w.matrix(mlprim::RowMatrix<double>::Constant(5, 2, 2.0));
  w.matrix(mlprim::RowMatrix<std::int32_t>::Constant(2, 3, 9));
  // One read of each kind in the order written, with limits that fit, then
  // the bytes left: 16^p limits with p = 1 (16) or 15 (none).
  const std::string script = {'\x00', '\x01', '\x02', '\x03', '\x04', '\x05', '\x06', '\x07',
                              '\x18', '\x19', '\x1a', '\x1b', '\x1c', '\x1d', '\x1e', '\xff'};
  for (const char stream_kind : {'\0', '\1'}) {
    const std::string input =
        std::string(1, stream_kind) + static_cast<char>(script.size()) + script + stream.str();
    write(root / "binary_reader", stream_kind, input);
  }
}

/// Small boosted models (a few shallow trees, under the 8 KiB input limit),
/// saved in mlprim's format and as XGBoost JSON.
void boosting_seeds(const fs::path& root) {
  mlprim::Rng rng(40);
  mlprim::RowMatrix<double> X(60, 3);
  mlprim::fill_normal(X, rng);
  for (mlprim::Index i = 0; i < 60; i += 5) X(i, 1) = std::nan("");
  mlprim::Vector<double> y(60);
  for (mlprim::Index i = 0; i < 60; ++i) y[i] = X(i, 0) > 0 ? (X(i, 2) > 0 ? 2 : 1) : 0;
  int index = 0;
  for (const char* objective :
       {"reg:squarederror", "binary:logistic", "multi:softprob", "categorical"}) {
    mlprim::GBParams p;
    p.objective = objective;
    if (p.objective == "categorical") {  // column 2 as categories 0..4
      p.objective = "reg:squarederror";
      p.categorical_features = {2};
      for (mlprim::Index i = 0; i < 60; ++i) X(i, 2) = static_cast<double>(i % 5);
    }
    p.num_class = 3;
    p.n_estimators = 2;
    p.max_depth = 2;
    mlprim::Vector<double> labels = y;
    if (p.objective == "binary:logistic") labels = (y.array() > 0).cast<double>();
    mlprim::GradientBoosting<double> m(p);
    m.fit(X, labels);
    std::ostringstream binary, json;
    m.save(binary);
    mlprim::save_json(m, json);
    write(root / "gradient_boosting_load", index,
          with_variant(static_cast<std::uint8_t>(index), binary.str()));
    write(root / "xgboost_json", index, json.str());
    ++index;
  }
}

/// Small scikit-learn-style models behind Classifier / Estimator, saved
/// through the wrapper (byte 0: bit 1 set for the classifier loader).
void classic_seeds(const fs::path& root) {
  mlprim::Rng rng(41);
  mlprim::RowMatrix<double> X(40, 3);
  mlprim::fill_normal(X, rng);
  mlprim::Vector<double> y(40), t(40);
  for (mlprim::Index i = 0; i < 40; ++i) {
    y[i] = X(i, 0) > 0 ? (X(i, 1) > 0 ? 5 : -1) : 2;
    t[i] = X(i, 0) + X(i, 2);
  }
  mlprim::DecisionTreeParams shallow;
  shallow.max_depth = 2;
  mlprim::ForestParams small;
  small.n_estimators = 3;
  small.max_depth = 2;
  mlprim::AdaBoostParams rounds;
  rounds.n_estimators = 3;
  const std::vector<mlprim::Classifier<double>> classifiers = {
      mlprim::DecisionTreeClassifier<double>(shallow),
      mlprim::RandomForestClassifier<double>(small),
      mlprim::ExtraTreesClassifier<double>(small),
      mlprim::AdaBoostClassifier<double>(rounds),
      mlprim::BaggingClassifier<double>(mlprim::BaggingParams{2},
                                        mlprim::DecisionTreeClassifier<double>(shallow)),
      mlprim::LogisticRegression<double>(),
      mlprim::StackingClassifier<double>({mlprim::DecisionTreeClassifier<double>(shallow),
                                          mlprim::LogisticRegression<double>()},
                                         mlprim::LogisticRegression<double>(),
                                         mlprim::StackingParams{2}),
      mlprim::VotingClassifier<double>({mlprim::DecisionTreeClassifier<double>(shallow),
                                        mlprim::LogisticRegression<double>()})};
  int index = 0;
  for (mlprim::Classifier<double> c : classifiers) {
    c.fit(X, y);
    std::ostringstream out;
    c.save(out);
    write(root / "ensemble_load", index, with_variant(static_cast<std::uint8_t>(2 + index % 2), out.str()));
    ++index;
  }
  const std::vector<mlprim::Estimator<double>> regressors = {
      mlprim::DecisionTreeRegressor<double>(shallow),
      mlprim::RandomForestRegressor<double>(small),
      mlprim::AdaBoostRegressor<double>(rounds),
      mlprim::RidgeRegression<double>(),
      mlprim::VotingRegressor<double>({mlprim::DecisionTreeRegressor<double>(shallow),
                                       mlprim::RidgeRegression<double>()})};
  for (mlprim::Estimator<double> r : regressors) {
    r.fit(X, t);
    std::ostringstream out;
    r.save(out);
    write(root / "ensemble_load", index, with_variant(static_cast<std::uint8_t>(index % 2), out.str()));
    ++index;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus <directory>\n");
    return 2;
  }
  const fs::path root(argv[1]);
  reader_seeds(root);
  kdtree_seeds(root);
  geometric_seeds(root);
  forest_seeds(root);
  optimizer_seeds(root);
  boosting_seeds(root);
  classic_seeds(root);
  std::printf("seed corpus written to %s\n", argv[1]);
  return 0;
}
