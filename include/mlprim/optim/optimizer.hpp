// Optimizer<T, Rule>: the parameter registry, parameter groups and state that
// every update rule shares, in the manner of torch.optim.Optimizer.
//
//   Eigen::VectorXf w = ..., dw(w.size());
//   mlprim::AdamW<float> opt({/*lr=*/1e-3});
//   opt.add_param(w, dw);        // remembers the storage of w and dw
//   for (...) { compute dw; opt.step(); }
//
// A Rule supplies the update (see sgd.hpp and its siblings):
//   using Options = ...;                       hyper-parameters, PyTorch's names
//   static constexpr const char* name;         for messages and saved state
//   static void validate(const Options&);      throws std::invalid_argument
//   static void init_state(const Options&, ParamState<T>&, Index n);
//   static void update(const Options&, ParamState<T>&, T* param, const T* grad,
//                      Index n, int num_threads);   state.step already counts this step
// and optionally
//   static void check_state(const Options&, const ParamState<T>&);
//                      throws std::invalid_argument when the options no longer fit
//                      the state (called for every parameter before a step changes any)
#ifndef MLPRIM_OPTIM_OPTIMIZER_HPP
#define MLPRIM_OPTIM_OPTIMIZER_HPP

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/optim/detail/binding.hpp"

namespace mlprim {

/// Per-parameter optimizer state, as in PyTorch's optimizer.state[p].
template <class T>
struct ParamState {
  /// Steps applied to this parameter (PyTorch's state["step"]).
  std::int64_t step = 0;
  /// The rule's per-element buffers (exp_avg, exp_avg_sq, momentum_buffer, ...),
  /// each the size of the parameter, in the order the rule documents.
  std::vector<Vector<T>> buffers;
  /// The rule's per-parameter scalars (NAdam's mu_product).
  std::vector<double> scalars;
  /// False until the first step creates the buffers (PyTorch's lazy state).
  bool initialized = false;
};

namespace detail {

/// True for rules with a check_state(options, state) hook.
template <class Rule, class T, class = void>
struct has_check_state : std::false_type {};
template <class Rule, class T>
struct has_check_state<
    Rule, T,
    std::void_t<decltype(Rule::check_state(std::declval<const typename Rule::Options&>(),
                                           std::declval<const ParamState<T>&>()))>>
    : std::true_type {};

/// Step counts above 2^53 cannot all be told apart in the double arithmetic
/// of the bias corrections (and a count near 2^63 would overflow at the next
/// step): a loaded count beyond it is corruption.
inline constexpr std::int64_t max_step_count = std::int64_t{1} << 53;

/// Gives `state` `count` zero-filled buffers of n elements.
template <class T>
void zero_buffers(ParamState<T>& state, std::size_t count, Index n) {
  state.buffers.assign(count, Vector<T>::Zero(n));
}

}  // namespace detail

/// A torch.optim-style optimizer: parameter groups with their own options,
/// per-parameter state, step(), save() and load(), applying the update Rule
/// (see the header comment). Use the aliases (Adam<T>, SGD<T>, ...).
template <class T, class Rule>
class Optimizer {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "mlprim optimizers update float or double parameters; for half precision "
                "use MasterWeights");

 public:
  /// The parameters' scalar type (float or double).
  using Scalar = T;
  /// The rule's hyper-parameters (AdamOptions, SGDOptions, ...).
  using Options = typename Rule::Options;

  /// Group 0 gets `defaults`. `num_threads` splits large buffers (0 = all).
  explicit Optimizer(const Options& defaults = Options{}, int num_threads = 0)
      : num_threads_(num_threads) {
    Rule::validate(defaults);
    check_non_negative(Rule::name, "num_threads", num_threads);
    groups_.push_back(Group{defaults, defaults.lr, {}});
  }

  /// Adds a parameter group with its own options; returns its index.
  Index add_group(const Options& options) {
    Rule::validate(options);
    groups_.push_back(Group{options, options.lr, {}});
    return static_cast<Index>(groups_.size()) - 1;
  }

  /// Registers a (parameter, gradient) pair in `group`. Both must be contiguous
  /// Eigen objects of the optimizer's scalar with the same shape (any vector,
  /// matrix, array or Map without strides). The optimizer keeps a reference to
  /// the objects themselves and reads their storage at every step, so
  /// `grad = compute_gradient();` (a move that swaps buffers) is safe; the
  /// objects must outlive the optimizer, and step() throws if one was resized.
  template <class P, class G>
  void add_param(Eigen::DenseBase<P>& param, Eigen::DenseBase<G>& grad, Index group = 0) {
    static_assert(std::is_same_v<typename P::Scalar, T> && std::is_same_v<typename G::Scalar, T>,
                  "mlprim::Optimizer::add_param: parameter and gradient must have the "
                  "optimizer's scalar type");
    static_assert(bool(Eigen::internal::traits<P>::Flags & Eigen::DirectAccessBit) &&
                      bool(Eigen::internal::traits<G>::Flags & Eigen::DirectAccessBit),
                  "mlprim::Optimizer::add_param: parameter and gradient need direct storage");
    const std::string fn = qualified("add_param");
    check_group(fn, group);
    detail::require_contiguous(fn, "param", param.derived());
    detail::require_contiguous(fn, "grad", grad.derived());
    if (param.rows() != grad.rows() || param.cols() != grad.cols())
      throw_invalid_argument(fn, "grad shape ", grad.rows(), " x ", grad.cols(),
                             " does not match param shape ", param.rows(), " x ", param.cols());
    for (const Group& g : groups_)
      for (const Slot& s : g.slots)
        if (overlaps(s.param.data(), s.rows * s.cols, param.derived().data(), param.size()))
          throw_invalid_argument(fn, "this parameter's storage is already registered");
    groups_[static_cast<std::size_t>(group)].slots.push_back(
        Slot{Binding(param.derived()), Binding(grad.derived()), param.rows(), param.cols(), {}});
  }

  /// One update of every registered parameter from its current gradient.
  /// Throws std::invalid_argument, before changing anything, if a registered
  /// parameter or gradient no longer has its registered shape, or the
  /// rule's options no longer fit a parameter's state (RMSprop's momentum
  /// switched on after the first step).
  void step() {
    const std::string fn = qualified("step");
    for (std::size_t gi = 0; gi < groups_.size(); ++gi)
      for (std::size_t si = 0; si < groups_[gi].slots.size(); ++si) {
        const Slot& s = groups_[gi].slots[si];
        for (const Binding* b : {&s.param, &s.grad})
          if (b->rows() != s.rows || b->cols() != s.cols)
            throw_invalid_argument(fn, b == &s.param ? "parameter " : "gradient of parameter ", si,
                                   " of group ", gi, " was resized from ", s.rows, " x ", s.cols,
                                   " to ", b->rows(), " x ", b->cols());
        if constexpr (detail::has_check_state<Rule, T>::value)
          if (s.state.initialized) Rule::check_state(groups_[gi].options, s.state);
      }
    for (Group& g : groups_) {
      for (Slot& s : g.slots) {
        const Index n = s.rows * s.cols;
        if (!s.state.initialized) {
          Rule::init_state(g.options, s.state, n);
          s.state.initialized = true;
        }
        ++s.state.step;
        Rule::update(g.options, s.state, s.param.data(), s.grad.data(), n, num_threads_);
      }
    }
    ++steps_;
  }

  /// Forgets every registered parameter and its state; groups, options and
  /// the step count stay.
  void clear_params() {
    for (Group& g : groups_) g.slots.clear();
  }

  /// Sets every registered gradient to zero.
  void zero_grad() {
    for (Group& g : groups_)
      for (Slot& s : g.slots) std::fill(s.grad.data(), s.grad.data() + s.grad.size(), T(0));
  }

  /// The learning rate of `group`.
  double lr(Index group = 0) const {
    check_group(qualified("lr"), group);
    return groups_[static_cast<std::size_t>(group)].options.lr;
  }

  /// Changes the learning rate of one group (what LR schedules call).
  void set_lr(double lr, Index group = 0) {
    check_group(qualified("set_lr"), group);
    Options changed = groups_[static_cast<std::size_t>(group)].options;
    changed.lr = lr;
    Rule::validate(changed);
    groups_[static_cast<std::size_t>(group)].options = changed;
  }

  /// The lr the group was created with: what LR schedules scale (PyTorch's
  /// group["initial_lr"]). set_lr() and set_options() leave it unchanged.
  double initial_lr(Index group = 0) const {
    check_group(qualified("initial_lr"), group);
    return groups_[static_cast<std::size_t>(group)].initial_lr;
  }

  /// Every registered gradient, as maps over its current storage (for
  /// clipping and loss scaling), in group then registration order.
  std::vector<Eigen::Map<Vector<T>>> gradients() { return maps_of(&Slot::grad); }

  /// Every registered parameter, as maps over its current storage, in the
  /// order of gradients() (for broadcasting or checkpointing them).
  std::vector<Eigen::Map<Vector<T>>> parameters() { return maps_of(&Slot::param); }

  /// The options of `group`.
  const Options& options(Index group = 0) const {
    check_group(qualified("options"), group);
    return groups_[static_cast<std::size_t>(group)].options;
  }

  /// Replaces the options of `group` (validated first; initial_lr stays).
  void set_options(const Options& options, Index group = 0) {
    check_group(qualified("set_options"), group);
    Rule::validate(options);
    groups_[static_cast<std::size_t>(group)].options = options;
  }

  /// Number of step() calls so far.
  std::int64_t step_count() const { return steps_; }
  /// Parameter groups (at least 1).
  Index num_groups() const { return static_cast<Index>(groups_.size()); }
  /// Parameters registered in `group`.
  Index num_params(Index group) const {
    check_group(qualified("num_params"), group);
    return static_cast<Index>(groups_[static_cast<std::size_t>(group)].slots.size());
  }

  /// State of parameter `index` of `group`, in registration order.
  const ParamState<T>& state(Index index, Index group = 0) const {
    const std::string fn = qualified("state");
    check_group(fn, group);
    const auto& slots = groups_[static_cast<std::size_t>(group)].slots;
    check_in_half_open(fn, "index", index, Index{0}, static_cast<Index>(slots.size()));
    return slots[static_cast<std::size_t>(index)].state;
  }

  /// Threads a step splits large buffers over (0 = all).
  int num_threads() const { return num_threads_; }
  /// Changes num_threads(); negative throws.
  void set_num_threads(int num_threads) {
    check_non_negative(qualified("set_num_threads"), "num_threads", num_threads);
    num_threads_ = num_threads;
  }

  /// Saves the step count, each group's learning rate and every parameter's
  /// state (not the parameters themselves) in mlprim's versioned format.
  void save(std::ostream& out) const {
    io::BinaryWriter w(out, qualified("save"));
    w.header(magic, format_version);
    w.string(Rule::name);
    w.value(steps_);
    w.size(groups_.size());
    for (const Group& g : groups_) {
      w.value(g.options.lr);
      w.size(g.slots.size());
      for (const Slot& s : g.slots) {
        w.size(s.rows);
        w.size(s.cols);
        w.value(s.state.step);
        w.value(s.state.initialized);
        w.size(s.state.buffers.size());
        for (const Vector<T>& b : s.state.buffers)
          w.array(b.data(), static_cast<std::size_t>(b.size()));
        w.vector(s.state.scalars);
      }
    }
  }

  /// Restores what save() wrote into an optimizer with the same rule, groups
  /// and registered shapes; throws std::runtime_error otherwise, and changes
  /// nothing unless the whole stream is valid.
  void load(std::istream& in) {
    const std::string fn = qualified("load");
    io::BinaryReader r(in, fn);
    r.header(magic, format_version);
    const std::string rule = r.string("optimizer name", 64);
    if (rule != Rule::name)
      throw_runtime_error(fn, "the stream holds ", rule, " state, not ", Rule::name);
    const auto steps = read_step_count(r, fn, "step count");
    const auto num_groups = r.size("group count", std::numeric_limits<std::uint64_t>::max());
    if (num_groups != groups_.size())
      throw_runtime_error(fn, "the stream has ", num_groups, " parameter groups, this optimizer ",
                          groups_.size());
    std::vector<double> lrs;
    std::vector<std::vector<ParamState<T>>> states;
    for (const Group& g : groups_) {
      lrs.push_back(r.value<double>("lr"));
      Options with_lr = g.options;
      with_lr.lr = lrs.back();
      try {
        Rule::validate(with_lr);
      } catch (const std::invalid_argument& e) {
        throw_runtime_error(fn, "the stream's lr = ", with_lr.lr, " is invalid (", e.what(), ")");
      }
      const auto num_slots = r.size("parameter count", std::numeric_limits<std::uint64_t>::max());
      if (num_slots != g.slots.size())
        throw_runtime_error(fn, "a group in the stream has ", num_slots,
                            " parameters, this optimizer's has ", g.slots.size());
      states.emplace_back();
      for (const Slot& s : g.slots) states.back().push_back(read_state(r, fn, with_lr, s));
    }
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      groups_[gi].options.lr = lrs[gi];
      for (std::size_t si = 0; si < groups_[gi].slots.size(); ++si)
        groups_[gi].slots[si].state = std::move(states[gi][si]);
    }
    steps_ = steps;
  }

 private:
  static constexpr const char* magic = "MLPOPTIM";
  static constexpr std::uint32_t format_version = 1;

  using Binding = detail::EigenBinding<T>;

  struct Slot {
    Binding param;
    Binding grad;
    Index rows, cols;  ///< the shape at registration
    ParamState<T> state;
  };
  struct Group {
    Options options;
    double initial_lr;
    std::vector<Slot> slots;
  };

  /// One binding of every slot (its parameter or its gradient), as maps.
  template <class Member>
  std::vector<Eigen::Map<Vector<T>>> maps_of(Member member) {
    std::vector<Eigen::Map<Vector<T>>> out;
    for (Group& g : groups_)
      for (Slot& s : g.slots) out.emplace_back((s.*member).data(), (s.*member).size());
    return out;
  }

  static std::string qualified(std::string_view method) {
    return std::string(Rule::name) + "::" + std::string(method);
  }

  void check_group(std::string_view fn, Index group) const {
    check_in_half_open(fn, "group", group, Index{0}, static_cast<Index>(groups_.size()));
  }

  static bool overlaps(const T* a, Index na, const T* b, Index nb) {
    if (na == 0 || nb == 0) return false;
    const auto lo_a = reinterpret_cast<std::uintptr_t>(a),
               lo_b = reinterpret_cast<std::uintptr_t>(b);
    const auto hi_a = lo_a + static_cast<std::uintptr_t>(na) * sizeof(T);
    const auto hi_b = lo_b + static_cast<std::uintptr_t>(nb) * sizeof(T);
    return lo_a < hi_b && lo_b < hi_a;
  }

  /// A step count in [0, 2^53] (see detail::max_step_count).
  static std::int64_t read_step_count(io::BinaryReader& r, const std::string& fn,
                                      const char* field) {
    const auto steps = r.value<std::int64_t>(field);
    if (steps < 0 || steps > detail::max_step_count)
      throw_runtime_error(fn, field, " = ", steps, " is outside [0, 2^53] (corrupt stream?)");
    return steps;
  }

  ParamState<T> read_state(io::BinaryReader& r, const std::string& fn, const Options& options,
                           const Slot& slot) const {
    const auto rows = r.size("rows", std::numeric_limits<std::uint64_t>::max());
    const auto cols = r.size("cols", std::numeric_limits<std::uint64_t>::max());
    if (rows != static_cast<std::uint64_t>(slot.rows) ||
        cols != static_cast<std::uint64_t>(slot.cols))
      throw_runtime_error(fn, "a parameter in the stream is ", rows, " x ", cols,
                          ", the registered one is ", slot.rows, " x ", slot.cols);
    ParamState<T> state;
    state.step = read_step_count(r, fn, "parameter step");
    state.initialized = r.value<bool>("initialized");
    ParamState<T> expected;
    const Index n = slot.rows * slot.cols;
    if (state.initialized) Rule::init_state(options, expected, n);
    const auto num_buffers = r.size("buffer count", expected.buffers.size());
    if (num_buffers != expected.buffers.size())
      throw_runtime_error(fn, "the stream has ", num_buffers, " state buffers per parameter, ",
                          Rule::name, " with these options keeps ", expected.buffers.size());
    for (std::uint64_t b = 0; b < num_buffers; ++b) {
      Vector<T> buffer(n);
      r.array(buffer.data(), static_cast<std::size_t>(n), "state buffer");
      state.buffers.push_back(std::move(buffer));
    }
    state.scalars = r.vector<double>("state scalars", expected.scalars.size());
    if (state.scalars.size() != expected.scalars.size())
      throw_runtime_error(fn, "the stream has ", state.scalars.size(),
                          " state scalars per parameter, expected ", expected.scalars.size());
    return state;
  }

  std::vector<Group> groups_;
  std::int64_t steps_ = 0;
  int num_threads_;
};

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_OPTIMIZER_HPP
