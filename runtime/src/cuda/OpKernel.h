//===- OpKernel.h - the CUDA backend's kernel per op kind -----------------===//
//
// The CUDA backend is a registry of kernels, one per op kind of Ops.def, as
// the CPU backend is (cpu/OpKernel.h): cuda/kernels/KernelRegistry.cpp picks
// the kernel of an op when a program is built, refusing, with the reason, an
// op it cannot run. A kernel queues its op's work on the program's stream
// (library calls, launches from the module's PTX, copies): under the loop's
// graph capture that work is recorded, not run. Before each request (outside
// the capture, where nothing may be allocated) a kernel may make its
// per-batch-size plans and ask for scratch memory.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_RUNTIME_CUDA_OPKERNEL_H
#define TWEEDIE_RUNTIME_CUDA_OPKERNEL_H

#include "cuda/CublasLt.h"
#include "cuda/CudaDriver.h"
#include "cuda/Cudnn.h"
#include "tweedie/module/ModuleDesc.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tweedie::cuda {

/// What kernels queue work with: the GPU, its stream, the libraries and the
/// module's PTX kernels (looked up once each).
class Launcher {
public:
  Launcher(Context &context, CUstream stream, CUmodule module, const BlasApi &blas,
           BlasHandle blasHandle, const DnnApi *dnn, DnnHandle dnnHandle)
      : context(context), stream(stream), blas(blas), blasHandle(blasHandle), dnn(dnn),
        dnnHandle(dnnHandle), module_(module) {}

  /// Queues `threads` threads of PTX kernel `name` with `params` (pointers
  /// to each parameter, in the kernel's order: DeviceKernels.h).
  void launch(const std::string &name, int64_t threads, std::vector<void *> params);
  /// Queues a strided layer kernel (gather, broadcast): out, inputs, n, the
  /// sizes and one stride list per input, padded with leading ones to
  /// module::kGatherRank axes.
  void strided(const std::string &name, CUdeviceptr out, std::vector<CUdeviceptr> inputs,
               int64_t n, std::vector<int64_t> sizes, std::vector<std::vector<int64_t>> strides);

  Context &context;
  CUstream stream;
  const BlasApi &blas;
  BlasHandle blasHandle;
  const DnnApi *dnn; // null when the module has no convolution
  DnnHandle dnnHandle;

private:
  CUmodule module_;
  std::map<std::string, CUfunction> functions_;
};

/// Where the values of one request live, and what keys its noise.
struct DeviceFrame {
  const module::ModuleDesc &desc;
  const std::vector<CUdeviceptr> &constants; // by constant index
  CUdeviceptr arena = 0;                     // value-major, as on the CPU
  int64_t rows = 0;
  int64_t step = 0;
  uint64_t seed = 0;
  int64_t firstSample = 0;
  /// The request's scratch, as large as the largest kernel asked for.
  CUdeviceptr scratch = 0;
  /// A whole-batch run's batch-free values (TrainingDesc::wholeBytes).
  CUdeviceptr whole = 0;

  CUdeviceptr pointer(int32_t value) const;
  /// Elements of `value`: all its rows for an arena value.
  int64_t count(int32_t value) const;
  /// [rows] ++ shape for arena values, the stored shape otherwise.
  std::vector<int64_t> fullShape(int32_t value) const;
};

/// One op's operands in a frame.
struct DeviceOpArgs {
  const DeviceFrame &frame;
  const module::OpDesc &op;
  Launcher &launcher;

  bool present(size_t i) const { return i < op.operands.size() && op.operands[i] >= 0; }
  /// Operand i's device address; 0 for an absent optional operand.
  CUdeviceptr in(size_t i) const { return present(i) ? frame.pointer(op.operands[i]) : 0; }
  CUdeviceptr out() const { return frame.pointer(op.result); }
  /// Operand i's per-sample shape as stored.
  const std::vector<int64_t> &storedShape(size_t i) const {
    return frame.desc.values[op.operands[i]].shape;
  }
  /// Elements of the result (over all rows for an arena value).
  int64_t outCount() const { return frame.count(op.result); }
};

class DeviceOpKernel {
public:
  virtual ~DeviceOpKernel() = default;
  /// Before a request of `rows` samples, outside the capture: plans for that
  /// batch size. Returns the scratch bytes run needs.
  virtual size_t prepare(int64_t /*rows*/, Launcher &) { return 0; }
  virtual void run(const DeviceOpArgs &args) = 0;
};

/// What choosing a kernel may look at.
struct DeviceKernelSetup {
  const module::ModuleDesc &desc;
  const module::OpDesc &op;
  const DnnAvailability &dnn;
};

/// The kernel of setup.op. Throws std::invalid_argument naming what this
/// backend cannot run (the op, its layout, a missing library).
std::unique_ptr<DeviceOpKernel> prepareDeviceKernel(const DeviceKernelSetup &setup);

/// A kernel from a function of the op's arguments (no per-request state).
template <typename Fn> std::unique_ptr<DeviceOpKernel> deviceKernelOf(Fn fn) {
  struct Stateless final : DeviceOpKernel {
    explicit Stateless(Fn f) : fn(std::move(f)) {}
    void run(const DeviceOpArgs &args) override { fn(args); }
    Fn fn;
  };
  return std::make_unique<Stateless>(std::move(fn));
}

/// A kernel reading a float64 table of its op's (noise levels, frequencies):
/// uploaded once, at the first prepare (outside any capture), and freed with
/// the kernel; fn(args, the table's device address).
template <typename Fn>
std::unique_ptr<DeviceOpKernel> tableKernelOf(std::vector<double> table, Fn fn) {
  struct WithTable final : DeviceOpKernel {
    WithTable(std::vector<double> t, Fn f) : table(std::move(t)), fn(std::move(f)) {}
    size_t prepare(int64_t, Launcher &l) override {
      if (!device) {
        const size_t bytes = table.size() * sizeof(double);
        device = std::make_unique<DeviceBuffer>(l.context, std::max<size_t>(bytes, 8));
        l.context.upload(device->pointer, table.data(), bytes);
      }
      return 0;
    }
    void run(const DeviceOpArgs &args) override { fn(args, device->pointer); }
    std::vector<double> table;
    Fn fn;
    std::unique_ptr<DeviceBuffer> device;
  };
  return std::make_unique<WithTable>(std::move(table), std::move(fn));
}

/// The kernel groups (cuda/kernels/*.cpp): null when the kind is not theirs.
std::unique_ptr<DeviceOpKernel> prepareLinearDeviceKernel(const DeviceKernelSetup &setup);
std::unique_ptr<DeviceOpKernel> prepareNormalizationDeviceKernel(const DeviceKernelSetup &setup);
std::unique_ptr<DeviceOpKernel> prepareElementwiseDeviceKernel(const DeviceKernelSetup &setup);
std::unique_ptr<DeviceOpKernel> prepareDataMovementDeviceKernel(const DeviceKernelSetup &setup);
std::unique_ptr<DeviceOpKernel> prepareSamplerStepDeviceKernel(const DeviceKernelSetup &setup);

/// act(out + bias[(i / inner) % channels]) + residual in place, op's bias
/// and residual operands 2 and 3 (the epilogue of dense and conv2d).
void queueEpilogue(const DeviceOpArgs &args, int64_t channels, int64_t inner);

/// `value`'s strides against the full shape `out` (NumPy broadcasting: 0
/// where an axis repeats).
std::vector<int64_t> broadcastStrides(const DeviceFrame &frame, int32_t value,
                                      const std::vector<int64_t> &out);

} // namespace tweedie::cuda

#endif
