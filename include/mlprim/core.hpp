// mlprim core: the basics every module stands on — matrix aliases, errors,
// checked buffer sizes, parallel loops (and prefetch hints), seeded random
// numbers and versioned binary streams.
#ifndef MLPRIM_CORE_HPP
#define MLPRIM_CORE_HPP

#include "mlprim/version.hpp"
#include "mlprim/core/config.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/memory.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/prefetch.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/view.hpp"

#endif  // MLPRIM_CORE_HPP
