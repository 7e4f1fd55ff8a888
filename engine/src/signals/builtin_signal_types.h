// The signal types built into the engine, one implementation file each.
// To add a type: implement SignalType in its own file, declare its accessor
// here and list it in BuiltinSignalTypes().
#ifndef HASHWATCH_SIGNALS_BUILTIN_SIGNAL_TYPES_H_
#define HASHWATCH_SIGNALS_BUILTIN_SIGNAL_TYPES_H_

#include <vector>

#include "hashwatch/signal_type.h"

namespace hashwatch::signals {

const SignalType& PdqType();     // pdq_signal_type.cc
const SignalType& PhashType();   // phash_signal_type.cc
const SignalType& Sha256Type();  // digest_signal_types.cc
const SignalType& Md5Type();     // digest_signal_types.cc

inline std::vector<const SignalType*> BuiltinSignalTypes() {
  return {&PdqType(), &PhashType(), &Sha256Type(), &Md5Type()};
}

}  // namespace hashwatch::signals

#endif  // HASHWATCH_SIGNALS_BUILTIN_SIGNAL_TYPES_H_
