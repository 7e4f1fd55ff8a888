// hashwatch-worker: the process IsolatedHasher starts to hash files away from
// the scan (hashwatch/isolated_hasher.h). Not for staff: `hashwatch scan
// --isolate` starts it and talks to it over its standard input and output.
#include "hashwatch/isolated_hasher.h"

int main(int argc, char** argv) {
  return hashwatch::RunHashWorker(argc, argv);
}
