// Debian's swiftlang 6.0.3 ships libswiftObservation.so with an undefined reference to
// swift::threading::fatal(const char*, ...), a symbol no library of that toolchain exports, so any
// executable using Observation (@Observable) fails to link on Linux. This defines it with the
// runtime's behaviour (print, then abort). Linked into the Linux test binary only; Apple
// platforms and upstream swift.org toolchains never build this target.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace swift {
namespace threading {
[[noreturn]] void fatal(const char *format, ...) {
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::abort();
}
} // namespace threading
} // namespace swift
