// Catalog: matching from many threads while another thread imports, enrols
// and withdraws.
#include <atomic>
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "catalog_fixtures.h"
#include "hashwatch/catalog.h"
#include "hashwatch/image_hasher.h"

namespace hashwatch {
namespace {

using testing::TempDir;
using testing::TestdataDir;

TEST_CASE("Matchers on many threads see every completed enrolment and withdrawal",
          "[catalog][concurrency]") {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Catalog>> opened = Catalog::Open((dir.path() / "c.db").string());
  REQUIRE(opened.ok());
  Catalog& catalog = **opened;
  for (const char* name : {"coffee.jpg", "rocket.jpg"}) {
    REQUIRE(catalog
                .EnrollFile({.case_id = "A", .label = "", .source_note = "", .operator_name = ""},
                            (TestdataDir() / "known" / name).string())
                .ok());
  }
  // Queries hashed once, with variants, so the threads spend their time in
  // the catalog.
  HashOptions ho;
  ho.variants = true;
  const ImageHasher hasher = *ImageHasher::Create(ho);
  const Signal mirror =
      hasher.HashFile((TestdataDir() / "crawled" / "rocket_mirror.jpg").string())->signals[0];
  const Signal q60 =
      hasher.HashFile((TestdataDir() / "crawled" / "coffee_q60.jpg").string())->signals[0];

  // withdrawing: set before Withdraw is called; withdrawn: after it returned.
  std::atomic<bool> withdrawing{false}, withdrawn{false}, stop{false};
  std::atomic<int> errors{0}, before_withdrawal{0}, after_withdrawal{0};
  auto matcher = [&] {
    while (!stop.load()) {
      const bool was_withdrawn = withdrawn.load();
      for (const Signal* q : {&mirror, &q60}) {
        absl::StatusOr<MatchResult> r = catalog.MatchSignal(*q);
        const bool still_open = !withdrawing.load();
        if (!r.ok()) {
          ++errors;
          continue;
        }
        // Before: exactly the enrolled item of case A. After Withdraw
        // returned: never case A. Never anything else (the imported hashes
        // are random, far from these photos).
        for (const Match& m : r->matches) {
          if (m.case_id != "A" || was_withdrawn) ++errors;
        }
        if (still_open && r->matches.size() != 1) ++errors;
        (was_withdrawn ? after_withdrawal : before_withdrawal)++;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back(matcher);

  // The writer: 40 imports of 500 random hashes (20,000 in all, so the
  // index's delta overflows and merges while the matchers run). Each import
  // is matchable as soon as it returns.
  std::mt19937_64 rng(5);
  int unmatched = 0;
  for (int batch = 0; batch < 40; ++batch) {
    std::vector<std::string> hexes;
    std::string text;
    for (int i = 0; i < 500; ++i) {
      hexes.push_back(testing::RandomPdqHex(rng));
      text += hexes.back() + "\n";
    }
    std::istringstream in(text);
    absl::StatusOr<ImportResult> r = catalog.ImportHashes({.case_id = "B" + std::to_string(batch),
                                                           .label = "",
                                                           .source_name = "",
                                                           .operator_name = ""},
                                                          in);
    REQUIRE(r.ok());
    for (int i = 0; i < 500; i += 97) {
      absl::StatusOr<MatchResult> m = catalog.MatchSignal(testing::PdqSignal(hexes[i]));
      if (!m.ok() || m->matches.empty() || m->matches[0].item != r->item_ids[i]) ++unmatched;
    }
  }
  withdrawing.store(true);
  REQUIRE(catalog.Withdraw("A", "tester").ok());
  withdrawn.store(true);
  // Let the matchers run a while after the withdrawal (by work done, not time).
  while (after_withdrawal.load() < 200) std::this_thread::yield();
  stop.store(true);
  for (std::thread& t : threads) t.join();

  CHECK(errors.load() == 0);
  CHECK(unmatched == 0);
  CHECK(before_withdrawal.load() > 0);
  CHECK(catalog.Stats()->indexed_hashes == 20000);
}

}  // namespace
}  // namespace hashwatch
