#include "media/tiff_tags.h"

#include <catch2/catch.hpp>

namespace hashwatch::media {
namespace {

// A minimal TIFF IFD0 with one SHORT entry, in either byte order.
std::vector<uint8_t> TiffWithTag(bool little, uint16_t tag, uint16_t value) {
  auto u16 = [&](std::vector<uint8_t>& v, uint16_t x) {
    if (little) {
      v.push_back(x & 0xFF);
      v.push_back(x >> 8);
    } else {
      v.push_back(x >> 8);
      v.push_back(x & 0xFF);
    }
  };
  auto u32 = [&](std::vector<uint8_t>& v, uint32_t x) {
    if (little) {
      u16(v, x & 0xFFFF);
      u16(v, x >> 16);
    } else {
      u16(v, x >> 16);
      u16(v, x & 0xFFFF);
    }
  };
  std::vector<uint8_t> t =
      little ? std::vector<uint8_t>{'I', 'I', 42, 0} : std::vector<uint8_t>{'M', 'M', 0, 42};
  u32(t, 8);  // IFD0 offset
  u16(t, 1);  // one entry
  u16(t, tag);
  u16(t, 3);  // SHORT
  u32(t, 1);  // count
  u16(t, value);
  u16(t, 0);  // padding of the value field
  u32(t, 0);  // no next IFD
  return t;
}

TEST_CASE("ReadIfd0Tags finds the orientation in both byte orders") {
  for (bool little : {true, false}) {
    auto tags = ReadIfd0Tags(TiffWithTag(little, 274, 6));
    REQUIRE(tags.has_value());
    REQUIRE(tags->orientation.has_value());
    CHECK(*tags->orientation == 6);
  }
}

TEST_CASE("ReadIfd0Tags skips an Exif prefix and ignores out-of-range orientations") {
  std::vector<uint8_t> exif = {'E', 'x', 'i', 'f', 0, 0};
  auto tiff = TiffWithTag(true, 274, 3);
  exif.insert(exif.end(), tiff.begin(), tiff.end());
  CHECK(ReadIfd0Tags(exif)->orientation == 3);
  CHECK_FALSE(ReadIfd0Tags(TiffWithTag(true, 274, 9))->orientation.has_value());
}

TEST_CASE("The first of repeated size tags counts, as in libtiff") {
  // Two ImageWidth entries, 3000 then 1: the decoder uses 3000.
  auto t = TiffWithTag(true, 256, 3000);
  t[8] = 2;                                                         // two entries
  const uint8_t second[12] = {0, 1, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0};  // tag 256 SHORT 1 = 1
  t.insert(t.begin() + 22, second, second + 12);
  auto tags = ReadIfd0Tags(t);
  REQUIRE(tags.has_value());
  CHECK(tags->width == 3000u);
  CHECK_FALSE(tags->size_unreadable);
}

TEST_CASE("A size tag of a type the reader does not take makes the size unknown") {
  auto t = TiffWithTag(true, 257, 40);
  t[12] = 5;  // RATIONAL: not an integer in the entry
  auto tags = ReadIfd0Tags(t);
  REQUIRE(tags.has_value());
  CHECK_FALSE(tags->height.has_value());
  CHECK(tags->size_unreadable);
}

TEST_CASE("ReadIfd0Tags never reads past hostile offsets") {
  auto t = TiffWithTag(true, 274, 6);
  t[4] = 0xF0;
  t[5] = 0xFF;
  t[6] = 0xFF;
  t[7] = 0x7F;  // IFD offset far past the end
  auto tags = ReadIfd0Tags(t);
  REQUIRE(tags.has_value());
  CHECK_FALSE(tags->orientation.has_value());
  t = TiffWithTag(true, 274, 6);
  t[8] = 0xFF;
  t[9] = 0xFF;  // 65535 entries claimed
  CHECK(ReadIfd0Tags(t)->orientation == 6);
  for (size_t n = 0; n < t.size(); ++n) (void)ReadIfd0Tags(absl::MakeConstSpan(t.data(), n));
  CHECK_FALSE(ReadIfd0Tags(std::vector<uint8_t>{'X', 'X', 0, 0, 0, 0, 0, 0}).has_value());
}

}  // namespace
}  // namespace hashwatch::media
