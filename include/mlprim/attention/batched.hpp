// Every batched [batch, seq, heads, dim] entry point: the layout is in
// attention/shape.hpp, and each kernel's batched form is declared beside its
// one-head form (reference.hpp, flash.hpp, relu2.hpp, linear.hpp); this
// header gathers them for code that includes it by name.
#ifndef MLPRIM_ATTENTION_BATCHED_HPP
#define MLPRIM_ATTENTION_BATCHED_HPP

#include "mlprim/attention/flash.hpp"
#include "mlprim/attention/linear.hpp"
#include "mlprim/attention/reference.hpp"
#include "mlprim/attention/relu2.hpp"
#include "mlprim/attention/shape.hpp"

#endif  // MLPRIM_ATTENTION_BATCHED_HPP
