//===- SamplerCli.cpp - load a module, sample, write .npy / PNG -----------===//
#include "SamplerCli.h"
#include "CliChecks.h"
#include "ProgressBar.h"
#include "tweedie/io/AtomicFile.h"
#include "tweedie/io/ImagePng.h"
#include "tweedie/io/NpyFile.h"
#include "tweedie/tweedie.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>

namespace tweedie::tools {

std::optional<std::vector<std::byte>> embeddedModule() {
  std::ifstream self("/proc/self/exe", std::ios::binary | std::ios::ate);
  if (!self)
    return std::nullopt;
  const std::streamoff size = self.tellg();
  if (size < 16)
    return std::nullopt;
  char trailer[16];
  self.seekg(size - 16);
  self.read(trailer, 16);
  if (std::memcmp(trailer + 8, kEmbeddedMagic, 8) != 0)
    return std::nullopt;
  uint64_t length;
  std::memcpy(&length, trailer, 8);
  if (length > static_cast<uint64_t>(size - 16))
    return std::nullopt;
  std::vector<std::byte> image(length);
  self.seekg(size - 16 - static_cast<std::streamoff>(length));
  self.read(reinterpret_cast<char *>(image.data()), static_cast<std::streamsize>(length));
  if (!self)
    return std::nullopt;
  return image;
}

namespace {

void writePng(const std::string &path, const std::vector<float> &samples, int64_t count,
              const std::vector<int64_t> &shape) {
  if (shape.size() == 3 && (shape[0] == 1 || shape[0] == 3)) {
    const int64_t shown = std::min<int64_t>(count, 256);
    io::writeImageGridPng(path, samples, shown, shape[0], shape[1], shape[2]);
    return;
  }
  if (shape.size() == 1 && shape[0] == 2) {
    float limit = 1;
    for (float v : samples)
      if (std::isfinite(v))
        limit = std::max(limit, std::abs(v));
    io::writeScatterPng(path, samples, count, std::ceil(limit * 1.05));
    return;
  }
  throw std::invalid_argument("--png draws image samples [1 or 3, H, W] or 2-D points; "
                              "these samples are [" +
                              fmt::format("{}", fmt::join(shape, ", ")) + "]");
}

} // namespace

/// log p(x) of the points in `dataPath` under a likelihood module: the mean
/// in nats and in bits per dimension, and -o the values.
int runLikelihood(Session &session, const Module &module, const std::string &dataPath,
                  const std::string &out, bool quiet) {
  if (dataPath.empty())
    throw std::invalid_argument("this is a likelihood module: give the points with --data "
                                "X.npy");
  const int64_t d = module.sampleSize() - 1;
  io::NpyArray data = io::readNpy(dataPath);
  if (data.shape.size() != 2 || data.shape[1] != d)
    throw std::invalid_argument(fmt::format("--data {}: the points must be [N, {}], got [{}]",
                                            dataPath, d, fmt::join(data.shape, ", ")));
  ProgressBar bar(!quiet, "log-likelihood");
  const auto start = std::chrono::steady_clock::now();
  std::vector<double> logP = session.logLikelihood(data.data, data.shape[0],
                                                   [&](int64_t done, int64_t total) {
                                                     bar.update(done, total);
                                                     return true;
                                                   });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.finish();
  double sum = 0;
  for (double v : logP)
    sum += v;
  const double mean = logP.empty() ? 0.0 : sum / static_cast<double>(logP.size());
  fmt::print("{} points: mean log p(x) {:.6f} nats, {:.6f} bits/dim\n", logP.size(), mean,
             -mean / (static_cast<double>(d) * std::log(2.0)));
  if (!out.empty())
    io::writeNpy(out, std::vector<float>(logP.begin(), logP.end()),
                 {static_cast<int64_t>(logP.size())});
  if (!quiet)
    fmt::print(stderr, "{} points in {:.2f} s{}\n", logP.size(), seconds,
               out.empty() ? "" : " -> " + out);
  return 0;
}

int runSamplerMain(int argc, char **argv, const std::string &name,
                   const std::optional<std::vector<std::byte>> &embedded) {
  CLI::App app{embedded ? "A standalone Tweedie sampler: draws samples from the model "
                          "compiled into it."
                        : "Runs a compiled Tweedie module and writes its samples."};
  app.name(name);
  std::string modulePath, out, png, dataPath, noisePath, device = "cpu";
  int64_t count = 16, firstSample = 0;
  uint64_t seed = 0;
  int threads = 0;
  bool info = false, quiet = false;
  if (!embedded)
    app.add_option("module", modulePath, "Module written by tweedie-compile")
        ->required()
        ->check(CLI::ExistingFile);
  app.add_option("-n,--num-samples", count, "How many samples to draw")
      ->capture_default_str()
      ->check(wholeNumberIn(0, int64_t{1} << 31));
  app.add_option("-s,--seed", seed, "Seed of the noise stream")
      ->capture_default_str()
      ->check(seedNumber());
  app.add_option("--first-sample", firstSample,
                 "Index of the first sample in the seed's stream (to extend a run)")
      ->capture_default_str()
      ->check(wholeNumberIn(0, (int64_t{1} << 32) - 1));
  app.add_option("-t,--threads", threads, "Worker threads (0: all hardware threads)")
      ->capture_default_str()
      ->check(wholeNumberIn(0, 4096));
  app.add_option("--device", device,
                 "cpu, or cuda (an NVIDIA GPU, through the driver found at run time)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("-o,--out", out, "Write the samples as a NumPy .npy array [N, ...]");
  app.add_option("--png", png, "Write a picture: an image grid, or a 2-D scatter plot");
  app.add_option("--data", dataPath,
                 "Likelihood modules: the points [N, d] (.npy) whose log p(x) to compute; -o "
                 "then writes log p [N]")
      ->check(CLI::ExistingFile);
  app.add_option("--noise", noisePath,
                 "The starting noise [N, ...] (.npy, standard normal; the sampler scales it "
                 "by its prior's std) instead of the seed's: draws N samples from it, e.g. "
                 "to compare with another implementation from the same noise")
      ->check(CLI::ExistingFile);
  app.add_flag("--info", info, "Describe the module and exit");
  app.add_flag("-q,--quiet", quiet, "No progress bar or summary");
  CLI11_PARSE(app, argc, argv);

  try {
    Instance instance;
    std::optional<Module> module;
    if (embedded)
      module.emplace(instance, std::span<const std::byte>(*embedded));
    else
      module.emplace(instance, modulePath);
    const std::vector<int64_t> shape = module->sampleShape();
    if (info) {
      fmt::print("{}\nsample shape: [{}]\n", module->description(), fmt::join(shape, ", "));
      return 0;
    }
    Session session(*module, {device.c_str(), threads});
    if (module->likelihoodPriorStd() > 0)
      return runLikelihood(session, *module, dataPath, out, quiet);
    if (!dataPath.empty())
      throw std::invalid_argument("--data is for likelihood modules (sampler.likelihood); this "
                                  "module draws samples");
    std::optional<io::NpyArray> noise;
    if (!noisePath.empty()) {
      noise = io::readNpy(noisePath);
      std::vector<int64_t> rowShape(noise->shape.begin() + (noise->shape.empty() ? 0 : 1),
                                    noise->shape.end());
      if (noise->shape.empty() || rowShape != shape)
        throw std::invalid_argument(fmt::format(
            "--noise {}: shape [{}], but the module's samples are [N, {}]", noisePath,
            fmt::join(noise->shape, ", "), fmt::join(shape, ", ")));
      if (app.count("--num-samples") && count != noise->shape[0])
        throw std::invalid_argument(fmt::format("--noise {} holds {} samples, -n asks {}",
                                                noisePath, noise->shape[0], count));
      count = noise->shape[0];
    }
    ProgressBar bar(!quiet, "sampling");
    SampleOptions options;
    options.firstSample = firstSample;
    options.initialNoise = noise ? noise->data.data() : nullptr;
    options.progress = [&](int64_t done, int64_t total) {
      bar.update(done, total);
      return true;
    };
    const auto start = std::chrono::steady_clock::now();
    std::vector<float> samples = session.sample(count, seed, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.finish();
    std::vector<int64_t> dims = {count};
    dims.insert(dims.end(), shape.begin(), shape.end());
    if (!out.empty())
      io::writeNpy(out, samples, dims);
    if (!png.empty())
      writePng(png, samples, count, shape);
    if (!quiet)
      fmt::print(stderr, "{} samples [{}] in {:.2f} s ({:.1f} samples/s){}{}\n", count,
                 fmt::join(shape, ", "), seconds, seconds > 0 ? count / seconds : 0.0,
                 out.empty() ? "" : " -> " + out, png.empty() ? "" : " -> " + png);
    return 0;
  } catch (const Error &e) {
    fmt::print(stderr, "{}: error: {}\n", name, e.what());
    return 1;
  } catch (const std::exception &e) {
    fmt::print(stderr, "{}: error: {}\n", name, e.what());
    return 1;
  }
}

} // namespace tweedie::tools
