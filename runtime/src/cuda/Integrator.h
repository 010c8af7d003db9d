//===- Integrator.h - adaptive RK45 on the GPU, control on the device ----===//
//
// The CUDA counterpart of cpu/DormandPrince.h for a module whose loop is an
// adaptive integrator (rk45, likelihood): the same Dormand-Prince 5(4) pair
// and step-size control, in float64, with every sample's time, step size and
// acceptance in device memory, computed by generated kernels (DeviceKernels.h's
// RK45* kernels). One attempted step (seven velocity evaluations of the
// module's body, the control, the acceptance) is captured as a CUDA graph and
// replayed; the host reads only the rows' status between replays (a few bytes
// per sample), to stop when every sample is done or to report a failure.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_INTEGRATOR_H
#define TWEEDIE_RUNTIME_CUDA_INTEGRATOR_H

#include "cuda/OpKernel.h"
#include "cuda/ProgramResources.h"
#include "tweedie/module/ModuleDesc.h"

#include <cstdint>
#include <functional>

namespace tweedie::cuda {

/// Attempted steps per graph replay: the host looks at the rows' status
/// this often.
inline constexpr int kAttemptsPerReplay = 8;

/// Integrates the request's rows in place: `frame`'s state value holds
/// their start (the prior, or the caller's rows) and gets their end.
/// `progress` (when given) hears the slowest sample's fraction of the time
/// interval after every replay; false from it cancels, and this returns
/// false. Throws tweedie::Error (Numeric) naming the first failed sample (a
/// non-finite velocity, too many steps, a step size that underflowed), as
/// the CPU does.
bool integrateOnDevice(ProgramResources &resources, const module::ModuleDesc &desc,
                       const DeviceFrame &frame,
                       const std::function<bool(double fraction)> &progress = {});

} // namespace tweedie::cuda

#endif
