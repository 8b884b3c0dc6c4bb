// sign(x) over a contiguous range, vectorised through Eigen's packet
// operations: the blends a branchy scalar loop needs are not formed reliably
// by compilers (GCC at -O2 keeps branches, which mispredict on random signs
// and make Lion 15x slower), and Eigen 3.4's select() runs one coefficient
// at a time.
#ifndef MLPRIM_OPTIM_DETAIL_SIGN_HPP
#define MLPRIM_OPTIM_DETAIL_SIGN_HPP

#include <algorithm>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// x[i] = 1 for x[i] > 0, -1 for x[i] < 0, and x[i] * 0 otherwise (so
/// sign(0) = 0, sign(-0) = -0 and NaN stays NaN), for i in [0, n).
template <class T>
void sign_in_place(T* x, Index n) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<T>::type;
  constexpr Index lanes = ei::packet_traits<T>::size;
  const auto sign_of = [](const Packet& c) {
    const Packet zero = ei::pset1<Packet>(T(0));
    const Packet rest =
        ei::pselect(ei::pcmp_lt(c, zero), ei::pset1<Packet>(T(-1)), ei::pmul(c, zero));
    return ei::pselect(ei::pcmp_lt(zero, c), ei::pset1<Packet>(T(1)), rest);
  };
  Index i = 0;
  for (; i + lanes <= n; i += lanes) ei::pstoreu(x + i, sign_of(ei::ploadu<Packet>(x + i)));
  if (i < n) {  // the tail through one padded packet, so every entry takes the same path
    T padded[lanes] = {};
    std::copy(x + i, x + n, padded);
    ei::pstoreu(padded, sign_of(ei::ploadu<Packet>(padded)));
    std::copy(padded, padded + (n - i), x + i);
  }
}

}  // namespace mlprim::detail

#endif  // MLPRIM_OPTIM_DETAIL_SIGN_HPP
