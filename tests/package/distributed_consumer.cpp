// Built only where the package has mlprim::distributed: MPI comes with it.
#include <mlprim/distributed.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  mlprim::MpiEnvironment mpi(argc, argv);
  mlprim::MpiCommunicator comm;
  double x = 2.5;
  comm.all_reduce_sum(&x, 1);
  const bool ok = x == 2.5 * comm.size();
  std::printf("distributed consumer: %d rank(s), %s\n", comm.size(), ok ? "ok" : "wrong sum");
  return ok ? 0 : 1;
}
