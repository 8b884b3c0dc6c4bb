// libFuzzer target: Optimizer::load for every rule. Byte 0 picks the rule
// (byte % 10, see fuzz_targets.hpp) and the scalar (float when byte / 10 is
// even), the rest is the stream, loaded into an optimizer holding two
// parameters (3 and 2 x 2). State that loads must take a step without
// undefined behaviour, and save and load again to the same bytes. Corrupt
// input may only throw std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz_targets.hpp"

namespace {

template <class T>
void run(std::uint8_t variant, const std::string& stream) {
  mlprim::fuzz::OptimizerParams<T> params;
  mlprim::fuzz::with_optimizer<T>(variant, [&](auto& opt) {
    opt.add_param(params.a, params.ga);
    opt.add_param(params.b, params.gb);
    std::istringstream in(stream);
    try {
      opt.load(in);
    } catch (const std::runtime_error&) {
      return;
    }
    // Two more steps, unless they would pass the loader's bound on step
    // counts (2^53): then what save() writes could not be loaded again.
    bool room = opt.step_count() <= mlprim::detail::max_step_count - 2;
    for (mlprim::Index i = 0; i < opt.num_params(0); ++i)
      room = room && opt.state(i).step <= mlprim::detail::max_step_count - 2;
    if (room) {
      opt.step();
      opt.step();
    }
    std::stringstream second;
    opt.save(second);
    using Opt = std::decay_t<decltype(opt)>;
    Opt copy(opt.options());
    mlprim::fuzz::OptimizerParams<T> other;
    copy.add_param(other.a, other.ga);
    copy.add_param(other.b, other.gb);
    copy.load(second);  // what save() wrote must load
    std::stringstream third;
    copy.save(third);
    mlprim::fuzz::require(third.str() == second.str(), "save, load, save gives the same bytes");
    mlprim::fuzz::require(copy.step_count() == opt.step_count(), "the step count survives");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] / mlprim::fuzz::optimizer_variants) % 2 == 0)
    run<float>(data[0], stream);
  else
    run<double>(data[0], stream);
  return 0;
}
