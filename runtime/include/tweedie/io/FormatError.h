//===- FormatError.h - the error every file reader and writer throws -----===//
#ifndef TWEEDIE_IO_FORMATERROR_H
#define TWEEDIE_IO_FORMATERROR_H

#include <stdexcept>
#include <string>

namespace tweedie::io {

/// A file that cannot be read or written as its format requires. The message
/// names the file and says what was expected and what was found.
class FormatError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace tweedie::io

#endif
