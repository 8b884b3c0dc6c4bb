// Data-parallel training and sharded search over MPI:
//   mpiexec -n 2 ./distributed_training
// Each rank makes its own shard of a noisy linear problem, the ranks train
// one linear model together with SGD (gradients averaged across ranks
// before every step, as PyTorch's DistributedDataParallel does), and then
// answer nearest-neighbour queries over all ranks' points. Rank 0 prints;
// every rank checks that it holds the same model.
#include <cstdio>
#include <cstdint>

#include <mlprim/core/random.hpp>
#include <mlprim/distributed.hpp>
#include <mlprim/optim.hpp>

int main(int argc, char** argv) {
  mlprim::MpiEnvironment mpi(argc, argv);
  mlprim::MpiCommunicator comm;
  const int rank = comm.rank(), ranks = comm.size();

  // This rank's 2000 rows of y = x . w_true + 0.3 + noise, 8 features.
  constexpr mlprim::Index rows = 2000, features = 8;
  mlprim::Rng rng = mlprim::Rng::stream(2026, static_cast<std::uint64_t>(rank));
  Eigen::MatrixXd X(rows, features);
  Eigen::VectorXd w_true(features), y(rows);
  for (mlprim::Index j = 0; j < features; ++j) w_true[j] = (j % 2 == 0 ? 1.0 : -0.5) * static_cast<double>(j + 1);
  for (mlprim::Index i = 0; i < rows; ++i) {
    for (mlprim::Index j = 0; j < features; ++j) X(i, j) = rng.normal<double>();
    y[i] = X.row(i).dot(w_true) + 0.3 + 0.1 * rng.normal<double>();
  }

  // The model and its gradient; rank 0's random start goes to every rank.
  mlprim::Rng init = mlprim::Rng::stream(7, static_cast<std::uint64_t>(rank));
  Eigen::VectorXd w = Eigen::VectorXd::NullaryExpr(features, [&] { return init.normal<double>(); });
  Eigen::VectorXd b = Eigen::VectorXd::Zero(1), dw(features), db(1);
  mlprim::SGD<double> opt({/*lr=*/0.1, /*momentum=*/0.9});
  opt.add_param(w, dw);
  opt.add_param(b, db);
  mlprim::broadcast_parameters(opt, comm);

  // 200 steps on local batches of 100 rows: the averaged gradient is the
  // gradient of the mean squared error over all ranks' batches.
  constexpr mlprim::Index batch = 100;
  for (int step = 0; step < 200; ++step) {
    const mlprim::Index first = (step * batch) % rows;
    const auto Xb = X.middleRows(first, batch);
    const Eigen::VectorXd r = Xb * w + Eigen::VectorXd::Constant(batch, b[0]) - y.segment(first, batch);
    dw = Xb.transpose() * r / static_cast<double>(batch);
    db[0] = r.mean();
    mlprim::allreduce_gradients(opt, comm);
    opt.step();
    if (rank == 0 && step % 50 == 0)
      std::printf("step %3d  local batch MSE %.5f\n", step, r.squaredNorm() / batch);
  }
  const double error = (w - w_true).cwiseAbs().maxCoeff();
  const auto models = comm.all_gather(w.data(), sizeof(double) * features);
  bool same_model = true;
  for (const auto& m : models) same_model = same_model && m == models[0];
  if (rank == 0)
    std::printf("%d rank(s): largest weight error %.4f, bias %.4f (true 0.3), same model on every rank: %s\n",
                ranks, error, b[0], same_model ? "yes" : "NO");

  // Nearest neighbours over every rank's rows: global index = rank offset + row.
  const mlprim::RowMatrix<double> points = X;
  const mlprim::ShardedKNN<double> knn(points, comm);
  mlprim::RowMatrix<double> queries = mlprim::RowMatrix<double>::Zero(2, features);
  queries.row(1).setConstant(0.5);
  const auto hits = knn.knn(queries, 3);
  if (rank == 0)
    for (mlprim::Index q = 0; q < queries.rows(); ++q)
      std::printf("query %ld: neighbours %ld %ld %ld of %ld points, nearest at %.4f\n",
                  static_cast<long>(q), static_cast<long>(hits.indices(q, 0)),
                  static_cast<long>(hits.indices(q, 1)), static_cast<long>(hits.indices(q, 2)),
                  static_cast<long>(knn.size()), hits.distances(q, 0));
  return same_model && error < 0.05 ? 0 : 1;
}
