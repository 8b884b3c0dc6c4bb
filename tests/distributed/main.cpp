// The distributed tests' main(): MPI around a Catch2 session. Every rank
// runs every test case in the same order (their collectives must pair up).
#if defined(MLPRIM_CATCH3)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include <cstdint>
#include <memory>

#include "world.hpp"

namespace {
std::unique_ptr<mlprim::MpiCommunicator> the_world;
}

mlprim::MpiCommunicator& mlprim::test::world() { return *the_world; }

int main(int argc, char** argv) {
  mlprim::MpiEnvironment mpi(argc, argv);
  the_world = std::make_unique<mlprim::MpiCommunicator>();
  const int failed = Catch::Session().run(argc, argv);
  // A rank whose checks failed must fail the run on every rank's exit code
  // (mpiexec reports the first non-zero one).
  std::int64_t any = failed != 0;
  the_world->all_reduce_max(&any, 1);
  the_world.reset();
  return any != 0 ? 1 : 0;
}
