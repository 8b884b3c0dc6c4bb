// The ceiling of the fused optimizer steps: an elementwise pass with exactly
// a step's memory traffic and trivial arithmetic. A step reads the parameter,
// the gradient and its k state buffers and writes back the parameter and the
// state, so the pass below does the same (k = 2: Adam and AdamW, 7 buffer
// passes per element; k = 1: SGD with momentum and Lion, 5), split over the
// same threads and chunks as the steps (detail::for_each_chunk). Unlike the
// STREAM triad it counts the real traffic pattern: no buffer is write-only,
// so there is no write-allocate traffic to leave out.
#ifndef MLPRIM_BENCH_COMMON_TRAFFIC_HPP
#define MLPRIM_BENCH_COMMON_TRAFFIC_HPP

#include <Eigen/Core>

#include <mlprim/optim/detail/blocks.hpp>

namespace mlprim::bench {

/// p += s1 + s2 with s1 = 0.9 s1 + g and s2 = 0.99 s2 + g (s2 may be null:
/// the 5-pass pattern), over n elements on `threads` threads, chunk by chunk
/// as the steps go (detail::for_each_chunk).
inline void same_traffic_step(float* p, const float* g, float* s1, float* s2, Index n,
                              int threads) {
  mlprim::detail::for_each_chunk<float>("same_traffic_step", n, threads, [&](Index at, auto len) {
    using Chunk = mlprim::detail::ChunkArray<float, decltype(len)>;
    using Map = mlprim::detail::ChunkMap<float, decltype(len)>;
    Map p_out(p + at, len), a_out(s1 + at, len);
    const Chunk g_in = mlprim::detail::ConstChunkMap<float, decltype(len)>(g + at, len);
    const Chunk a = 0.9f * Chunk(a_out) + g_in;  // locals, as the fused steps keep them
    a_out = a;
    if (s2 == nullptr) {
      p_out = Chunk(p_out) + a;
      return;
    }
    Map b_out(s2 + at, len);
    const Chunk b = 0.99f * Chunk(b_out) + g_in;
    b_out = b;
    p_out = Chunk(p_out) + a + b;
  });
}

}  // namespace mlprim::bench

#endif  // MLPRIM_BENCH_COMMON_TRAFFIC_HPP
