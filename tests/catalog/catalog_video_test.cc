// Videos in the catalog: enrolment, time-aligned matching of edited copies,
// photos against videos, withdrawal, reopening and the schema upgrade.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include "catalog_fixtures.h"
#include "video_test_support.h"

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

EnrollRequest Req(const std::string& case_id) {
  EnrollRequest r;
  r.case_id = case_id;
  return r;
}

ExportOptions VideoExport(ItemId item) {
  ExportOptions o;
  o.video_item = item;
  return o;
}

ImportRequest ImportInto(const std::string& case_id) {
  ImportRequest r;
  r.case_id = case_id;
  return r;
}

struct Refs {
  ItemId street = 0, cockatoo = 0, coffee = 0;
};

Refs EnrolReferences(Catalog& c) {
  Refs r;
  auto enrol = [&](const fs::path& p) {
    absl::StatusOr<EnrollResult> e = c.EnrollFile(Req("CASE-V"), p);
    INFO(p << ": " << e.status());
    REQUIRE(e.ok());
    return e->item;
  };
  r.street = enrol(VideoDir() / "street_vtest.mp4");
  r.cockatoo = enrol(VideoDir() / "cockatoo.mp4");
  r.coffee = enrol(TestdataDir() / "known/coffee.jpg");
  return r;
}

// The matches of `path` on `item`.
std::vector<Match> On(const Catalog& c, const fs::path& path, ItemId item) {
  absl::StatusOr<MatchResult> m = c.MatchFile(path);
  INFO(path << ": " << m.status());
  REQUIRE(m.ok());
  std::vector<Match> out;
  for (const Match& x : m->matches) {
    if (x.item == item) out.push_back(x);
  }
  return out;
}

TEST_CASE("A video is enrolled as frames with times, and matches itself end to end",
          "[catalog][video]") {
  TempDir dir;
  auto c = *Catalog::Open((dir.path() / "c.db").string());
  absl::StatusOr<EnrollResult> e = c->EnrollFile(Req("V"), VideoDir() / "street_vtest.mp4");
  REQUIRE(e.ok());
  CHECK(e->media == "video");
  CHECK(e->duration == Approx(20).margin(0.2));
  CHECK(e->frames > 20);  // every frame (10 fps), runs merged
  CHECK(e->indexed_frames == e->frames);
  const std::vector<Match> m = On(*c, VideoDir() / "street_vtest.mp4", e->item);
  REQUIRE(m.size() == 1);
  REQUIRE(m[0].span.has_value());
  CHECK(m[0].span->query_start == 0);
  CHECK(m[0].span->ref_start == 0);
  CHECK(m[0].span->query_end >= 19);
  CHECK(m[0].span->query_share == Approx(1).margin(0.05));
  CHECK(m[0].span->ref_share > 0.2);
  absl::StatusOr<EnrollResult> again = c->EnrollFile(Req("V"), VideoDir() / "street_vtest.mp4");
  REQUIRE(again.ok());
  CHECK(again->already_enrolled);
}

// The edits of street_vtest.mp4 by testdata/make_video_edits.sh (unrelated
// filler: lebiniou_visual.mp4), made once per build folder and version of the
// script, and shared by the tests (flock: ctest runs them in parallel).
fs::path StreetEdits() {
  const std::vector<uint8_t> script = ReadFileBytes(TestdataDir() / "make_video_edits.sh");
  const size_t key = std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(script.data()), script.size()));
  std::ostringstream name;
  name << "test-video-edits-" << std::hex << key;
  const fs::path edits = BinDir() / name.str();
  const CommandResult made =
      RunCommand("mkdir -p " + ShellQuote(edits) + " && flock " + ShellQuote(edits / ".lock") +
                 " sh -c 'test -s " + (edits / "manifest.tsv").string() + " || bash " +
                 (TestdataDir() / "make_video_edits.sh").string() + " " +
                 (VideoDir() / "street_vtest.mp4").string() + " " +
                 (VideoDir() / "lebiniou_visual.mp4").string() + " " + edits.string() + "'");
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  return edits;
}

// Every manifest row behaves as expected: a match on street_vtest.mp4 with
// its query and reference start within 1 s, no match, or an error.
// Returns the rows checked by family.
std::map<std::string, int> CheckEdits() {
  const fs::path edits = StreetEdits();
  TempDir dir;
  auto c = *Catalog::Open((dir.path() / "c.db").string());
  const Refs refs = EnrolReferences(*c);
  std::ifstream manifest(edits / "manifest.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  std::map<std::string, int> rows;
  while (std::getline(manifest, line)) {
    std::istringstream fields(line);
    std::string file, family, expect;
    double query_start = 0, ref_start = 0, duration = 0;
    fields >> file >> family >> query_start >> ref_start >> duration >> expect;
    INFO(family << " (" << file << ")");
    ++rows[family];
    absl::StatusOr<MatchResult> m = c->MatchFile(edits / file);
    if (expect == "error") {
      CHECK(!m.ok());
      continue;
    }
    REQUIRE(m.ok());
    if (expect == "nomatch") {
      CHECK(m->matches.empty());
      continue;
    }
    bool found = false;
    for (const Match& x : m->matches) {
      CHECK(x.item == refs.street);  // never another reference
      if (x.span && std::abs(x.span->query_start - query_start) <= 1.0 &&
          std::abs(x.span->ref_start - ref_start) <= 1.0) {
        found = true;
      }
    }
    CHECK(found);
  }
  return rows;
}

TEST_CASE(
    "Every edit family is found with its start within 1 s and unrelated footage and "
    "broken files are not matched",
    "[catalog][video][edits]") {
  const std::map<std::string, int> rows = CheckEdits();
  // The families plain PDQ misses are among them: a 5% crop off each side
  // moves every frame beyond 31 bits, and two large captions the first
  // seconds' frames; both are found through the reference frames' stored
  // regions.
  CHECK(rows.size() >= 20);
  CHECK(rows.contains("crop_10pct"));
  CHECK(rows.contains("text_overlay"));
}

TEST_CASE("A cropped copy of a video is found through its frames' stored regions",
          "[catalog][video][edits]") {
  const fs::path edits = StreetEdits();
  TempDir dir;
  auto c = *Catalog::Open((dir.path() / "c.db").string());
  absl::StatusOr<EnrollResult> e = c->EnrollFile(Req("CASE-V"), VideoDir() / "street_vtest.mp4");
  REQUIRE(e.ok());
  // The centre and the corners at 90% and 80% (less those within a few bits
  // of the whole frame or of each other) of a frame every half second.
  const double every = CatalogOptions().reference_view_interval;
  CHECK(every == 0.5);
  const auto given = static_cast<int64_t>(e->duration / every) + 1;
  CHECK(e->views >= given);
  CHECK(e->views <= 10 * given);
  CatalogStats stats = *c->Stats();
  CHECK(stats.indexed_frames > e->indexed_frames);
  CHECK(stats.indexed_views == 0);  // those are images' views
  absl::StatusOr<MatchResult> m = c->MatchFile(edits / "crop_10pct.mp4");
  REQUIRE(m.ok());
  REQUIRE(m->matches.size() == 1);
  CHECK(m->matches[0].stage == "region");
  CHECK(m->matches[0].span->query_start <= 1.0);
  CHECK(m->matches[0].span->ref_start <= 1.0);
  // Without the stored views, plain PDQ misses it.
  MatchOptions plain;
  plain.stored_views = false;
  absl::StatusOr<MatchResult> without = c->MatchFile(edits / "crop_10pct.mp4", plain);
  REQUIRE(without.ok());
  CHECK(without->matches.empty());
  // An uncropped copy still matches whole frames.
  absl::StatusOr<MatchResult> same = c->MatchFile(VideoDir() / "street_vtest.mp4");
  REQUIRE(same.ok());
  REQUIRE(same->matches.size() == 1);
  CHECK(same->matches[0].stage == "pdq");
  // The catalog's own check agrees with what was indexed.
  absl::StatusOr<VerifyReport> v = VerifyCatalog((dir.path() / "c.db").string());
  REQUIRE(v.ok());
  INFO((v->problems.empty() ? std::string() : v->problems[0]));
  CHECK(v->ok);
}

TEST_CASE("A 10 s excerpt of a 3-minute reference is found with its start", "[catalog][video]") {
  TempDir dir;
  const fs::path ref = dir.path() / "long.mp4";
  std::string cmd = "bash " + ShellQuote(TestdataDir() / "make_video_edits.sh") + " --long";
  for (const char* clip : {"street_vtest.mp4", "cockatoo.mp4", "lebiniou_visual.mp4", "tree.mp4",
                           "gnome_screencast.webm"}) {
    cmd.append(" ").append(ShellQuote(VideoDir() / clip));
  }
  const CommandResult made = RunCommand(cmd + " " + ShellQuote(ref));
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  std::ifstream tsv(dir.path() / "long.tsv");
  std::string line;
  std::getline(tsv, line);
  std::getline(tsv, line);
  std::istringstream fields(line);
  std::string file, family;
  double query_start = 0, ref_start = 0;
  fields >> file >> family >> query_start >> ref_start;
  auto c = *Catalog::Open((dir.path() / "c.db").string());
  absl::StatusOr<EnrollResult> e = c->EnrollFile(Req("LONG"), ref);
  REQUIRE(e.ok());
  CHECK(e->duration > 170);
  const std::vector<Match> m = On(*c, dir.path() / file, e->item);
  REQUIRE(m.size() == 1);
  CHECK(std::abs(m[0].span->ref_start - ref_start) <= 1.0);
  CHECK(m[0].span->query_start <= 1.0);
}

// Compilation of A (1.3 s for 8 s, at 6 s) and B (2.6 s for 8 s, at 19 s),
// with UNRELATED footage around them (testdata/make_video_edits.sh).
// Returns the two matches (A's, B's).
std::pair<Match, Match> CheckCompilation(const char* a_name, const char* b_name,
                                         const char* unrelated) {
  TempDir dir;
  const fs::path out = dir.path() / "compilation.mp4";
  const CommandResult made =
      RunCommand("bash " + ShellQuote(TestdataDir() / "make_video_edits.sh") + " --compilation " +
                 ShellQuote(VideoDir() / a_name) + " " + ShellQuote(VideoDir() / b_name) + " " +
                 ShellQuote(VideoDir() / unrelated) + " " + ShellQuote(out));
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  auto c = *Catalog::Open((dir.path() / "c.db").string());
  absl::StatusOr<EnrollResult> a = c->EnrollFile(Req("A"), VideoDir() / a_name);
  absl::StatusOr<EnrollResult> b = c->EnrollFile(Req("B"), VideoDir() / b_name);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  absl::StatusOr<MatchResult> m = c->MatchFile(out);
  REQUIRE(m.ok());
  CHECK(m->matches.size() == 2);
  const std::vector<Match> on_a = On(*c, out, a->item);
  const std::vector<Match> on_b = On(*c, out, b->item);
  REQUIRE(on_a.size() == 1);
  REQUIRE(on_b.size() == 1);
  CHECK(std::abs(on_a[0].span->query_start - 6) <= 1.0);
  CHECK(std::abs(on_a[0].span->ref_start - 1.3) <= 1.0);
  CHECK(std::abs(on_b[0].span->query_start - 19) <= 1.0);
  CHECK(std::abs(on_b[0].span->ref_start - 2.6) <= 1.0);
  return {on_a[0], on_b[0]};
}

TEST_CASE("A compilation of two known videos with unrelated footage between gives both spans",
          "[catalog][video]") {
  CheckCompilation("cockatoo.mp4", "lebiniou_visual.mp4", "street_vtest.mp4");
}

TEST_CASE("A compilation whose second clip is pillarboxed only in its own span gives both spans",
          "[catalog][video]") {
  // Borders are decided over the whole video, so bars that only one clip of
  // a compilation has stay; that clip (4:3 in a 16:9 compilation) is found
  // through each query frame's own border view.
  const auto [a, b] = CheckCompilation("cockatoo.mp4", "street_vtest.mp4", "lebiniou_visual.mp4");
  CHECK(a.stage == "pdq");
  CHECK(b.stage == "border");
}

TEST_CASE(
    "A photo that is a frame of a known video matches it near that time and a known photo "
    "shown in a video matches the photo",
    "[catalog][video]") {
  TempDir dir;
  auto c = *Catalog::Open((dir.path() / "c.db").string());
  const Refs refs = EnrolReferences(*c);
  Ffmpeg("-ss 6.2 -i " + ShellQuote(VideoDir() / "street_vtest.mp4") + " -frames:v 1",
         dir.path() / "frame.png");
  const std::vector<Match> still = On(*c, dir.path() / "frame.png", refs.street);
  REQUIRE(still.size() == 1);
  REQUIRE(still[0].span.has_value());
  CHECK(!still[0].span->query_is_video);
  CHECK(std::abs(still[0].span->ref_start - 6.2) <= 1.0);

  // 4 s of unrelated footage, then the known photo for 5 s.
  Ffmpeg(
      "-i " + ShellQuote(VideoDir() / "lebiniou_visual.mp4") + " -loop 1 -framerate 25 -i " +
          ShellQuote(TestdataDir() / "known/coffee.jpg") +
          " -filter_complex \"[0:v]trim=0:4,setpts=PTS-STARTPTS,fps=25,scale=480:320,setsar=1[a];"
          "[1:v]trim=duration=5,setpts=PTS-STARTPTS,scale=480:320,setsar=1[b];"
          "[a][b]concat=n=2:v=1[v]\" -map \"[v]\" -c:v libx264 -pix_fmt yuv420p",
      dir.path() / "slideshow.mp4");
  const std::vector<Match> shown = On(*c, dir.path() / "slideshow.mp4", refs.coffee);
  REQUIRE(shown.size() == 1);
  CHECK(std::abs(shown[0].span->query_start - 4) <= 1.0);
  CHECK(!shown[0].span->ref_is_video);

  // Unrelated photos never match the videos.
  for (const auto& entry : fs::directory_iterator(TestdataDir() / "images")) {
    absl::StatusOr<MatchResult> m = c->MatchFile(entry.path());
    REQUIRE(m.ok());
    for (const Match& x : m->matches) {
      INFO(entry.path());
      CHECK(x.item != refs.street);
      CHECK(x.item != refs.cockatoo);
    }
  }
}

TEST_CASE("Withdrawing a video stops its matches and reopening keeps the others",
          "[catalog][video]") {
  TempDir dir;
  const std::string path = (dir.path() / "c.db").string();
  Refs refs;
  {
    auto c = *Catalog::Open(path);
    refs = EnrolReferences(*c);
    absl::StatusOr<EnrollResult> other = c->EnrollFile(Req("OTHER"), VideoDir() / "tree.mp4");
    REQUIRE(other.ok());
    REQUIRE(c->Withdraw("CASE-V", "").ok());
    CHECK(On(*c, VideoDir() / "street_vtest.mp4", refs.street).empty());
    CHECK(On(*c, VideoDir() / "tree.mp4", other->item).size() == 1);
  }
  auto reopened = *Catalog::Open(path);
  CHECK(On(*reopened, VideoDir() / "street_vtest.mp4", refs.street).empty());
  absl::StatusOr<MatchResult> tree = reopened->MatchFile(VideoDir() / "tree.mp4");
  REQUIRE(tree.ok());
  CHECK(tree->matches.size() == 1);
}

TEST_CASE("Another process's video enrolment is seen after Refresh", "[catalog][video]") {
  TempDir dir;
  const std::string path = (dir.path() / "c.db").string();
  auto scanner = *Catalog::Open(path);
  auto staff = *Catalog::Open(path);
  absl::StatusOr<EnrollResult> e = staff->EnrollFile(Req("V"), VideoDir() / "tree.mp4");
  REQUIRE(e.ok());
  REQUIRE(scanner->Refresh().ok());
  CHECK(On(*scanner, VideoDir() / "tree.mp4", e->item).size() == 1);
}

TEST_CASE("A catalog of the previous release (schema 1) is upgraded and still matches",
          "[catalog][video][migration]") {
  TempDir dir;
  const fs::path copy = dir.path() / "old.db";
  fs::copy_file(TestdataDir() / "catalog/schema1.db", copy);
  fs::permissions(copy, fs::perms::owner_read | fs::perms::owner_write);
  auto c = Catalog::Open(copy.string());
  REQUIRE(c.ok());
  absl::StatusOr<CatalogStats> stats = (*c)->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->schema_version == 2);
  CHECK(stats->items == 6);
  // The enrolled photos still match.
  absl::StatusOr<MatchResult> photo = (*c)->MatchFile(TestdataDir() / "known/tulips.jpg");
  REQUIRE(photo.ok());
  REQUIRE(photo->matches.size() == 1);
  CHECK(photo->matches[0].case_id == "V1-PHOTOS");
  // The vPDQ video imported then: its frames are now placed in time.
  absl::StatusOr<MatchResult> frame = (*c)->MatchFile(TestdataDir() / "images/skimage_chelsea.png");
  REQUIRE(frame.ok());
  bool found = false;
  for (const Match& m : frame->matches) {
    if (m.case_id == "V1-VIDEO") {
      found = true;
      REQUIRE(m.span.has_value());
      CHECK(m.span->ref_start == 1.0);
    }
  }
  CHECK(found);
}

TEST_CASE("A video's vPDQ export imports elsewhere and matches the video", "[catalog][video]") {
  TempDir dir;
  auto a = *Catalog::Open((dir.path() / "a.db").string());
  absl::StatusOr<EnrollResult> e = a->EnrollFile(Req("V"), VideoDir() / "cockatoo.mp4");
  REQUIRE(e.ok());
  std::ostringstream list;
  absl::StatusOr<ExportResult> exported = a->ExportHashes(VideoExport(e->item), list);
  REQUIRE(exported.ok());
  CHECK(exported->hashes >= 250);  // one line per frame (20 fps, 14 s)
  auto b = *Catalog::Open((dir.path() / "b.db").string());
  std::istringstream in(list.str());
  absl::StatusOr<ImportResult> imported = b->ImportHashes(ImportInto("FROM-A"), in);
  REQUIRE(imported.ok());
  CHECK(imported->format == "vpdq");
  REQUIRE(imported->item_ids.size() == 1);
  const std::vector<Match> m = On(*b, VideoDir() / "cockatoo.mp4", imported->item_ids[0]);
  REQUIRE(m.size() == 1);
  CHECK(m[0].span->query_share > 0.9);
  // The CSV list leaves videos out and says so.
  std::ostringstream csv;
  absl::StatusOr<ExportResult> all = a->ExportHashes({}, csv);
  REQUIRE(all.ok());
  CHECK(all->videos_left_out == 1);
}

}  // namespace
}  // namespace hashwatch::testing
