// The optimizer objects and kernels beyond the PyTorch trajectories: Lion
// against the paper's formula, kernel sizes and threads, parameter groups,
// state save/load, and rejected input.
#include <mlprim/optim.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "catch.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

namespace {

template <class T>
mlprim::Vector<T> random_vector(mlprim::Index n, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  mlprim::Vector<T> v(n);
  mlprim::fill_normal(v, rng);
  return v;
}

template <class Fn>
std::string invalid_argument_message(Fn&& fn) {
  return mlprim::test::exception_message<std::invalid_argument>(fn);
}

/// The saved state of Adam after one step of a 4-element parameter of ones.
std::string adam_state_after_one_step() {
  Eigen::VectorXd p = Eigen::VectorXd::Ones(4), g = Eigen::VectorXd::Ones(4);
  mlprim::Adam<double> adam;
  adam.add_param(p, g);
  adam.step();
  std::stringstream saved;
  adam.save(saved);
  return saved.str();
}

}  // namespace

TEMPLATE_TEST_CASE("Lion matches the paper's update computed independently", "[optim]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const mlprim::Index n = 37;
  mlprim::LionOptions o;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  for (bool maximize : {false, true}) {
    o.maximize = maximize;
    mlprim::Vector<T> p = random_vector<T>(n, 1), grad(n);
    Eigen::VectorXd ref_p = p.template cast<double>(), ref_m = Eigen::VectorXd::Zero(n);
    mlprim::Lion<T> opt(o);
    opt.add_param(p, grad);
    double worst = 0;
    for (int t = 0; t < 100; ++t) {
      grad = random_vector<T>(n, 100 + static_cast<std::uint64_t>(t)) + p;
      opt.step();
      // The reference: c = b1 m + (1 - b1) g; p -= lr (sign(c) + wd p); m = b2 m + (1 - b2) g.
      for (mlprim::Index i = 0; i < n; ++i) {
        const double g = (maximize ? -1.0 : 1.0) * static_cast<double>(grad(i));
        const double c = 0.9 * ref_m(i) + 0.1 * g;
        const double sign = c > 0 ? 1.0 : (c < 0 ? -1.0 : 0.0);
        ref_p(i) -= 0.01 * (sign + 0.1 * ref_p(i));
        ref_m(i) = 0.99 * ref_m(i) + 0.01 * g;
      }
      worst = std::max(worst, (p.template cast<double>() - ref_p).cwiseAbs().maxCoeff() /
                                  ref_p.cwiseAbs().maxCoeff());
      ref_p = p.template cast<double>();  // follow our own trajectory; sign() is discontinuous
    }
    CHECK(worst <= mlprim::test::Tolerance<T>::relative * 10);
  }
}

TEMPLATE_TEST_CASE("kernels give the same bits for any size split and thread count", "[optim]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  // Sizes around the block size and not multiples of any SIMD width.
  for (mlprim::Index n : {mlprim::Index{0}, mlprim::Index{1}, mlprim::Index{3}, mlprim::Index{511},
                          mlprim::Index{513}, mlprim::Index{1031}}) {
    const mlprim::Vector<T> p0 = random_vector<T>(n, 5), g = random_vector<T>(n, 6);
    mlprim::AdamOptions o;
    o.amsgrad = true;
    o.weight_decay = 0.01;
    mlprim::Vector<T> p = p0, m = mlprim::Vector<T>::Zero(n), v = m, vmax = m;
    mlprim::adam_update(p.data(), g.data(), m.data(), v.data(), vmax.data(), n, o, 3);
    // Element by element, each as a buffer of size 1.
    mlprim::Vector<T> q = p0, m1 = mlprim::Vector<T>::Zero(n), v1 = m1, vmax1 = m1;
    for (mlprim::Index i = 0; i < n; ++i)
      mlprim::adam_update(q.data() + i, g.data() + i, m1.data() + i, v1.data() + i,
                          vmax1.data() + i, 1, o, 3);
    INFO("n = " << n);
    CHECK(p == q);
    CHECK(m == m1);
    CHECK(vmax == vmax1);
  }
  const mlprim::Index big = 300007;
  const mlprim::Vector<T> p0 = random_vector<T>(big, 7), g = random_vector<T>(big, 8);
  mlprim::AdamWOptions o;
  mlprim::Vector<T> p1 = p0, p2 = p0, m1 = mlprim::Vector<T>::Zero(big), m2 = m1, v1 = m1, v2 = m1;
  mlprim::adamw_update(p1.data(), g.data(), m1.data(), v1.data(), static_cast<T*>(nullptr), big, o,
                       1, 1);
  mlprim::adamw_update(p2.data(), g.data(), m2.data(), v2.data(), static_cast<T*>(nullptr), big, o,
                       1, 7);
  CHECK(p1 == p2);
  CHECK(v1 == v2);
}

TEST_CASE("parameters of any contiguous shape, in groups with their own options", "[optim]") {
  Eigen::MatrixXf w = Eigen::MatrixXf::Ones(3, 4), dw(3, 4);
  mlprim::RowMatrix<float> b = mlprim::RowMatrix<float>::Ones(2, 2), db(2, 2);
  Eigen::ArrayXf c = Eigen::ArrayXf::Ones(5), dc(5);
  mlprim::SGDOptions slow;
  slow.lr = 0.1;
  mlprim::SGD<float> opt(slow);
  mlprim::SGDOptions fast = slow;
  fast.lr = 1.0;
  const mlprim::Index group = opt.add_group(fast);
  opt.add_param(w, dw);
  opt.add_param(b, db, group);
  opt.add_param(c, dc, group);
  CHECK(opt.num_groups() == 2);
  CHECK(opt.num_params(0) == 1);
  CHECK(opt.num_params(1) == 2);
  dw.setConstant(1.0f);
  db.setConstant(1.0f);
  dc.setConstant(2.0f);
  opt.step();
  CHECK(w.isApproxToConstant(0.9f));
  CHECK(b.isApproxToConstant(0.0f));
  CHECK(c.isApproxToConstant(-1.0f));
  opt.zero_grad();
  CHECK(dw.isZero());
  CHECK(db.isZero());
  CHECK((dc == 0).all());
  opt.set_lr(0.5, group);
  CHECK(opt.lr(group) == 0.5);
  CHECK(opt.lr(0) == 0.1);
  CHECK(opt.step_count() == 1);
}

TEMPLATE_TEST_CASE("saved state resumes a run bit for bit", "[optim]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const mlprim::Index n = 50;
  mlprim::Vector<T> p = random_vector<T>(n, 11), grad(n);
  mlprim::NAdamOptions o;
  o.lr = 0.01;
  auto gradient = [&](int t) {
    return mlprim::Vector<T>(p + random_vector<T>(n, 1000 + static_cast<std::uint64_t>(t)));
  };
  mlprim::NAdam<T> first(o);
  first.add_param(p, grad);
  for (int t = 0; t < 30; ++t) {
    grad = gradient(t);
    first.step();
  }
  std::stringstream saved;
  first.save(saved);
  const mlprim::Vector<T> p_at_30 = p;
  for (int t = 30; t < 60; ++t) {
    grad = gradient(t);
    first.step();
  }
  const mlprim::Vector<T> uninterrupted = p;

  p = p_at_30;
  mlprim::NAdam<T> resumed(o);
  resumed.add_param(p, grad);
  resumed.load(saved);
  CHECK(resumed.step_count() == 30);
  CHECK(resumed.state(0).step == 30);
  for (int t = 30; t < 60; ++t) {
    grad = gradient(t);
    resumed.step();
  }
  CHECK(p == uninterrupted);
}

TEST_CASE("loading state into a different optimizer is rejected and changes nothing", "[optim]") {
  Eigen::VectorXd p = Eigen::VectorXd::Ones(4), g = Eigen::VectorXd::Ones(4);
  const std::string bytes = adam_state_after_one_step();

  Eigen::VectorXd q = Eigen::VectorXd::Ones(5), gq = Eigen::VectorXd::Ones(5);
  mlprim::Adam<double> other_shape;
  other_shape.add_param(q, gq);
  std::stringstream in1(bytes);
  CHECK(mlprim::test::exception_message<std::runtime_error>([&] { other_shape.load(in1); }) ==
        "mlprim::Adam::load: a parameter in the stream is 4 x 1, the registered one is 5 x 1");
  CHECK(other_shape.step_count() == 0);

  mlprim::SGD<double> sgd;
  sgd.add_param(p, g);
  std::stringstream in2(bytes);
  CHECK(mlprim::test::exception_message<std::runtime_error>([&] { sgd.load(in2); }) ==
        "mlprim::SGD::load: the stream holds Adam state, not SGD");

  mlprim::AdamOptions amsgrad;
  amsgrad.amsgrad = true;
  mlprim::Adam<double> with_amsgrad(amsgrad);
  with_amsgrad.add_param(p, g);
  std::stringstream in3(bytes);
  CHECK_THROWS_AS(with_amsgrad.load(in3), std::runtime_error);

  for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
    mlprim::Adam<double> fresh;
    fresh.add_param(p, g);
    std::stringstream truncated(bytes.substr(0, cut));
    CHECK_THROWS_AS(fresh.load(truncated), std::runtime_error);
    CHECK(fresh.step_count() == 0);
  }
}

TEST_CASE("optimizers reject bad hyper-parameters with the argument and value", "[optim]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  mlprim::AdamOptions adam;
  adam.lr = -0.1;
  CHECK(invalid_argument_message([&] { mlprim::Adam<float> opt(adam); }) ==
        "mlprim::Adam: lr = -0.1 must be non-negative");
  adam.lr = nan;
  CHECK(invalid_argument_message([&] { mlprim::Adam<float> opt(adam); }) ==
        "mlprim::Adam: lr = nan must be non-negative");
  adam = {};
  adam.betas = {0.9, 1.0};
  CHECK(invalid_argument_message([&] { mlprim::Adam<float> opt(adam); }) ==
        "mlprim::Adam: betas[1] = 1 must be in [0, 1)");
  adam = {};
  adam.eps = 0;
  CHECK(invalid_argument_message([&] { mlprim::Adam<float> opt(adam); }) ==
        "mlprim::Adam: eps = 0 must be positive");
  mlprim::SGDOptions sgd;
  sgd.nesterov = true;
  CHECK(invalid_argument_message([&] { mlprim::SGD<double> opt(sgd); }) ==
        "mlprim::SGD: nesterov = true needs momentum > 0 and dampening = 0 (got momentum = 0, "
        "dampening = 0)");
  mlprim::AdamWOptions adamw;
  adamw.weight_decay = -1;
  CHECK(invalid_argument_message([&] { mlprim::AdamW<double> opt(adamw); }) ==
        "mlprim::AdamW: weight_decay = -1 must be non-negative");
  mlprim::RMSpropOptions rms;
  rms.alpha = 1.5;
  CHECK_THROWS_AS(mlprim::RMSprop<float>(rms), std::invalid_argument);
  mlprim::AdadeltaOptions ada;
  ada.rho = -0.1;
  CHECK_THROWS_AS(mlprim::Adadelta<float>(ada), std::invalid_argument);
  mlprim::LionOptions lion;
  lion.betas = {1.0, 0.99};
  CHECK_THROWS_AS(mlprim::Lion<float>(lion), std::invalid_argument);
  CHECK_THROWS_AS(mlprim::SGD<float>(mlprim::SGDOptions{}, -1), std::invalid_argument);
}

TEST_CASE("gradients may be reassigned, but a resized parameter stops the step", "[optim]") {
  Eigen::VectorXd p = Eigen::VectorXd::Ones(3), g = Eigen::VectorXd::Zero(3);
  mlprim::SGDOptions o;
  o.lr = 1.0;
  mlprim::SGD<double> opt(o);
  opt.add_param(p, g);
  auto compute_gradient = [] { return Eigen::VectorXd::Constant(3, 2.0).eval(); };
  g = compute_gradient();  // move assignment: g's buffer is swapped for the temporary's
  opt.step();
  CHECK(p == Eigen::VectorXd::Constant(3, -1.0));
  Eigen::VectorXd q = Eigen::VectorXd::Ones(2), gq = Eigen::VectorXd::Ones(2);
  opt.add_param(q, gq);
  q.resize(4);
  CHECK(invalid_argument_message([&] { opt.step(); }) ==
        "mlprim::SGD::step: parameter 1 of group 0 was resized from 2 x 1 to 4 x 1");
  CHECK(p == Eigen::VectorXd::Constant(3, -1.0));  // nothing was updated
  CHECK(opt.step_count() == 1);
}

TEST_CASE("bad registrations and rejected changes leave the optimizer as it was", "[optim]") {
  Eigen::VectorXf p = Eigen::VectorXf::Ones(4), g(3), g4 = Eigen::VectorXf::Zero(4);
  mlprim::Adam<float> opt;
  CHECK(invalid_argument_message([&] { opt.add_param(p, g); }) ==
        "mlprim::Adam::add_param: grad shape 3 x 1 does not match param shape 4 x 1");
  opt.add_param(p, g4);
  auto head = p.head(2);
  Eigen::VectorXf g2(2);
  CHECK(invalid_argument_message([&] { opt.add_param(head, g2); }) ==
        "mlprim::Adam::add_param: this parameter's storage is already registered");
  Eigen::MatrixXf m(4, 4), gm(4, 4);
  auto strided = m.row(1);
  Eigen::RowVectorXf gs(4);
  CHECK_THROWS_AS(opt.add_param(strided, gs), std::invalid_argument);
  CHECK_THROWS_AS(opt.add_param(m, gm, 3), std::invalid_argument);
  CHECK(invalid_argument_message([&] { opt.set_lr(-1.0); }) ==
        "mlprim::Adam: lr = -1 must be non-negative");
  CHECK(opt.lr() == 1e-3);
  CHECK(opt.num_params(0) == 1);
}

namespace {

/// Adam state after one step of a 4-element parameter, and the offsets of
/// its fields: magic + version (12), name (8 + 4), step count (8), group
/// count (8), lr (8), parameter count (8), rows (8), cols (8), step (8).
constexpr std::size_t kStepCountAt = 24, kLrAt = 40, kParamStepAt = 72;

template <class V>
std::string patched(std::string bytes, std::size_t at, V value) {
  for (std::size_t b = 0; b < sizeof(V); ++b) {  // little-endian
    unsigned char byte;
    std::memcpy(&byte, reinterpret_cast<const unsigned char*>(&value) + b, 1);
    bytes[at + b] = static_cast<char>(byte);
  }
  return bytes;
}

}  // namespace

TEST_CASE("loading rejects implausible step counts and non-finite learning rates", "[optim]") {
  Eigen::VectorXd p = Eigen::VectorXd::Ones(4), g = Eigen::VectorXd::Ones(4);
  const std::string bytes = adam_state_after_one_step();
  REQUIRE(bytes.substr(12, 8) == std::string("\x04\0\0\0\0\0\0\0", 8));  // the layout above
  auto load_message = [&](const std::string& stream) {
    mlprim::Adam<double> fresh;
    fresh.add_param(p, g);
    std::stringstream in(stream);
    const std::string message =
        mlprim::test::exception_message<std::runtime_error>([&] { fresh.load(in); });
    CHECK(fresh.step_count() == 0);
    return message;
  };
  // Regression: INT64_MAX was accepted and the next step() overflowed.
  const auto huge = std::numeric_limits<std::int64_t>::max();
  CHECK(load_message(patched(bytes, kStepCountAt, huge)) ==
        "mlprim::Adam::load: step count = 9223372036854775807 is outside [0, 2^53] (corrupt "
        "stream?)");
  CHECK(load_message(patched(bytes, kParamStepAt, huge)) ==
        "mlprim::Adam::load: parameter step = 9223372036854775807 is outside [0, 2^53] (corrupt "
        "stream?)");
  CHECK(load_message(patched(bytes, kParamStepAt, std::int64_t{-1})).find("parameter step = -1") !=
        std::string::npos);
  // Regression: a loaded lr = inf was accepted.
  CHECK(load_message(patched(bytes, kLrAt, std::numeric_limits<double>::infinity())) ==
        "mlprim::Adam::load: the stream's lr = inf is invalid (mlprim::Adam: lr = inf must be "
        "finite)");
  // The unpatched stream still loads.
  mlprim::Adam<double> fresh;
  fresh.add_param(p, g);
  std::stringstream in(bytes);
  fresh.load(in);
  CHECK(fresh.step_count() == 1);
}

TEST_CASE("non-finite hyper-parameters are rejected", "[optim]") {
  const double inf = std::numeric_limits<double>::infinity();
  mlprim::AdamOptions adam;
  adam.lr = inf;
  CHECK(invalid_argument_message([&] { mlprim::Adam<float> opt(adam); }) ==
        "mlprim::Adam: lr = inf must be finite");
  mlprim::AdamWOptions adamw;
  adamw.weight_decay = inf;
  CHECK(invalid_argument_message([&] { mlprim::AdamW<float> opt(adamw); }) ==
        "mlprim::AdamW: weight_decay = inf must be finite");
  adam = {};
  adam.eps = inf;
  CHECK_THROWS_AS(mlprim::Adam<float>(adam), std::invalid_argument);
  mlprim::SGDOptions sgd;
  sgd.momentum = inf;
  CHECK_THROWS_AS(mlprim::SGD<float>(sgd), std::invalid_argument);
  mlprim::RMSpropOptions rms;
  rms.momentum = inf;
  CHECK_THROWS_AS(mlprim::RMSprop<float>(rms), std::invalid_argument);
  mlprim::AdagradOptions adagrad;
  adagrad.lr_decay = inf;
  CHECK_THROWS_AS(mlprim::Adagrad<float>(adagrad), std::invalid_argument);
  mlprim::NAdamOptions nadam;
  nadam.momentum_decay = inf;
  CHECK_THROWS_AS(mlprim::NAdam<float>(nadam), std::invalid_argument);
  mlprim::Adam<float> ok;
  CHECK(invalid_argument_message([&] { ok.set_lr(inf); }) ==
        "mlprim::Adam: lr = inf must be finite");
  CHECK(invalid_argument_message([&] {
          float x = 0, dx = 0;
          mlprim::adamw_update(&x, &dx, &x, &x, static_cast<float*>(nullptr), 1,
                               mlprim::AdamWOptions{}, 1, -4);
        }) == "mlprim::adamw_update: num_threads = -4 must be >= 0 (0 means all threads)");
}

TEST_CASE("a step rejected by the rule changes no parameter and no step count", "[optim]") {
  // Regression: RMSprop with momentum switched on after the first step threw
  // after advancing parameter 0's step count (and before parameter 1's).
  Eigen::VectorXd a = Eigen::VectorXd::Ones(3), ga = Eigen::VectorXd::Ones(3);
  Eigen::VectorXd b = Eigen::VectorXd::Ones(2), gb = Eigen::VectorXd::Ones(2);
  mlprim::RMSprop<double> opt;
  opt.add_param(a, ga);
  opt.add_param(b, gb);
  opt.step();
  const Eigen::VectorXd a_before = a, b_before = b;
  mlprim::RMSpropOptions with_momentum;
  with_momentum.momentum = 0.9;
  opt.set_options(with_momentum);
  CHECK(invalid_argument_message([&] { opt.step(); }) ==
        "mlprim::RMSprop: momentum or centered changed after the first step");
  CHECK(opt.state(0).step == 1);
  CHECK(opt.state(1).step == 1);
  CHECK(opt.step_count() == 1);
  CHECK(a == a_before);
  CHECK(b == b_before);
}
