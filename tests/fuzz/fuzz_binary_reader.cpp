// libFuzzer target: io::BinaryReader driven by an op script.
//
// Input: byte 0 picks the stream (bit 0 set: unseekable, like a pipe), byte 1
// is the script length L, bytes 2 .. 2 + L the script, the rest the stream.
// Each script byte is one read: the low 4 bits choose it, the high 4 bits p
// give its limit 16^p (p = 15: no limit). Corrupt input may only throw
// std::runtime_error; every result must respect the limits it was read
// with; memory must grow only with bytes that arrived (run with a small
// -malloc_limit_mb).
#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz_targets.hpp"
#include "test_util.hpp"

namespace {

std::uint64_t limit(unsigned p) {
  return p >= 15 ? std::numeric_limits<std::uint64_t>::max() : std::uint64_t{1} << (4 * p);
}

void run_script(mlprim::io::BinaryReader& r, const std::string& script, std::size_t stream_bytes) {
  using mlprim::fuzz::require;
  for (const char c : script) {
    const unsigned byte = static_cast<unsigned char>(c), op = byte & 15u, p = byte >> 4u;
    const std::uint64_t max = limit(p);
    switch (op) {
      case 0:
        require(r.header(mlprim::fuzz::reader_magic, 1 + p) <= 1 + p, "header version in range");
        break;
      case 1:
        r.value<std::uint8_t>("u8");
        break;
      case 2:
        r.value<std::int32_t>("i32");
        break;
      case 3:
        r.value<std::uint64_t>("u64");
        break;
      case 4:
        r.value<float>("f32");
        break;
      case 5:
        r.value<double>("f64");
        break;
      case 6:
        r.value<bool>("flag");
        break;
      case 7:
        r.value<Eigen::half>("half");
        break;
      case 8:
        require(r.size("size", max) <= max, "size within its limit");
        break;
      case 9:
        require(r.vector<float>("floats", max).size() <= max, "vector within its limit");
        break;
      case 10: {
        const auto v = r.vector<double>("doubles", max);
        require(v.size() <= max && v.size() * 8 <= stream_bytes, "vector within the stream");
        break;
      }
      case 11:
        require(r.string("string", max).size() <= max, "string within its limit");
        break;
      case 12: {
        const auto m = r.matrix<float>("matrix", max, max);
        require(static_cast<std::uint64_t>(m.rows()) <= max &&
                    static_cast<std::uint64_t>(m.cols()) <= max,
                "matrix within its limits");
        require(static_cast<std::uint64_t>(m.size()) * 4 <= stream_bytes,
                "matrix within the stream");
        break;
      }
      case 13: {
        const auto m = r.matrix<double>("tall", max, std::numeric_limits<std::uint64_t>::max());
        require(static_cast<std::uint64_t>(m.rows()) <= max && m.cols() >= 0, "tall matrix");
        break;
      }
      case 14: {
        const auto m =
            r.matrix<std::int32_t>("wide", std::numeric_limits<std::uint64_t>::max(), max);
        require(static_cast<std::uint64_t>(m.cols()) <= max && m.rows() >= 0, "wide matrix");
        break;
      }
      default:
        require(r.remaining_bytes() <= static_cast<std::int64_t>(stream_bytes), "bytes left");
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool pipe = (data[0] & 1) != 0;
  const std::size_t script_length = std::min<std::size_t>(data[1], size - 2);
  const std::string script(reinterpret_cast<const char*>(data) + 2, script_length);
  const std::string stream(reinterpret_cast<const char*>(data) + 2 + script_length,
                           size - 2 - script_length);
  std::istringstream seekable(stream);
  mlprim::test::PipeBuffer buffer(stream);
  std::istream unseekable(&buffer);
  mlprim::io::BinaryReader reader(pipe ? unseekable : static_cast<std::istream&>(seekable),
                                  "fuzz::load");
  try {
    run_script(reader, script, stream.size());
  } catch (const std::runtime_error&) {
    // corrupt or truncated input: the one permitted outcome besides success
  }
  return 0;
}
