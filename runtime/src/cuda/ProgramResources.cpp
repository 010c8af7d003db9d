//===- ProgramResources.cpp -------------------------------------------------===//
#include "cuda/ProgramResources.h"
#include "cuda/SamplerProgram.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tweedie::cuda {

using module::OpDesc;
using module::OpKind;

ProgramResources::ProgramResources(const module::ModuleDesc &desc, const Availability &gpus,
                                   const BlasAvailability &blas, const DnnAvailability &dnn)
    : context(gpus), desc_(desc),
      blas_(blas.api ? *blas.api
                     : throw std::runtime_error("device 'cuda' needs cuBLASLt: " + blas.why)) {
  for (const OpDesc &op : desc_.body) {
    if (op.kind == OpKind::Conv2D || op.kind == OpKind::Conv2DBackwardData ||
        op.kind == OpKind::Conv2DBackwardWeight)
      dnn_ = dnn.api;
    try {
      kernels_.push_back(prepareDeviceKernel({desc_, op, dnn}));
    } catch (const std::invalid_argument &e) {
      throw std::invalid_argument(std::string("device 'cuda' cannot run this module's ") +
                                  e.what() + " ops yet: use device 'cpu'");
    }
  }
  const module::CudaKernelsDesc *ptx = ptxForArch(desc_.cudaKernels, context.device().arch());
  if (!ptx)
    throw std::invalid_argument(
        "the module has no CUDA kernels for " + context.device().arch() +
        (desc_.cudaKernels.empty() ? " (compile it with --target cuda)" : " or older"));
  module_ = context.load(ptx->ptx);
  stream = context.createStream();
  check(blas_, blas_.create(&blasHandle_), "cublasLtCreate");
  if (dnn_) {
    check(*dnn_, dnn_->create(&dnnHandle_), "cudnnCreate");
    check(*dnn_, dnn_->setStream(dnnHandle_, stream), "cudnnSetStream");
  }
  for (size_t k = 0; k < desc_.constants.size(); ++k) {
    constants.push_back(
        context.allocate(std::max<size_t>(desc_.constants[k].data.size() * sizeof(float), 4)));
    uploadConstant(k);
  }
  launcher_ = std::make_unique<Launcher>(context, stream, module_, blas_, blasHandle_, dnn_,
                                         dnnHandle_);
}

ProgramResources::~ProgramResources() {
  if (stream)
    context.destroyStream(stream);
  for (CUdeviceptr c : constants)
    context.free(c);
  if (blasHandle_)
    blas_.destroy(blasHandle_);
  if (dnnHandle_)
    dnn_->destroy(dnnHandle_);
}

size_t ProgramResources::prepare(int64_t rows) {
  size_t scratchBytes = 0;
  for (const std::unique_ptr<DeviceOpKernel> &kernel : kernels_)
    scratchBytes = std::max(scratchBytes, kernel->prepare(rows, *launcher_));
  return scratchBytes;
}

void ProgramResources::queueBody(const DeviceFrame &frame) {
  for (size_t i = 0; i < desc_.body.size(); ++i)
    kernels_[i]->run({frame, desc_.body[i], *launcher_});
}

void ProgramResources::uploadConstant(size_t k) {
  const std::vector<float> &data = desc_.constants[k].data;
  context.upload(constants[k], data.data(), data.size() * sizeof(float));
}

} // namespace tweedie::cuda
