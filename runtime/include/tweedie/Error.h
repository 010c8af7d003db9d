//===- Error.h - runtime errors that know what kind they are -------------===//
//
// A failure is classified where it happens (a non-finite state, an arena
// larger than the machine), not guessed later from the exception's C++ type:
// the C API reports `kind` as its status code.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_ERROR_H
#define TWEEDIE_ERROR_H

#include <stdexcept>
#include <string>

namespace tweedie {

enum class ErrorKind {
  InvalidArgument, // what the caller passed
  InvalidModule,   // what the module holds
  Numeric,         // NaN or infinity while sampling or training
  OutOfMemory,     // more memory than the machine or the host's allocator gives
  Internal         // a library call failed
};

class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, const std::string &message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

private:
  ErrorKind kind_;
};

} // namespace tweedie

#endif
