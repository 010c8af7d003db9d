//===- KernelRegistry.cpp - the CPU backend's kernel of every op kind -----===//
#include "cpu/OpKernel.h"

#include <stdexcept>
#include <string>

namespace tweedie::cpu {

using module::ValueKind;

namespace {

using Factory = std::unique_ptr<OpKernel> (*)(const KernelSetup &);

/// Indexed by OpKind: a kind of Ops.def without a factory does not link.
constexpr Factory kFactories[] = {
#define TWEEDIE_OP(Kind, name, operands, optional) &prepare##Kind##Kernel,
#include "tweedie/module/Ops.def"
};
static_assert(std::size(kFactories) == module::kNumAllOpKinds);

} // namespace

const char *driverName(Driver driver) {
  return driver == Driver::Sampler ? "the sampler loop" : "whole batches";
}

float *Frame::pointer(int32_t index) const {
  const module::ValueDesc &v = desc.values[index];
  switch (v.kind) {
  case ValueKind::Arena:
    return arena + batch * (v.offset / 4);
  case ValueKind::Whole:
    return whole + v.offset / 4;
  case ValueKind::Constant:
    return const_cast<float *>(desc.constants[v.offset].data.data());
  case ValueKind::TableRow:
    return const_cast<float *>(desc.constants[v.offset].data.data()) + step * v.numel();
  }
  return nullptr;
}

Dims Frame::fullShape(int32_t index) const {
  const module::ValueDesc &v = desc.values[index];
  Dims s = v.shape;
  if (v.kind == ValueKind::Arena)
    s.insert(s.begin(), batch);
  return s;
}

int64_t OpArgs::outCount() const { return product(outShape()); }

Dims OpArgs::physicalShapeLikeOut(size_t i) const {
  Dims padded = shape(i);
  const size_t rank = outShape().size();
  if (padded.size() < rank)
    padded.insert(padded.begin(), rank - padded.size(), 1);
  return module::physicalShape(padded, outChannelsLast());
}

const float *OpArgs::tableRow(size_t i) const {
  return i < op.operands.size() && op.operands[i] >= 0 &&
                 frame.desc.values[op.operands[i]].kind == ValueKind::TableRow
             ? in(i)
             : nullptr;
}

std::span<const float> KernelSetup::constantData(int32_t index) const {
  if (index < 0)
    return {};
  const module::ValueDesc &v = desc.values[index];
  const module::ConstantDesc &c = desc.constants[v.offset];
  return std::span<const float>(c.data.data(), v.numel());
}

std::unique_ptr<OpKernel> prepareKernel(const KernelSetup &setup) {
  const auto index = static_cast<size_t>(setup.op.kind);
  std::unique_ptr<OpKernel> kernel =
      index < std::size(kFactories) ? kFactories[index](setup) : nullptr;
  if (!kernel)
    throw std::invalid_argument(std::string("the CPU backend cannot run ") +
                                module::opKindName(setup.op.kind) + " on " +
                                driverName(setup.driver) + " yet");
  return kernel;
}

} // namespace tweedie::cpu
