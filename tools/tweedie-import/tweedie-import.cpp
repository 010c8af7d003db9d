//===- tweedie-import.cpp - an ONNX score network -> .mlir + .safetensors -===//
//
// tweedie-import model.onnx [-o model.mlir] [--weights-out model.safetensors]
//     [--schedule "ddpm_linear(timesteps=1000)"] [--prediction eps]
//
// The output is a network like the bundled ones: tweedie-compile samples it
// with any --sampler, tweedie-train trains it further.
//
//===----------------------------------------------------------------------===//
#include "SchedulerConfig.h"
#include "tweedie/Driver/SamplerCatalog.h"
#include "tweedie/Import/OnnxImport.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/SafeTensors.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace fs = std::filesystem;
using namespace tweedie;

namespace {

struct Options {
  std::string input, output, weightsOut, schedule, prediction, schedulerConfig;
  std::optional<int64_t> steps;
  OnnxImportOptions import;
};

int run(const Options &o) {
  const fs::path input(o.input);
  const fs::path output = o.output.empty() ? fs::path(input).replace_extension(".mlir")
                                           : fs::path(o.output);
  const fs::path weightsOut = o.weightsOut.empty()
                                  ? fs::path(output).replace_extension(".safetensors")
                                  : fs::path(o.weightsOut);
  io::checkWritable(output, "-o");
  io::checkWritable(weightsOut, "--weights-out");
  OnnxImportOptions options = o.import;
  std::string error;
  std::string schedule = o.schedule, prediction = o.prediction;
  if (!o.schedulerConfig.empty()) {
    // --schedule and --prediction, when given, override the config's.
    const tools::SchedulerConfig config = tools::readSchedulerConfig(o.schedulerConfig, o.steps);
    if (schedule.empty())
      schedule = config.schedule;
    if (prediction.empty())
      prediction = config.prediction;
    fmt::print(stderr, "tweedie-import: {}: schedule {}, prediction {}; nearest sampler: "
                       "--sampler \"{}\"\n",
               o.schedulerConfig, config.schedule, config.prediction, config.sampler);
    for (const std::string &setting : config.notReproduced)
      fmt::print(stderr, "tweedie-import: {}: not reproduced: {}\n", o.schedulerConfig,
                 setting);
  }
  if (!schedule.empty()) {
    std::optional<std::string> text =
        schedule.front() == '#' ? std::optional<std::string>(schedule)
                                : catalog::scheduleAttributeText(schedule, {}, error);
    if (!text)
      throw std::invalid_argument("--schedule: " + error);
    options.scheduleAttr = *text;
  }
  options.prediction = prediction;
  std::optional<onnx::Model> model = onnx::readModel(input, error);
  if (!model)
    throw std::runtime_error(error);
  OnnxImportResult result;
  if (!importOnnx(*model, options, result, error))
    throw std::runtime_error(o.input + ": " + error);

  io::SafeTensorsFile weights;
  weights.metadata["tweedie.imported_from"] = input.filename().string();
  for (const ImportedWeight &w : result.weights)
    weights.tensors[w.name] = io::NamedTensor::fromFloat32(w.name, w.shape, w.values);
  weights.write(weightsOut);
  const std::string &text = result.mlir;
  io::writeFileAtomically(output, std::as_bytes(std::span(text.data(), text.size())));
  int64_t parameters = 0;
  for (const ImportedWeight &w : result.weights)
    parameters += static_cast<int64_t>(w.values.size());
  fmt::print(stderr,
             "tweedie-import: {} ({} nodes, {} folded at import) -> {} and {} ({} weights, {} "
             "parameters){}\n",
             o.input, result.nodes, result.folded, output.string(), weightsOut.string(),
             result.weights.size(), parameters,
             options.scheduleAttr.empty() || options.prediction.empty()
                 ? "; without --schedule and --prediction, tweedie-compile needs them in "
                   "--sampler"
                 : "");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Import a score network exported to ONNX (torch.onnx.export with a dynamic "
               "batch) as a score-dialect .mlir and its weights as .safetensors, for "
               "tweedie-compile and tweedie-train.",
               "tweedie-import"};
  Options o;
  app.add_option("model", o.input, "The ONNX model (.onnx)")->required()->check(CLI::ExistingFile);
  app.add_option("-o,--output", o.output, "The network (.mlir; default: the model's name)");
  app.add_option("--weights-out", o.weightsOut,
                 "Its weights (.safetensors; default: beside the output)");
  app.add_option("--sample-input", o.import.sampleInput,
                 "The graph input holding the noisy sample (default: the one of rank >= 2)");
  app.add_option("--time-input", o.import.timeInput,
                 "The graph input holding the time, step or noise level (default: the one of "
                 "rank 1)");
  app.add_option("--network", o.import.network, "The function's name")->capture_default_str();
  app.add_option("--schedule", o.schedule,
                 "The schedule the network was trained on, as NAME(key=value, ...) (see "
                 "tweedie-compile --list-samplers), e.g. \"ddpm_linear(timesteps=1000)\"");
  app.add_option("--prediction", o.prediction, "What the network returns")
      ->check(CLI::IsMember({"eps", "x0", "v", "score"}));
  app.add_option("--scheduler-config", o.schedulerConfig,
                 "A diffusers scheduler_config.json: its beta schedule and prediction type "
                 "(--schedule and --prediction override them), and the nearest --sampler")
      ->check(CLI::ExistingFile);
  app.add_option("--steps", o.steps,
                 "With --scheduler-config: the sampling steps the suggested --sampler takes "
                 "(some diffusers grids depend on them: they are spelled out as "
                 "timesteps=[...])")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception &e) {
    fmt::print(stderr, "tweedie-import: {}\n", e.what());
    return 1;
  }
}
