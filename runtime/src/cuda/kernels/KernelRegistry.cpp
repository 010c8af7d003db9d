//===- KernelRegistry.cpp - the CUDA kernel of each op kind ---------------===//
#include "cuda/OpKernel.h"
#include "tweedie/module/DeviceKernels.h"

#include <stdexcept>

namespace tweedie::cuda {

using module::ValueKind;

void Launcher::launch(const std::string &name, int64_t threads, std::vector<void *> params) {
  auto [it, added] = functions_.try_emplace(name, nullptr);
  if (added)
    it->second = context.function(module_, name);
  context.enqueue(it->second, threads, std::move(params), stream);
}

void Launcher::strided(const std::string &name, CUdeviceptr out,
                       std::vector<CUdeviceptr> inputs, int64_t n, std::vector<int64_t> sizes,
                       std::vector<std::vector<int64_t>> strides) {
  const size_t rank = module::kGatherRank;
  if (sizes.size() > rank)
    throw std::invalid_argument("an op over more than " + std::to_string(rank) + " axes");
  sizes.insert(sizes.begin(), rank - sizes.size(), 1);
  std::vector<void *> params = {&out};
  for (CUdeviceptr &input : inputs)
    params.push_back(&input);
  params.push_back(&n);
  for (int64_t &v : sizes)
    params.push_back(&v);
  for (std::vector<int64_t> &s : strides) {
    s.insert(s.begin(), rank - s.size(), 0);
    for (int64_t &v : s)
      params.push_back(&v);
  }
  launch(name, n, params);
}

CUdeviceptr DeviceFrame::pointer(int32_t value) const {
  if (value < 0)
    return 0;
  const module::ValueDesc &v = desc.values[value];
  switch (v.kind) {
  case ValueKind::Arena: // value-major: a value's rows lie together
    return arena + static_cast<CUdeviceptr>(rows * v.offset);
  case ValueKind::Constant:
    return constants[v.offset];
  case ValueKind::TableRow:
    return constants[v.offset] + static_cast<CUdeviceptr>(step * v.numel() * 4);
  case ValueKind::Whole:
    if (!whole)
      break;
    return whole + static_cast<CUdeviceptr>(v.offset);
  }
  throw std::invalid_argument("a batch-free value outside a whole-batch run");
}

int64_t DeviceFrame::count(int32_t value) const {
  const module::ValueDesc &v = desc.values[value];
  return v.kind == ValueKind::Arena ? rows * v.numel() : v.numel();
}

std::vector<int64_t> DeviceFrame::fullShape(int32_t value) const {
  const module::ValueDesc &v = desc.values[value];
  std::vector<int64_t> full = v.shape;
  if (v.kind == ValueKind::Arena)
    full.insert(full.begin(), rows);
  return full;
}

std::vector<int64_t> broadcastStrides(const DeviceFrame &frame, int32_t value,
                                      const std::vector<int64_t> &out) {
  // NumPy: align the trailing axes; an axis of 1 against a longer one repeats.
  std::vector<int64_t> shape = frame.fullShape(value);
  shape.insert(shape.begin(), out.size() - shape.size(), 1);
  std::vector<int64_t> strides(shape.size(), 0);
  int64_t stride = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    strides[k] = shape[k] == 1 && out[k] != 1 ? 0 : stride;
    stride *= shape[k];
  }
  return strides;
}

std::unique_ptr<DeviceOpKernel> prepareDeviceKernel(const DeviceKernelSetup &setup) {
  const module::OpDesc &op = setup.op;
  const std::string name = module::opKindName(op.kind);
  bool channelsLast = setup.desc.values[op.result].channelsLast;
  for (int32_t v : op.operands)
    channelsLast |= v >= 0 && setup.desc.values[v].channelsLast;
  if (channelsLast)
    throw std::invalid_argument(name +
                                " on channels-last values (compile with --layout plain for CUDA)");
  for (auto group : {prepareLinearDeviceKernel, prepareNormalizationDeviceKernel,
                     prepareElementwiseDeviceKernel, prepareDataMovementDeviceKernel,
                     prepareSamplerStepDeviceKernel})
    if (std::unique_ptr<DeviceOpKernel> kernel = group(setup))
      return kernel;
  throw std::invalid_argument(name);
}

} // namespace tweedie::cuda
