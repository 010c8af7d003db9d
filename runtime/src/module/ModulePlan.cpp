//===- ModulePlan.cpp - a module's execution plan as text -----------------===//
//
// What `tweedie-compile --compile-to=module` and `tweedie-run --plan` print:
// every value (where it lives: arena offset per sample, constant or per-step
// table) and every op in execution order with its operands, result,
// attributes, activation and generated kernel.
//
//===----------------------------------------------------------------------===//
#include "tweedie/module/ModuleDesc.h"

#include <cstdio>
#include <string>

namespace tweedie::module {

namespace {

std::string shapeText(const std::vector<int64_t> &shape, bool batched) {
  std::string s = batched ? "[B" : "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i || batched ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string valueName(int32_t index) { return index < 0 ? "-" : "%" + std::to_string(index); }

std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", x);
  return text;
}

/// At most `shown` entries of a list, then how many more.
template <typename T, typename Fn>
std::string listText(const std::vector<T> &values, Fn format, size_t shown = 8) {
  std::string s = "[";
  for (size_t i = 0; i < values.size() && i < shown; ++i)
    s += (i ? ", " : "") + format(values[i]);
  if (values.size() > shown)
    s += ", ... (" + std::to_string(values.size()) + " in all)";
  return s + "]";
}

} // namespace

std::string formatPlan(const ModuleDesc &d) {
  std::string out = "// Execution plan: " + std::to_string(d.body.size()) + " ops ";
  out += d.integrator ? "per velocity evaluation (adaptive, at most " : "per step (";
  out += std::to_string(d.steps) + " steps), arena " + std::to_string(d.arenaBytesPerSample) +
         " bytes per sample\n";
  out += "state " + valueName(d.state) + " -> " + valueName(d.nextState);
  for (size_t k = 0; k < d.extraStates.size(); ++k)
    out += ", " + valueName(d.extraStates[k]) + " -> " + valueName(d.nextExtraStates[k]);
  if (d.priorScale != 1.0)
    out += ", prior scale " + number(d.priorScale);
  if (d.integrator)
    out += ", time " + valueName(d.integrator->time) + " from " + number(d.integrator->tStart) +
           " to " + number(d.integrator->tEnd);
  out += "\nvalues:\n";
  for (size_t i = 0; i < d.values.size(); ++i) {
    const ValueDesc &v = d.values[i];
    out += "  " + valueName(static_cast<int32_t>(i)) + " ";
    switch (v.kind) {
    case ValueKind::Arena:
      out += "arena " + shapeText(v.shape, true) + " at " + std::to_string(v.offset);
      break;
    case ValueKind::Whole:
      out += "whole " + shapeText(v.shape, false) + " at " + std::to_string(v.offset);
      break;
    case ValueKind::Constant:
    case ValueKind::TableRow: {
      const bool known = v.offset >= 0 && v.offset < static_cast<int64_t>(d.constants.size());
      out += std::string(v.kind == ValueKind::Constant ? "constant " : "step row of ") +
             shapeText(v.shape, false) + " '" +
             (known ? d.constants[v.offset].name : std::string("?")) + "'";
      break;
    }
    }
    if (v.channelsLast)
      out += " channels-last";
    out += "\n";
  }
  for (const CudaKernelsDesc &k : d.cudaKernels)
    out += "cuda kernels: " + k.arch + ", " + std::to_string(k.ptx.size()) + " bytes of PTX\n";
  out += "ops:\n";
  for (size_t i = 0; i < d.body.size(); ++i) {
    const OpDesc &op = d.body[i];
    out += "  #" + std::to_string(i) + " " + valueName(op.result) + " = " +
           opKindName(op.kind) + "(";
    for (size_t k = 0; k < op.operands.size(); ++k)
      out += (k ? ", " : "") + valueName(op.operands[k]);
    out += ")";
    if (op.act != Activation::None)
      out += std::string(" act ") + activationName(op.act);
    if (!op.ints.empty())
      out += " ints " + listText(op.ints, [](int64_t x) { return std::to_string(x); });
    if (!op.floats.empty())
      out += " floats " + listText(op.floats, number, 4);
    if (!op.kernel.empty())
      out += " kernel @" + op.kernel;
    out += "\n";
  }
  return out;
}

} // namespace tweedie::module
