// catalog_example: what a monitoring pipeline does with the hashwatch engine.
// It opens (or creates) a catalog, enrols one known image under a case, then
// checks other images, given as bytes in memory, against it.
//
//   catalog_example CATALOG.db KNOWN.jpg QUERY.jpg...
//
// Exit status: 0 done, 1 an image could not be read, 2 usage or catalog error.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "hashwatch/catalog.h"

namespace {

bool ReadFile(const std::string& path, std::vector<uint8_t>* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes->assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s CATALOG.db KNOWN.jpg QUERY.jpg...\n", argv[0]);
    return 2;
  }
  absl::StatusOr<std::unique_ptr<hashwatch::Catalog>> catalog = hashwatch::Catalog::Open(argv[1]);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", std::string(catalog.status().message()).c_str());
    return 2;
  }
  hashwatch::EnrollRequest request;
  request.case_id = "example-case";
  request.label = "enrolled by catalog_example";
  absl::StatusOr<hashwatch::EnrollResult> enrolled = (*catalog)->EnrollFile(request, argv[2]);
  if (!enrolled.ok()) {
    std::fprintf(stderr, "%s\n", std::string(enrolled.status().message()).c_str());
    return 2;
  }
  std::printf("enrolled %s as item %lld (PDQ quality %d)\n", argv[2],
              static_cast<long long>(enrolled->item), enrolled->quality);

  int status = 0;
  for (int i = 3; i < argc; ++i) {
    std::vector<uint8_t> bytes;
    if (!ReadFile(argv[i], &bytes)) {
      std::fprintf(stderr, "%s: cannot read\n", argv[i]);
      status = 1;
      continue;
    }
    // Crawled bytes straight from memory; MatchBytes is safe to call from
    // many threads while other threads enrol.
    absl::StatusOr<hashwatch::MatchResult> result = (*catalog)->MatchBytes(bytes);
    if (!result.ok()) {
      std::fprintf(stderr, "%s: %s\n", argv[i], std::string(result.status().message()).c_str());
      status = 1;
      continue;
    }
    if (result->low_quality) {
      std::printf("%s: low quality (%d), not matched\n", argv[i], result->quality);
    } else if (result->matches.empty()) {
      std::printf("%s: no match\n", argv[i]);
    }
    for (const hashwatch::Match& m : result->matches) {
      std::printf("%s: matches case %s item %lld, %s distance %d (%s)\n", argv[i],
                  m.case_id.c_str(), static_cast<long long>(m.item), m.signal.c_str(), m.distance,
                  std::string(hashwatch::DihedralName(m.variant)).c_str());
    }
  }
  return status;
}
