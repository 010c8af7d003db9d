//===- EmulatedCublasLt.h - cuBLASLt's matmul on the host, for tests ------===//
//
// The companion of EmulatedCudaDriver.h: cuda::BlasApi over host memory, a
// column-major D = alpha A B + beta C accumulated in float32 in k order, with
// the descriptors' shapes checked as cuBLASLt checks them.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TESTS_EMULATEDCUBLASLT_H
#define TWEEDIE_TESTS_EMULATEDCUBLASLT_H

#include "cuda/CublasLt.h"

namespace tweedie::testing {

/// The emulated library (stateless: any number may live).
const cuda::BlasAvailability &emulatedCublasLt();

} // namespace tweedie::testing

#endif
