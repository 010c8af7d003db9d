//===- tweedie-bench.cpp - measurements of the samplers -------------------===//
//
// `tweedie-bench orders`: the convergence order of every probability-flow
// ODE solver on every process, measured against the exact flow of Gaussian
// data (float64, the same tables the compiler folds into the sampler).
//
// `tweedie-bench sample MODULE`: the steady-state wall time of a compiled
// sampler, per step and per op kind, with its reorders, arena and peak RSS.
//
//===----------------------------------------------------------------------===//
#include "SampleProfile.h"
#include "tweedie/Numerics/Convergence.h"
#include "tweedie/Numerics/StageSchemes.h"
#include "tweedie/Numerics/DiscreteSchedules.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

using namespace tweedie::numerics;

namespace {

struct Solver {
  const char *name;
  SchemeMethod method;
  double order;
  int64_t coarse; // step counts coarse .. 8 x coarse
};

const Solver kSolvers[] = {
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  {#name, SchemeMethod::Enum, order, coarse},
#include "tweedie/Numerics/OdeSolvers.def"
};

struct NamedProcess {
  const char *name;
  Process process;
};

int orders(const std::string &prediction, bool verbose) {
  const NamedProcess processes[] = {{"vp", Process::vp(0.1, 20.0)},
                                    {"subvp", Process::subVP(0.1, 20.0)},
                                    {"ve", Process::ve(0.01, 50.0)},
                                    {"sigma", Process::sigmaTime()},
                                    {"ddpm", Process::discreteVP(alphaBars(
                                                 linearBetas(1000, 1e-4, 0.02)))}};
  const Prediction pred = prediction == "x0"      ? Prediction::X0
                          : prediction == "v"     ? Prediction::V
                          : prediction == "score" ? Prediction::Score
                                                  : Prediction::Eps;
  fmt::print("Convergence order: log-log slope of the end-point error against the step count\n"
             "(Gaussian data, exact probability-flow map, grids uniform in logSNR, slope "
             "between the two finest; {} prediction, float64)\n\n",
             prediction);
  fmt::print("| {:<16} |", "solver");
  for (const NamedProcess &p : processes)
    fmt::print(" {:>6} |", p.name);
  fmt::print(" expected |\n|{:-<18}|", "");
  for (size_t i = 0; i < std::size(processes); ++i)
    fmt::print("{:-<8}|", "");
  fmt::print("{:-<10}|\n", "");
  int worst = 0;
  for (const Solver &s : kSolvers) {
    fmt::print("| {:<16} |", s.name);
    std::string detail;
    for (const NamedProcess &p : processes) {
      OrderMeasurement m = measureOrder(s.method, p.process, pred, s.coarse);
      const bool off = !(std::abs(m.slope - s.order) <= 0.3);
      fmt::print(" {:>5.2f}{} |", m.slope, off ? "*" : " ");
      worst |= off;
      for (size_t i = 0; i < m.steps.size(); ++i)
        detail += fmt::format("    {} {:>4} steps: error {:.3e}\n", p.name, m.steps[i],
                              m.errors[i]);
    }
    fmt::print(" {:>8.0f} |\n", s.order);
    if (verbose)
      fmt::print("{}", detail);
  }
  if (worst)
    fmt::print("\n* more than 0.3 from the solver's order (see --verbose for the errors)\n");
  fmt::print("\nddpm: ddpm_linear as a continuous process (log alpha piecewise linear between "
             "training steps, DPM-Solver's form): solvers stepping in t cross its kinks; the "
             "DPM-Solver family steps in logSNR and keeps its order.\n");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Measurements of Tweedie's samplers."};
  app.name("tweedie-bench");
  app.require_subcommand(1);
  CLI::App *ordersCommand =
      app.add_subcommand("orders", "Print the measured convergence order of each ODE solver "
                                   "on each process");
  std::string prediction = "eps";
  bool verbose = false;
  ordersCommand->add_option("--prediction", prediction, "The network's parameterisation")
      ->check(CLI::IsMember({"eps", "x0", "v", "score"}))
      ->capture_default_str();
  ordersCommand->add_flag("-v,--verbose", verbose, "Also print every grid's error");

  tweedie::bench::SampleProfileOptions sample;
  CLI::App *sampleCommand = app.add_subcommand(
      "sample", "Time a compiled sampler: wall time per step, time per op kind, reorders, "
                "arena and peak RSS (after one warm-up request)");
  sampleCommand->add_option("module", sample.module, "Module written by tweedie-compile")
      ->required()
      ->check(CLI::ExistingFile);
  sampleCommand->add_option("-n,--num-samples", sample.count, "Samples per request")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  sampleCommand->add_option("-t,--threads", sample.threads, "Worker threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sampleCommand->add_option("-r,--rounds", sample.rounds, "Timed requests (the median is reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sampleCommand->add_option("-s,--seed", sample.seed, "Seed of the noise stream")
      ->capture_default_str();
  sampleCommand->add_option("--noise", sample.noise,
                            "Prior noise [N, ...] (.npy) in place of the seed's stream")
      ->check(CLI::ExistingFile);
  sampleCommand->add_option("-o,--out", sample.out, "Write the last request's samples (.npy)");
  sampleCommand->add_flag("--json", sample.json, "One JSON object instead of the table");
  sampleCommand
      ->add_option("--device", sample.device,
                   "cpu, or cuda (the first GPU: a module compiled with --target cuda, timed "
                   "as whole requests, each one CUDA graph)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (ordersCommand->parsed())
    return orders(prediction, verbose);
  if (sampleCommand->parsed())
    return sample.device == "cuda" ? tweedie::bench::gpuSampleBench(sample)
                                   : tweedie::bench::sampleProfile(sample);
  return 0;
}
