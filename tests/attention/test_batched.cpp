// Batched [batch, seq, heads, dim] entry points against the one-head
// functions applied by hand to each head's copied slice: fixed and packed
// variable lengths, grouped- and multi-query heads (the key/value gradients
// summed over each group), per-head ALiBi slopes and sinks, any thread count.
#include <mlprim/attention.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;

struct Case {
  std::string name;
  mlprim::AttentionShape shape;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  mlprim::AttentionShape s;
  s.batch = 3;
  s.seq_q = 10;
  s.seq_k = 13;
  s.heads_q = 4;
  s.heads_kv = 2;
  s.dim = 8;
  s.dim_v = 5;
  out.push_back({"fixed lengths, GQA", s});
  s.heads_kv = 1;
  out.push_back({"fixed lengths, MQA", s});
  s.heads_kv = 4;
  s.seq_k = 0;
  out.push_back({"self-attention, MHA", s});
  s.heads_kv = 2;
  s.cu_seqlens_q = {0, 5, 5, 17};
  s.cu_seqlens_k = {0, 7, 9, 30};
  out.push_back({"varlen, GQA", s});
  s.cu_seqlens_k.clear();
  out.push_back({"varlen self-attention", s});
  return out;
}

/// Copies head h of sequence b out of a [total, heads, width] buffer.
RowMatrix<double> head(const std::vector<double>& buffer, const std::vector<Index>& offsets,
                       Index b, Index h, Index heads, Index width) {
  const Index len = offsets[b + 1] - offsets[b];
  RowMatrix<double> m(len, width);
  for (Index t = 0; t < len; ++t)
    for (Index c = 0; c < width; ++c)
      m(t, c) = buffer[static_cast<std::size_t>(((offsets[b] + t) * heads + h) * width + c)];
  return m;
}

std::vector<double> random_buffer(Index size, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  std::vector<double> x(static_cast<std::size_t>(size));
  for (auto& value : x) value = rng.normal();
  return x;
}

std::vector<Index> offsets_of(const std::vector<Index>& cu, Index batch, Index len) {
  if (!cu.empty()) return cu;
  std::vector<Index> o;
  for (Index b = 0; b <= batch; ++b) o.push_back(b * len);
  return o;
}

void require_equal(const RowMatrix<double>& got, const RowMatrix<double>& want) {
  REQUIRE(got.rows() == want.rows());
  REQUIRE(got.cols() == want.cols());
  for (Index i = 0; i < got.size(); ++i)
    REQUIRE(got.data()[i] == Approx(want.data()[i]).margin(1e-13).epsilon(1e-12));
}

}  // namespace

TEST_CASE("batched attention equals the one-head functions on every head", "[attention][batched]") {
  for (const auto& c : cases()) {
    INFO(c.name);
    const auto& s = c.shape;
    const Index hkv = s.heads_kv == 0 ? s.heads_q : s.heads_kv, group = s.heads_q / hkv,
                dv = s.dim_v;
    const auto oq = offsets_of(s.cu_seqlens_q, s.batch, s.seq_q);
    const auto ok = s.cu_seqlens_q.empty() || !s.cu_seqlens_k.empty()
                        ? offsets_of(s.cu_seqlens_k, s.batch, s.seq_k == 0 ? s.seq_q : s.seq_k)
                        : oq;
    const Index tq = oq.back(), tk = ok.back();
    const auto q = random_buffer(tq * s.heads_q * s.dim, 1), k = random_buffer(tk * hkv * s.dim, 2);
    const auto v = random_buffer(tk * hkv * dv, 3), w = random_buffer(tq * s.heads_q * dv, 4);
    mlprim::BatchedAttentionOptions o;
    o.causal = true;
    o.window_left = 6;
    o.alibi_slopes = mlprim::alibi_slopes(s.heads_q);
    o.sinks = {0.5, -1.0, 2.0, 0.0};
    for (int threads : {1, 2}) {
      INFO(threads << " threads");
      o.num_threads = threads;
      std::vector<double> ref(static_cast<std::size_t>(tq * s.heads_q * dv)), out(ref.size());
      std::vector<double> dq(q.size()), dk(k.size()), dvv(v.size());
      mlprim::scaled_dot_product_attention(q.data(), k.data(), v.data(), ref.data(), s, o);
      const auto forward = mlprim::flash_attention(q.data(), k.data(), v.data(), out.data(), s, o);
      REQUIRE(forward.lse.rows() == tq);
      REQUIRE(forward.lse.cols() == s.heads_q);
      const std::vector<double> lse(forward.lse.data(), forward.lse.data() + forward.lse.size());
      mlprim::flash_attention_backward(q.data(), k.data(), v.data(), out.data(), w.data(),
                                       forward.lse, dq.data(), dk.data(), dvv.data(), s, o);
      mlprim::LinearAttentionOptions lo;
      lo.chunk = 4;
      lo.num_threads = threads;
      std::vector<double> lin(ref.size()), ldq(q.size()), ldk(k.size()), ldv(v.size()),
          rel(ref.size()), mix(ref.size());
      mlprim::linear_attention(q.data(), k.data(), v.data(), lin.data(), s, mlprim::EluPlusOne{},
                               lo);
      mlprim::linear_attention_backward(q.data(), k.data(), v.data(), w.data(), ldq.data(),
                                        ldk.data(), ldv.data(), s, mlprim::EluPlusOne{}, lo);
      mlprim::Relu2AttentionOptions ro;
      ro.causal = true;
      ro.window_left = 6;
      ro.num_threads = threads;
      mlprim::relu2_attention(q.data(), k.data(), v.data(), rel.data(), s, ro);
      const bool square = oq == ok;
      mlprim::MixedChunkOptions mo;
      mo.chunk = 3;
      mo.num_threads = threads;
      if (square) mlprim::mixed_chunk_attention(q.data(), k.data(), v.data(), mix.data(), s, mo);
      for (Index b = 0; b < s.batch; ++b)
        for (Index hk = 0; hk < hkv; ++hk) {
          const auto kh = head(k, ok, b, hk, hkv, s.dim), vh = head(v, ok, b, hk, hkv, dv);
          RowMatrix<double> dk_sum = RowMatrix<double>::Zero(kh.rows(), s.dim),
                            dv_sum = RowMatrix<double>::Zero(kh.rows(), dv);
          RowMatrix<double> ldk_sum = dk_sum, ldv_sum = dv_sum;
          for (Index h = hk * group; h < (hk + 1) * group; ++h) {
            INFO("sequence " << b << " head " << h);
            const auto qh = head(q, oq, b, h, s.heads_q, s.dim),
                       wh = head(w, oq, b, h, s.heads_q, dv);
            mlprim::AttentionOptions one = o;
            one.alibi_slope = o.alibi_slopes[static_cast<std::size_t>(h)];
            one.sink = o.sinks[static_cast<std::size_t>(h)];
            require_equal(head(ref, oq, b, h, s.heads_q, dv),
                          mlprim::scaled_dot_product_attention(qh, kh, vh, one));
            const auto f = mlprim::flash_attention(qh, kh, vh, one);
            require_equal(head(out, oq, b, h, s.heads_q, dv), f.out);
            require_equal(head(lse, oq, b, h, s.heads_q, 1), f.lse);
            const auto g = mlprim::flash_attention_backward(qh, kh, vh, f.out, wh, f.lse, one);
            require_equal(head(dq, oq, b, h, s.heads_q, s.dim), g.dQ);
            dk_sum += g.dK;
            dv_sum += g.dV;
            require_equal(head(lin, oq, b, h, s.heads_q, dv),
                          mlprim::linear_attention(qh, kh, vh, mlprim::EluPlusOne{}, lo));
            const auto lg =
                mlprim::linear_attention_backward(qh, kh, vh, wh, mlprim::EluPlusOne{}, lo);
            require_equal(head(ldq, oq, b, h, s.heads_q, s.dim), lg.dQ);
            ldk_sum += lg.dK;
            ldv_sum += lg.dV;
            require_equal(head(rel, oq, b, h, s.heads_q, dv),
                          mlprim::relu2_attention(qh, kh, vh, ro));
            if (square)
              require_equal(head(mix, oq, b, h, s.heads_q, dv),
                            mlprim::mixed_chunk_attention(qh, kh, vh, mo));
          }
          require_equal(head(dk, ok, b, hk, hkv, s.dim), dk_sum);
          require_equal(head(dvv, ok, b, hk, hkv, dv), dv_sum);
          require_equal(head(ldk, ok, b, hk, hkv, s.dim), ldk_sum);
          require_equal(head(ldv, ok, b, hk, hkv, dv), ldv_sum);
        }
    }
  }
}

TEST_CASE("batched attention rejects bad shapes", "[attention][batched]") {
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  std::vector<double> x(1000), out(1000);
  mlprim::AttentionShape s;
  s.seq_q = 4;
  s.dim = 2;
  s.heads_q = 6;
  s.heads_kv = 4;
  auto run = [&] { mlprim::flash_attention(x.data(), x.data(), x.data(), out.data(), s); };
  CHECK(message(run) == "mlprim::flash_attention: heads_q = 6 is not a multiple of heads_kv = 4");
  s.heads_kv = 3;
  s.cu_seqlens_q = {0, 3};
  s.batch = 2;
  CHECK(message(run) == "mlprim::flash_attention: cu_seqlens_q has 2 entries, batch + 1 = 3");
  s.cu_seqlens_q = {0, 3, 2};
  CHECK(message(run) ==
        "mlprim::flash_attention: cu_seqlens_q[2] = 2 is less than the entry before, 3");
  s.cu_seqlens_q = {1, 3, 4};
  CHECK(message(run) == "mlprim::flash_attention: cu_seqlens_q[0] = 1 must be 0");
  s.cu_seqlens_q.clear();
  mlprim::BatchedAttentionOptions o;
  o.sinks = {1.0};
  CHECK(message([&] {
          mlprim::scaled_dot_product_attention(x.data(), x.data(), x.data(), out.data(), s, o);
        }) == "mlprim::scaled_dot_product_attention: sinks has 1 entries, heads_q = 6");
}

TEST_CASE("batched calls reject null buffers and bad thread counts in their own name",
          "[attention][batched]") {
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  mlprim::AttentionShape s;
  s.batch = 2;
  s.seq_q = 5;
  s.dim = 4;
  s.heads_q = 2;
  const std::size_t size = 2 * 5 * 2 * 4;
  std::vector<float> x(size, 0.5f), out(size), g(size);
  const RowMatrix<float> short_lse = RowMatrix<float>::Zero(9, 2);
  CHECK(message([&] {
          mlprim::flash_attention_backward(x.data(), x.data(), x.data(), out.data(), x.data(),
                                           short_lse, g.data(), g.data(), g.data(), s);
        }) ==
        "mlprim::flash_attention_backward: lse is 9 x 2, the forward's 10 x 2 (total_q x heads_q)");
  CHECK(message([&] {
          mlprim::flash_attention(x.data(), static_cast<const float*>(nullptr), x.data(),
                                  out.data(), s);
        }) == "mlprim::flash_attention: k = null, but the layout gives it 10 x 2 x 4 values");
  mlprim::LinearAttentionOptions negative;
  negative.num_threads = -1;
  CHECK(message([&] {
          mlprim::linear_attention(x.data(), x.data(), x.data(), out.data(), s,
                                   mlprim::ReluFeatures{}, negative);
        }) == "mlprim::linear_attention: num_threads = -1 must be >= 0 (0 means all threads)");
  CHECK(message([&] {
          mlprim::relu2_attention(x.data(), x.data(), x.data(), static_cast<float*>(nullptr), s);
        }) == "mlprim::relu2_attention: out = null, but the layout gives it 10 x 2 x 4 values");
}
