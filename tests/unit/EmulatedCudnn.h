//===- EmulatedCudnn.h - cuDNN's convolution on the host, for tests -------===//
//
// The companion of EmulatedCudaDriver.h: cuda::DnnApi over host memory, a
// direct NCHW cross-correlation (groups, stride, padding) accumulated in
// float32, queued on the emulated stream like the GPU's.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TESTS_EMULATEDCUDNN_H
#define TWEEDIE_TESTS_EMULATEDCUDNN_H

#include "cuda/Cudnn.h"

namespace tweedie::testing {

const cuda::DnnAvailability &emulatedCudnn();

} // namespace tweedie::testing

#endif
