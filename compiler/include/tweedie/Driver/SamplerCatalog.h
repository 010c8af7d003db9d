//===- SamplerCatalog.h - the samplers `--sampler NAME(k=v)` can name -----===//
//
// The command-line names of every compiled sampler and schedule, their
// options and defaults, and the parser of a spec such as
// "heun(steps=18, churn=0.5, schedule=karras(sigma_max=80))". Plain C++ (no
// MLIR), so tools print `--list-samplers` without building a context. The
// defaults repeat those of SamplerAttrs.td; SamplerCatalogTest checks that
// each one spelled out parses to the attribute's own default.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_DRIVER_SAMPLERCATALOG_H
#define TWEEDIE_DRIVER_SAMPLERCATALOG_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tweedie::catalog {

enum class ValueKind { Real, Integer, IntegerList, Choice, Flag, Schedule };

struct Option {
  std::string key;
  ValueKind kind;
  std::string defaultValue; // as the user would type it
  std::string help;
  std::vector<std::string> choices; // ValueKind::Choice
};

/// A sampler: `method` is the #sampler.<method> attribute it builds, with the
/// `fixed` parameters set (e.g. heun is #sampler.ode<solver = heun>).
struct Sampler {
  std::string name;
  std::string summary;
  std::string method;
  std::vector<std::pair<std::string, std::string>> fixed;
  int64_t defaultSteps;
  std::string stepsMeaning;
  std::vector<Option> options; // the method's own
};

/// A schedule: #sampler.<name><options>.
struct Schedule {
  std::string name;
  std::string summary;
  std::vector<Option> options;
};

const std::vector<Sampler> &samplers();
const std::vector<Schedule> &schedules();
/// Options every sampler takes (steps, schedule, prediction, spacing, ...).
const std::vector<Option> &commonOptions();

const Sampler *findSampler(const std::string &name);
const Schedule *findSchedule(const std::string &name);

/// NAME or NAME(key=value, ...); a value may itself be NAME(...).
struct Spec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> arguments;
};
std::optional<Spec> parseSpec(const std::string &text, std::string &error);

/// `value` checked against `option` and written as MLIR attribute syntax
/// ("0.5" -> "0.5", "1" for a Real -> "1.0"); nullopt and `error` when it
/// does not fit.
std::optional<std::string> toAttributeValue(const Option &option, const std::string &value,
                                            std::string &error);

using Arguments = std::vector<std::pair<std::string, std::string>>;

/// The option of `options` named `key`, or null.
const Option *findOption(const std::vector<Option> &options, const std::string &key);
/// "a, b, c" (or "none").
std::string keysOf(const std::vector<Option> &options);

/// "#sampler.MNEMONIC<k = v, ...>" from an entry's `options`, the user's
/// `arguments` (each checked against its option) and `fixed` parameters;
/// nullopt and `error` when an argument does not fit.
std::optional<std::string> attributeText(const std::string &mnemonic,
                                         const std::vector<Option> &options,
                                         const Arguments &fixed, const Arguments &arguments,
                                         std::string &error);

/// A schedule spec, NAME or NAME(key=value, ...), as attribute text, with
/// `defaults` for the options it leaves out (where the schedule has them);
/// nullopt and `error` naming an unknown schedule or option.
std::optional<std::string> scheduleAttributeText(const std::string &spec,
                                                 const Arguments &defaults, std::string &error);

/// The text `tweedie-compile --list-samplers` prints.
std::string describe();

} // namespace tweedie::catalog

#endif
