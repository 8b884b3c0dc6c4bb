// Every optimizer against torch.optim (PyTorch 1.13) trajectories: 200 steps
// on the quadratic-plus-noise objective of tests/data/optim/make_trajectories.py,
// the gradient recomputed from our own parameters at every step.
#include <mlprim/optim.hpp>

#include <algorithm>
#include <string>

#include "catch.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

namespace {

const mlprim::test::ReferenceData& trajectories() {
  static const auto data = mlprim::test::read_reference_data("optim/trajectories.txt");
  return data;
}

/// Runs `options` for as many steps as the reference has and returns the
/// largest per-step error relative to the largest parameter of that step.
template <class Opt>
double worst_relative_error(const std::string& name, const typename Opt::Options& options) {
  using T = typename Opt::Scalar;
  const auto& data = trajectories();
  const auto& reference = data.at(name + (std::is_same_v<T, float> ? "_f32" : "_f64"));
  const mlprim::Vector<T> a = data.at("a").row(0).transpose().cast<T>();
  const mlprim::Vector<T> c = data.at("c").row(0).transpose().cast<T>();
  const mlprim::RowMatrix<T> noise = data.at("noise").cast<T>();
  mlprim::Vector<T> p = data.at("p0").row(0).transpose().cast<T>();
  mlprim::Vector<T> grad(p.size());
  Opt optimizer(options);
  optimizer.add_param(p, grad);
  double worst = 0;
  for (mlprim::Index t = 0; t < reference.rows(); ++t) {
    grad = (a.array() * (p - c).array() + noise.row(t).transpose().array()).matrix();
    optimizer.step();
    const Eigen::VectorXd expected = reference.row(t).transpose();
    const double error = (p.template cast<double>() - expected).cwiseAbs().maxCoeff();
    worst = std::max(worst, error / std::max(expected.cwiseAbs().maxCoeff(), 1e-30));
  }
  CHECK(optimizer.step_count() == reference.rows());
  return worst;
}

template <class Opt>
void check_case(const std::string& name, const typename Opt::Options& options) {
  using T = typename Opt::Scalar;
  const double tolerance = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  INFO("case " << name);
  CHECK(worst_relative_error<Opt>(name, options) <= tolerance);
}

}  // namespace

TEMPLATE_TEST_CASE("SGD follows torch.optim.SGD", "[optim][pytorch]", MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::SGD<TestType>;
  mlprim::SGDOptions o;
  o.lr = 0.05;
  check_case<Opt>("sgd", o);
  o.momentum = 0.9;
  check_case<Opt>("sgd_momentum", o);
  o.nesterov = true;
  check_case<Opt>("sgd_nesterov", o);
  o.nesterov = false;
  o.dampening = 0.1;
  o.weight_decay = 0.01;
  check_case<Opt>("sgd_dampening_wd", o);
  mlprim::SGDOptions m;
  m.lr = 0.01;
  m.momentum = 0.5;
  m.maximize = true;
  check_case<Opt>("sgd_maximize", m);
}

TEMPLATE_TEST_CASE("Adam follows torch.optim.Adam", "[optim][pytorch]", MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::Adam<TestType>;
  mlprim::AdamOptions o;
  o.lr = 0.01;
  check_case<Opt>("adam", o);
  auto amsgrad = o;
  amsgrad.amsgrad = true;
  check_case<Opt>("adam_amsgrad", amsgrad);
  auto wd = o;
  wd.weight_decay = 0.1;
  check_case<Opt>("adam_wd", wd);
  auto betas = o;
  betas.betas = {0.8, 0.99};
  betas.eps = 1e-6;
  check_case<Opt>("adam_betas_eps", betas);
  auto maximize = o;
  maximize.maximize = true;
  check_case<Opt>("adam_maximize", maximize);
}

TEMPLATE_TEST_CASE("AdamW follows torch.optim.AdamW", "[optim][pytorch]", MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::AdamW<TestType>;
  mlprim::AdamWOptions o;
  o.lr = 0.01;
  check_case<Opt>("adamw", o);
  auto amsgrad = o;
  amsgrad.amsgrad = true;
  amsgrad.weight_decay = 0.1;
  check_case<Opt>("adamw_amsgrad_wd", amsgrad);
  auto maximize = o;
  maximize.maximize = true;
  check_case<Opt>("adamw_maximize", maximize);
}

TEMPLATE_TEST_CASE("RMSprop follows torch.optim.RMSprop", "[optim][pytorch]", MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::RMSprop<TestType>;
  mlprim::RMSpropOptions o;
  o.lr = 0.01;
  check_case<Opt>("rmsprop", o);
  auto centered = o;
  centered.centered = true;
  check_case<Opt>("rmsprop_centered", centered);
  auto momentum = o;
  momentum.momentum = 0.9;
  check_case<Opt>("rmsprop_momentum", momentum);
  auto all = o;
  all.centered = true;
  all.momentum = 0.5;
  all.weight_decay = 0.01;
  check_case<Opt>("rmsprop_centered_momentum_wd", all);
  auto maximize = o;
  maximize.lr = 0.001;
  maximize.maximize = true;
  check_case<Opt>("rmsprop_maximize", maximize);
}

TEMPLATE_TEST_CASE("Adagrad follows torch.optim.Adagrad", "[optim][pytorch]", MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::Adagrad<TestType>;
  mlprim::AdagradOptions o;
  o.lr = 0.1;
  check_case<Opt>("adagrad", o);
  auto decay = o;
  decay.lr_decay = 0.01;
  decay.initial_accumulator_value = 0.1;
  decay.weight_decay = 0.01;
  check_case<Opt>("adagrad_decay_init_wd", decay);
  auto maximize = o;
  maximize.lr = 0.01;
  maximize.maximize = true;
  check_case<Opt>("adagrad_maximize", maximize);
}

TEMPLATE_TEST_CASE("Adadelta follows torch.optim.Adadelta", "[optim][pytorch]",
                   MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::Adadelta<TestType>;
  mlprim::AdadeltaOptions o;
  check_case<Opt>("adadelta", o);
  auto rho = o;
  rho.rho = 0.95;
  rho.eps = 1e-5;
  rho.weight_decay = 0.01;
  check_case<Opt>("adadelta_rho_wd", rho);
  auto maximize = o;
  maximize.lr = 0.5;
  maximize.maximize = true;
  check_case<Opt>("adadelta_maximize", maximize);
}

TEMPLATE_TEST_CASE("Adamax follows torch.optim.Adamax", "[optim][pytorch]", MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::Adamax<TestType>;
  mlprim::AdamaxOptions o;
  o.lr = 0.01;
  check_case<Opt>("adamax", o);
  auto wd = o;
  wd.weight_decay = 0.01;
  check_case<Opt>("adamax_wd", wd);
  auto maximize = o;
  maximize.maximize = true;
  check_case<Opt>("adamax_maximize", maximize);
}

TEMPLATE_TEST_CASE("NAdam follows torch.optim.NAdam", "[optim][pytorch]", MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::NAdam<TestType>;
  mlprim::NAdamOptions o;
  o.lr = 0.01;
  check_case<Opt>("nadam", o);
  auto decay = o;
  decay.momentum_decay = 1e-2;
  decay.weight_decay = 0.01;
  check_case<Opt>("nadam_decay_wd", decay);
}

TEMPLATE_TEST_CASE("RAdam follows torch.optim.RAdam", "[optim][pytorch]", MLPRIM_TEST_SCALARS) {
  using Opt = mlprim::RAdam<TestType>;
  mlprim::RAdamOptions o;
  o.lr = 0.01;
  check_case<Opt>("radam", o);
  auto wd = o;
  wd.weight_decay = 0.01;
  check_case<Opt>("radam_wd", wd);
}
