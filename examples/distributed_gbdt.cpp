// Data-parallel gradient boosting over MPI:
//   mpiexec -n 2 ./distributed_gbdt
// Each rank generates its own shard of a binary classification problem
// (and of a validation set), the ranks train one model together (bin cuts
// from merged sketches, histograms all-reduced, early stopping on the
// all-reduced validation AUC), rank 0 prints the progress and the test
// AUC, and every rank checks that it holds the same model.
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

#include <mlprim/core/random.hpp>
#include <mlprim/distributed.hpp>
#include <mlprim/ensemble.hpp>

#include "roc_auc.hpp"

namespace {

/// n rows of 10 features with labels from a noisy nonlinear rule.
void make_shard(mlprim::Rng& rng, mlprim::Index n, mlprim::RowMatrix<double>& X,
                mlprim::Vector<double>& y) {
  X.resize(n, 10);
  y.resize(n);
  mlprim::fill_normal(X, rng);
  for (mlprim::Index i = 0; i < n; ++i) {
    const double f = X(i, 0) * X(i, 1) + 0.8 * X(i, 2) - 0.5 * X(i, 3) * X(i, 3) +
                     (X(i, 4) > 0.3 ? 0.7 : -0.2) + 0.5 * rng.normal<double>();
    y[i] = f > 0 ? 1 : 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  mlprim::MpiEnvironment mpi(argc, argv);
  mlprim::MpiCommunicator comm;
  const int rank = comm.rank(), ranks = comm.size();

  // This rank's 20000 training and 2000 validation rows.
  mlprim::Rng rng = mlprim::Rng::stream(2026, static_cast<std::uint64_t>(rank));
  mlprim::RowMatrix<double> X, vX, tX;
  mlprim::Vector<double> y, vy, ty;
  make_shard(rng, 20000, X, y);
  make_shard(rng, 2000, vX, vy);
  mlprim::Rng test_rng(99);  // one test set, the same on every rank
  make_shard(test_rng, 2000, tX, ty);

  mlprim::GBParams params;
  params.objective = "binary:logistic";
  params.n_estimators = 300;
  params.learning_rate = 0.2;
  params.max_depth = 5;
  params.eval_metric = {"logloss", "auc"};
  params.early_stopping_rounds = 10;
  params.num_threads = 1;

  mlprim::GradientBoosting<double>::Options options;
  options.communicator = &comm;
  options.eval_sets.push_back({"validation", vX, vy});
  options.callback = [&](const mlprim::RoundEvaluation& r) {
    if (rank == 0 && r.iteration % 20 == 0)
      std::printf("round %3d  validation logloss %.4f  auc %.4f\n", r.iteration,
                  r.values[0][0], r.values[0][1]);
    return true;
  };
  mlprim::GradientBoosting<double> model(params);
  model.fit(X, y, options);

  // Every rank's saved model, compared with rank 0's.
  std::ostringstream saved;
  model.save(saved);
  const std::string mine = saved.str();
  const auto all = comm.all_gather(mine.data(), mine.size());
  bool same_model = true;
  for (const auto& m : all) same_model = same_model && m == all[0];
  const double test_auc = auc(model.predict(tX), ty);
  if (rank == 0)
    std::printf("%d rank(s), %d x 20000 rows: best round %d, test AUC %.4f, same model on every "
                "rank: %s\n",
                ranks, ranks, model.best_iteration(), test_auc, same_model ? "yes" : "NO");
  return same_model && test_auc > 0.85 ? 0 : 1;
}
