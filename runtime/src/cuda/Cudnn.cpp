//===- Cudnn.cpp ------------------------------------------------------------===//
#include "cuda/Cudnn.h"
#include "cuda/DynamicLibrary.h"

#include <stdexcept>

namespace tweedie::cuda {

namespace {

DnnAvailability probe() {
  static DnnApi api; // lives as long as the (never unloaded) library
  DnnAvailability out;
  std::string why;
  void *library = openFirst({"libcudnn.so.9", "/usr/local/cuda/lib64/libcudnn.so.9"}, why);
  if (!library) {
    out.why = "no cuDNN 9 on this machine (" + why + ")";
    return out;
  }
  const bool all =
      resolve(library, "cudnnCreate", api.create) &&
      resolve(library, "cudnnDestroy", api.destroy) &&
      resolve(library, "cudnnSetStream", api.setStream) &&
      resolve(library, "cudnnGetErrorString", api.errorString) &&
      resolve(library, "cudnnCreateTensorDescriptor", api.createTensor) &&
      resolve(library, "cudnnSetTensor4dDescriptor", api.setTensor4d) &&
      resolve(library, "cudnnDestroyTensorDescriptor", api.destroyTensor) &&
      resolve(library, "cudnnCreateFilterDescriptor", api.createFilter) &&
      resolve(library, "cudnnSetFilter4dDescriptor", api.setFilter4d) &&
      resolve(library, "cudnnDestroyFilterDescriptor", api.destroyFilter) &&
      resolve(library, "cudnnCreateConvolutionDescriptor", api.createConv) &&
      resolve(library, "cudnnSetConvolution2dDescriptor", api.setConv2d) &&
      resolve(library, "cudnnSetConvolutionGroupCount", api.setConvGroups) &&
      resolve(library, "cudnnSetConvolutionMathType", api.setConvMath) &&
      resolve(library, "cudnnDestroyConvolutionDescriptor", api.destroyConv) &&
      resolve(library, "cudnnGetConvolutionForwardAlgorithm_v7", api.forwardAlgorithms) &&
      resolve(library, "cudnnGetConvolutionForwardWorkspaceSize", api.forwardWorkspace) &&
      resolve(library, "cudnnConvolutionForward", api.forward) &&
      resolve(library, "cudnnGetConvolutionBackwardDataAlgorithm_v7",
              api.backwardDataAlgorithms) &&
      resolve(library, "cudnnGetConvolutionBackwardDataWorkspaceSize",
              api.backwardDataWorkspace) &&
      resolve(library, "cudnnConvolutionBackwardData", api.backwardData) &&
      resolve(library, "cudnnGetConvolutionBackwardFilterAlgorithm_v7",
              api.backwardFilterAlgorithms) &&
      resolve(library, "cudnnGetConvolutionBackwardFilterWorkspaceSize",
              api.backwardFilterWorkspace) &&
      resolve(library, "cudnnConvolutionBackwardFilter", api.backwardFilter);
  if (!all)
    out.why = "cuDNN lacks entry points this runtime calls (cuDNN 9 expected)";
  else
    out.api = &api;
  return out;
}

} // namespace

const DnnAvailability &dnnAvailability() {
  static const DnnAvailability probed = probe();
  return probed;
}

void check(const DnnApi &api, DnnStatus status, const char *what) {
  if (status == 0)
    return;
  const char *text = api.errorString ? api.errorString(status) : nullptr;
  throw std::runtime_error(std::string("cuDNN: ") + what + " failed: " +
                           (text ? text : "status " + std::to_string(status)));
}

Convolution::Convolution(const DnnApi &api, DnnHandle handle, const Shape &s, Pass pass)
    : api_(api), handle_(handle), pass_(pass) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  check(api_, api_.createTensor(&x_), "cudnnCreateTensorDescriptor");
  check(api_, api_.createTensor(&y_), "cudnnCreateTensorDescriptor");
  check(api_, api_.createFilter(&w_), "cudnnCreateFilterDescriptor");
  check(api_, api_.createConv(&conv_), "cudnnCreateConvolutionDescriptor");
  check(api_, api_.setTensor4d(x_, kDnnNchw, kDnnFloat, i(s.n), i(s.c), i(s.h), i(s.w)),
        "cudnnSetTensor4dDescriptor (input)");
  check(api_, api_.setTensor4d(y_, kDnnNchw, kDnnFloat, i(s.n), i(s.k), i(s.p), i(s.q)),
        "cudnnSetTensor4dDescriptor (output)");
  check(api_, api_.setFilter4d(w_, kDnnFloat, kDnnNchw, i(s.k), i(s.c / s.groups), i(s.r), i(s.s)),
        "cudnnSetFilter4dDescriptor");
  check(api_,
        api_.setConv2d(conv_, i(s.padding[0]), i(s.padding[1]), i(s.stride[0]), i(s.stride[1]),
                       1, 1, kDnnCrossCorrelation, kDnnFloat),
        "cudnnSetConvolution2dDescriptor");
  check(api_, api_.setConvGroups(conv_, i(s.groups)), "cudnnSetConvolutionGroupCount");
  check(api_, api_.setConvMath(conv_, kDnnFmaMath), "cudnnSetConvolutionMathType");
  ConvAlgoPerf ranked[8] = {};
  int returned = 0;
  const char *name = pass == Pass::Forward        ? "forward"
                     : pass == Pass::BackwardData ? "backward-data"
                                                  : "backward-filter";
  switch (pass) {
  case Pass::Forward:
    check(api_, api_.forwardAlgorithms(handle_, x_, w_, conv_, y_, 8, &returned, ranked),
          "cudnnGetConvolutionForwardAlgorithm_v7");
    break;
  case Pass::BackwardData:
    check(api_,
          api_.backwardDataAlgorithms(handle_, w_, y_, conv_, x_, 8, &returned, ranked),
          "cudnnGetConvolutionBackwardDataAlgorithm_v7");
    break;
  case Pass::BackwardFilter:
    check(api_,
          api_.backwardFilterAlgorithms(handle_, x_, y_, conv_, w_, 8, &returned, ranked),
          "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
    break;
  }
  int chosen = -1;
  for (int k = 0; k < returned && chosen < 0; ++k)
    if (ranked[k].status == 0)
      chosen = k;
  if (chosen < 0)
    throw std::runtime_error(std::string("cuDNN has no ") + name +
                             " algorithm for a convolution of this shape");
  algo_ = ranked[chosen].algo;
  switch (pass) {
  case Pass::Forward:
    check(api_, api_.forwardWorkspace(handle_, x_, w_, conv_, y_, algo_, &workspace_),
          "cudnnGetConvolutionForwardWorkspaceSize");
    break;
  case Pass::BackwardData:
    check(api_, api_.backwardDataWorkspace(handle_, w_, y_, conv_, x_, algo_, &workspace_),
          "cudnnGetConvolutionBackwardDataWorkspaceSize");
    break;
  case Pass::BackwardFilter:
    check(api_, api_.backwardFilterWorkspace(handle_, x_, y_, conv_, w_, algo_, &workspace_),
          "cudnnGetConvolutionBackwardFilterWorkspaceSize");
    break;
  }
}

Convolution::~Convolution() {
  if (conv_)
    api_.destroyConv(conv_);
  if (w_)
    api_.destroyFilter(w_);
  for (TensorDesc t : {x_, y_})
    if (t)
      api_.destroyTensor(t);
}

void Convolution::run(CUdeviceptr a, CUdeviceptr b, CUdeviceptr out,
                      CUdeviceptr workspace) const {
  const float one = 1.0f, zero = 0.0f;
  auto p = [](CUdeviceptr d) { return reinterpret_cast<void *>(d); };
  switch (pass_) {
  case Pass::Forward: // (x, w) -> y
    check(api_,
          api_.forward(handle_, &one, x_, p(a), w_, p(b), conv_, algo_, p(workspace),
                       workspace_, &zero, y_, p(out)),
          "cudnnConvolutionForward");
    break;
  case Pass::BackwardData: // (dy, w) -> dx
    check(api_,
          api_.backwardData(handle_, &one, w_, p(b), y_, p(a), conv_, algo_, p(workspace),
                            workspace_, &zero, x_, p(out)),
          "cudnnConvolutionBackwardData");
    break;
  case Pass::BackwardFilter: // (x, dy) -> dw
    check(api_,
          api_.backwardFilter(handle_, &one, x_, p(a), y_, p(b), conv_, algo_, p(workspace),
                              workspace_, &zero, w_, p(out)),
          "cudnnConvolutionBackwardFilter");
    break;
  }
}

} // namespace tweedie::cuda
