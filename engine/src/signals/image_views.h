// ComputeViews: the rectangles of one image that are hashed on their own
// besides the whole (hashwatch::ViewOptions): the picture inside its borders
// (media/border_detector.h, shared with video), pictures inside a larger
// canvas (media/canvas_detector.h), and fixed sub-windows (the centre and
// four corners at 90% and 80% of each side) so a crop lands near one.
// A view whose PDQ equals the whole image's within a few bits adds nothing
// and is left out. Video frames use it too (VideoOptions::views): a
// reference's regions, a query frame's own borders.
//
// Thread safety: pure function.
#ifndef HASHWATCH_SIGNALS_IMAGE_VIEWS_H_
#define HASHWATCH_SIGNALS_IMAGE_VIEWS_H_

#include <vector>

#include "hashwatch/image_hasher.h"
#include "hashwatch/signal.h"
#include "media/decoded_image.h"

namespace hashwatch::signals {

// `whole`: the whole image's PDQ (type "pdq").
std::vector<ImageView> ComputeViews(const DecodedImage& image, const Signal& whole,
                                    const ViewOptions& options, bool variants);

}  // namespace hashwatch::signals

#endif  // HASHWATCH_SIGNALS_IMAGE_VIEWS_H_
