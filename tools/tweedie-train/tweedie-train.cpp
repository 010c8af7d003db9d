//===- tweedie-train.cpp - train a score network with a DSM objective -----===//
//
// Compiles the network's loss and gradient (Driver/CompileTraining.h), then
// repeats: draw a batch, run the training step, update with Adam. Data and
// noise of step s are keyed by (seed, s), so --resume from a checkpoint
// continues exactly as the uninterrupted run would have.
//
//===----------------------------------------------------------------------===//
#include "CliChecks.h"
#include "LayoutOption.h"
#include "ProgressBar.h"
#include "TrainingData.h"
#include "tweedie/BatchExecutor.h"
#include "tweedie/Driver/CompileTraining.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/FormatError.h"
#include "tweedie/train/Checkpoint.h"
#include "tweedie/train/Optimizer.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

namespace fs = std::filesystem;
using namespace tweedie;

namespace {

struct Options {
  TrainingCompileOptions compile;
  std::string data = "8gaussians";
  double holdout = 0.05;
  bool resize = false;
  std::string objective = "dsm";
  int64_t probes = 1;
  std::string probe = "rademacher";
  int64_t steps = 10000, batch = 256;
  uint64_t seed = 0;
  train::AdamOptions adam;
  std::string output, resume, exportPath, logPath;
  int64_t checkpointEvery = 0;
  bool progress = true;
  bool profile = false;
  std::string device = "cpu";
};

/// The steady steps' time per op kind (the first step builds the primitives).
void printProfile(const BatchExecutor::Profile &p, double adamSeconds) {
  if (p.runs == 0)
    return;
  double total = adamSeconds;
  for (const BatchExecutor::OpTime &t : p.byKind)
    total += t.seconds;
  fmt::print(stderr, "profile of {} steps after the first: {:.3f} s per step, {} reorders per "
                     "step\n  {:<28} {:>10} {:>7} {:>8}\n",
             p.runs, total / p.runs, p.reorders / p.runs, "op kind", "ms/step", "share",
             "calls");
  auto row = [&](const std::string &kind, double seconds, int64_t calls) {
    fmt::print(stderr, "  {:<28} {:>10.2f} {:>6.1f}% {:>8}\n", kind, 1e3 * seconds / p.runs,
               100 * seconds / total, calls / p.runs);
  };
  for (const BatchExecutor::OpTime &t : p.byKind)
    row(t.kind, t.seconds, t.calls);
  row("adam (optimiser)", adamSeconds, p.runs);
}

/// What must agree between a checkpoint and a run resuming it.
std::map<std::string, std::string> settingsOf(const Options &o, const TrainingCompileResult &c) {
  return {{"tweedie.network", c.network},   {"tweedie.schedule", c.schedule},
          {"tweedie.prediction", c.prediction},
          {"tweedie.objective", o.objective == "sliced"
                                    ? fmt::format("sliced({} {})", o.probes, o.probe)
                                    : o.objective},
          {"tweedie.data", o.data},         {"tweedie.batch", std::to_string(o.batch)},
          {"tweedie.seed", std::to_string(o.seed)},
          {"tweedie.lr", fmt::format("{}", o.adam.learningRate)},
          {"tweedie.ema", fmt::format("{}", o.adam.emaDecay)}};
}

/// A user's data also fixes which examples were held out.
std::map<std::string, std::string> settingsOf(const Options &o, const TrainingCompileResult &c,
                                              bool userData) {
  std::map<std::string, std::string> settings = settingsOf(o, c);
  if (userData)
    settings["tweedie.holdout"] = fmt::format("{}", o.holdout);
  return settings;
}

/// The mean loss over the held-out examples, each visited in turn in batches
/// of --batch (the last one wrapping around), with the objective's noise on
/// its own seed: every evaluation of a run sees the same draws.
double heldOutLoss(BatchExecutor &step, const train::ExampleSet &held, const Options &o) {
  const int64_t batches = (held.count + o.batch - 1) / o.batch;
  const uint64_t seed = o.seed ^ 0x6A09E667F3BCC909ull;
  double sum = 0;
  for (int64_t k = 0; k < batches; ++k) {
    std::vector<int64_t> indices(static_cast<size_t>(o.batch));
    for (int64_t r = 0; r < o.batch; ++r)
      indices[r] = (k * o.batch + r) % held.count;
    const std::vector<float> examples = held.gather(indices);
    sum += step.run(examples.data(), seed, k, nullptr);
  }
  return sum / static_cast<double>(batches);
}

/// The noise of the objective and the data draws use separate keys.
uint64_t dataSeed(uint64_t seed) { return seed ^ 0xD1B54A32D192ED03ull; }

int run(const Options &o) {
  // Every output is checked before the first step: a typo in a directory must
  // not cost the whole run.
  if (o.compile.compileTo.empty())
    for (const auto &[path, flag] : {std::pair{o.output, "-o"}, {o.exportPath, "--export"},
                                     {o.logPath, "--log"}})
      if (!path.empty())
        io::checkWritable(path, flag);
  Options options = o;
  const bool cuda = o.device == "cuda";
  options.compile.cudaKernels = cuda;
  options.compile.lognormal = o.objective == "edm";
  options.compile.probes = o.objective == "sliced" ? o.probes : 0;
  options.compile.gaussianProbes = o.probe == "gaussian";
  options.compile.crossEntropy = o.objective == "cross-entropy";
  TrainingCompileResult compiled;
  if (!compileTraining(options.compile, compiled))
    return 1;
  if (!options.compile.compileTo.empty()) {
    fmt::print("{}", compiled.ir);
    return 0;
  }
  const bool userData = train::namesUserData(o.data);
  const tools::TrainingData data = tools::openTrainingData(
      o.data, dataSeed(o.seed), {compiled.step.sampleShape, o.resize, o.holdout});
  if (compiled.step.sampleShape != data.sampleShape)
    throw std::invalid_argument(fmt::format("--data {} has examples shaped [{}], but @{} takes "
                                            "[{}]",
                                            o.data, fmt::join(data.sampleShape, ", "),
                                            compiled.network,
                                            fmt::join(compiled.step.sampleShape, ", ")));

  BatchExecutor step(std::move(compiled.step), o.batch,
                     cuda ? BatchDevice::Cuda : BatchDevice::Cpu);
  if (step.numClasses() > 0 && step.numClasses() != data.numClasses)
    throw std::invalid_argument(
        data.numClasses ? fmt::format("--data {} has {} classes, but @{} has {} logits", o.data,
                                      data.numClasses, compiled.network, step.numClasses())
                        : fmt::format("--objective cross-entropy needs labelled data "
                                      "(fashion-mnist), not --data {}",
                                      o.data));
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::span<float>> weights;
  std::vector<std::span<const float>> initial;
  for (size_t k = 0; k < step.numParameters(); ++k) {
    names.push_back(step.parameterName(k));
    shapes.push_back(step.parameterShape(k));
    weights.push_back(step.parameter(k));
    initial.emplace_back(weights.back().begin(), weights.back().end());
  }
  const std::map<std::string, std::string> settings = settingsOf(o, compiled, userData);
  int64_t first = 0;
  std::vector<train::ParameterState> state = train::Adam::initialState(names, shapes, initial);
  if (!o.resume.empty()) {
    train::Checkpoint c = train::readCheckpoint(o.resume);
    for (const auto &[key, value] : settings) {
      auto it = c.settings.find(key);
      if (it == c.settings.end() || it->second != value)
        throw std::invalid_argument(fmt::format(
            "--resume {}: it was trained with {} = '{}', this run has '{}'", o.resume, key,
            it == c.settings.end() ? "(none)" : it->second, value));
    }
    if (c.state.size() != names.size())
      throw std::invalid_argument("--resume: the checkpoint's parameters are not the network's");
    for (size_t k = 0; k < names.size(); ++k) {
      if (c.state[k].name != names[k] || c.state[k].shape != shapes[k])
        throw std::invalid_argument("--resume: parameter '" + c.state[k].name +
                                    "' does not match the network's '" + names[k] + "'");
      std::copy(c.weights[k].begin(), c.weights[k].end(), weights[k].begin());
    }
    if (c.step > o.steps)
      throw std::invalid_argument(fmt::format(
          "--resume {}: the checkpoint is at step {}, beyond --steps {} (--steps counts all "
          "steps, resumed ones included)",
          o.resume, c.step, o.steps));
    state = std::move(c.state);
    first = c.step;
  }
  train::Adam adam(o.adam, std::move(state), first);

  std::FILE *log = nullptr;
  if (!o.logPath.empty()) {
    log = std::fopen(o.logPath.c_str(), first > 0 ? "a" : "w");
    if (!log)
      throw std::runtime_error("cannot write the loss log " + o.logPath);
    if (first == 0)
      fmt::print(log, "step,loss,grad_norm,lr\n");
  }
  auto save = [&](int64_t done) {
    train::Checkpoint c;
    c.step = done;
    c.settings = settings;
    for (size_t k = 0; k < names.size(); ++k)
      c.weights.emplace_back(weights[k].begin(), weights[k].end());
    c.state = adam.state();
    train::writeCheckpoint(o.output, c);
  };

  tools::ProgressBar bar(o.progress, "training");
  const auto start = std::chrono::steady_clock::now();
  // The first step also builds the library's primitives and touches the
  // memory: the steady rate is timed from the second step on.
  std::chrono::steady_clock::time_point afterFirst;
  double smoothed = 0.0, adamSeconds = 0.0;
  for (int64_t s = first; s < o.steps; ++s) {
    const tools::Batch batch = data.draw(static_cast<uint32_t>(s), o.batch);
    const double loss = step.run(batch.examples.data(), o.seed, s,
                                 step.numClasses() ? batch.labels.data() : nullptr);
    std::vector<std::span<const float>> grads;
    for (size_t k = 0; k < names.size(); ++k)
      grads.push_back(step.gradient(k));
    const double lr = adam.currentLearningRate();
    const auto beforeAdam = std::chrono::steady_clock::now();
    const double norm = adam.update(weights, grads);
    if (s > first)
      adamSeconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - beforeAdam).count();
    smoothed = s == first ? loss : 0.98 * smoothed + 0.02 * loss;
    if (log)
      fmt::print(log, "{},{:.9g},{:.9g},{:.9g}\n", s + 1, loss, norm, lr);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.update(s + 1 - first, o.steps - first,
               fmt::format("loss {:.4f}  {:.0f} steps/s", smoothed,
                           (s + 1 - first) / std::max(seconds, 1e-9)));
    if (o.checkpointEvery > 0 && (s + 1) % o.checkpointEvery == 0 && s + 1 < o.steps)
      save(s + 1);
    if (s == first) {
      afterFirst = std::chrono::steady_clock::now();
      if (o.profile)
        step.enableProfile();
    }
  }
  const auto loopEnd = std::chrono::steady_clock::now();
  bar.finish();
  if (log)
    std::fclose(log);
  save(o.steps);
  if (!o.exportPath.empty()) {
    std::vector<std::vector<float>> ema;
    for (const train::ParameterState &s : adam.state())
      ema.push_back(s.ema);
    std::map<std::string, std::string> metadata = settings;
    metadata["tweedie.step"] = std::to_string(o.steps);
    metadata["tweedie.weights"] = o.adam.emaDecay > 0 ? "ema" : "last";
    train::writeWeights(o.exportPath, adam.state(), ema, metadata);
  }
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start).count();
  const int64_t done = o.steps - first;
  std::string rate;
  if (done > 1)
    rate = fmt::format(", {:.3f} s per step after the first",
                       std::chrono::duration<double>(loopEnd - afterFirst).count() / (done - 1));
  fmt::print(stderr, "trained @{} for {} steps ({:.2f} s{}); final loss (smoothed) {:.4f}\n",
             compiled.network, done, seconds, rate, smoothed);
  if (data.heldOut)
    fmt::print(stderr, "held-out loss {:.4f} over {} examples not trained on\n",
               heldOutLoss(step, *data.heldOut, o), data.heldOut->count);
  if (o.profile)
    printProfile(step.profile(), adamSeconds);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Train a score network with denoising score matching (or a classifier with "
               "cross-entropy). Compiles the network's loss and its gradient, then runs Adam "
               "on batches drawn in-process.",
               "tweedie-train"};
  Options o;
  app.add_option("model", o.compile.input, "The network (.mlir)")->required();
  app.add_option("--network", o.compile.network,
                 "The network function (default: the one with a sampler.schedule)");
  app.add_option("--schedule", o.compile.schedule,
                 "Noise schedule attribute (default: the network's), e.g. \"#sampler.vp<>\"");
  app.add_option("--prediction", o.compile.prediction,
                 "What the network predicts: eps, x0, score or energy (default: the network's)");
  app.add_option("--objective", o.objective,
                 "dsm: the schedule's own levels (DDPM L_simple, continuous DSM, NCSN); "
                 "edm: log-normal sigma; sliced: sliced score matching at the schedule's "
                 "levels; cross-entropy: a classifier (logits) on labelled data")
      ->check(CLI::IsMember({"dsm", "edm", "sliced", "cross-entropy"}))
      ->capture_default_str();
  app.add_option("--probes", o.probes, "Sliced score matching: probe vectors per example")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--probe", o.probe, "Sliced score matching: the probes' law")
      ->check(CLI::IsMember({"rademacher", "gaussian"}))
      ->capture_default_str();
  app.add_option("--data", o.data, "Training data: 8gaussians, rings, moons, swissroll, checkerboard, "
                 "fashion-mnist (from Debian's dataset-fashion-mnist), a float32 .npy of "
                 "[N, ...] examples, or a folder of PNG images (grey or RGB, scaled to [-1, 1])")
      ->capture_default_str();
  app.add_option("--holdout", o.holdout,
                 "A .npy's or folder's share of examples held out of training; their loss is "
                 "reported at the end")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.5));
  app.add_flag("--resize", o.resize,
               "Resize PNG images of another size to the network's (bilinear) instead of "
               "refusing them");
  app.add_option("--steps", o.steps, "Training steps (in total, counting resumed ones)")
      ->check(tools::wholeNumberIn(1, int64_t{1} << 32))->capture_default_str();
  // The data and noise streams key an example by a 32-bit row.
  app.add_option("--batch", o.batch, "Examples per step")
      ->check(tools::wholeNumberIn(1, 65536))->capture_default_str();
  app.add_option("--lr", o.adam.learningRate, "Adam learning rate")
      ->check(tools::realIn(0, 1, /*openLow=*/true))->capture_default_str();
  app.add_option("--weight-decay", o.adam.weightDecay, "Decoupled weight decay (AdamW)")
      ->check(tools::realIn(0, 1))->capture_default_str();
  app.add_option("--warmup", o.adam.warmupSteps, "Learning-rate warm-up steps")
      ->check(tools::wholeNumberIn(0, int64_t{1} << 32))->capture_default_str();
  app.add_option("--clip", o.adam.clipNorm, "Clip gradients to this global norm (0: off)")
      ->check(tools::realIn(0, 1e30))->capture_default_str();
  o.adam.emaDecay = 0.999;
  app.add_option("--ema", o.adam.emaDecay, "EMA decay of the weights (0: off)")
      ->check(tools::realIn(0, 0.999999999))->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of the data, noise and initial weights")
      ->check(tools::seedNumber())->capture_default_str();
  app.add_option("-o,--output", o.output, "Checkpoint to write (.safetensors)");
  app.add_option("--resume", o.resume, "Continue from this checkpoint");
  app.add_option("--export", o.exportPath,
                 "Also write the EMA weights (the ones to sample with) to this .safetensors");
  app.add_option("--log", o.logPath, "Write step,loss,grad_norm,lr per step to this CSV");
  app.add_option("--checkpoint-every", o.checkpointEvery, "Write the checkpoint every N steps")
      ->check(tools::wholeNumberIn(0, int64_t{1} << 32));
  app.add_option("--init", o.compile.weights, "Initial weights (default: synthetic, from --seed)");
  app.add_option("--compile-to", o.compile.compileTo,
                 "Print the IR after this phase and stop: objective, loss, gradient, or the "
                 "runtime's plan of the step")
      ->check(CLI::IsMember(trainingPhases()));
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "No progress bar");
  tools::addLayoutOption(app, o.compile.layout);
  app.add_flag("--profile", o.profile,
               "After training, print where the steps after the first spent their time, per "
               "op kind (CPU only)");
  app.add_option("--device", o.device,
                 "Where the training step runs: cpu, or cuda (the first NVIDIA GPU; the "
                 "optimiser stays on the host, so checkpoints are the same either way)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.profile && o.device != "cpu") {
    fmt::print(stderr, "tweedie-train: --profile times the CPU backend's ops only\n");
    return 2;
  }
  o.progress = !quiet;
  o.compile.syntheticSeed = o.seed;
  if (o.compile.compileTo.empty() && o.output.empty()) {
    fmt::print(stderr, "tweedie-train: -o CHECKPOINT is required (or --compile-to)\n");
    return 2;
  }
  try {
    return run(o);
  } catch (const std::exception &e) {
    fmt::print(stderr, "tweedie-train: {}\n", e.what());
    return 1;
  }
}
