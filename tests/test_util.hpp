// Small helpers shared by the test programs.
#ifndef MLPRIM_TESTS_TEST_UTIL_HPP
#define MLPRIM_TESTS_TEST_UTIL_HPP

#include <streambuf>
#include <string>
#include <utility>

namespace mlprim::test {

/// The what() of the `Exception` that fn() throws, or a marker string when it
/// throws nothing (so a CHECK on the message fails with a readable value).
template <class Exception, class Fn>
std::string exception_message(Fn&& fn) {
  try {
    fn();
  } catch (const Exception& e) {
    return e.what();
  }
  return "<nothing thrown>";
}

/// An input stream buffer over a string that cannot seek or tell (like a
/// pipe): loaders must work, and stay bounded, without measuring the stream.
class PipeBuffer : public std::streambuf {
 public:
  explicit PipeBuffer(std::string data) : data_(std::move(data)) {
    char* begin = data_.data();
    setg(begin, begin, begin + data_.size());
  }

 protected:
  pos_type seekoff(off_type, std::ios_base::seekdir, std::ios_base::openmode) override {
    return pos_type(off_type(-1));
  }
  pos_type seekpos(pos_type, std::ios_base::openmode) override { return pos_type(off_type(-1)); }

 private:
  std::string data_;
};

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_TEST_UTIL_HPP
