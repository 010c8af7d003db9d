//===- Checkpoint.h - training state in a .safetensors file --------------===//
//
// A checkpoint holds the weights under their own names (so tweedie-compile
// --weights takes it as it is), and "ema/<name>", "adam.m/<name>",
// "adam.v/<name>"; the metadata holds the step and the run's settings. It is
// written atomically. Resuming from it continues bit-identically: the data
// and noise of a step are keyed by (seed, step), and the optimiser state is
// stored exactly.
//
//===----------------------------------------------------------------------===//
#ifndef TWEEDIE_TRAIN_CHECKPOINT_H
#define TWEEDIE_TRAIN_CHECKPOINT_H

#include "tweedie/train/Optimizer.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tweedie::train {

struct Checkpoint {
  int64_t step = 0;
  /// Settings that must match on --resume (seed, objective, batch, ...).
  std::map<std::string, std::string> settings;
  std::vector<std::vector<float>> weights; // parallel to state
  std::vector<ParameterState> state;
};

void writeCheckpoint(const std::filesystem::path &path, const Checkpoint &checkpoint);

/// Throws io::FormatError naming the file and what is missing or wrong.
Checkpoint readCheckpoint(const std::filesystem::path &path);

/// Weights only (e.g. the EMA weights a sampler is compiled with).
void writeWeights(const std::filesystem::path &path, const std::vector<ParameterState> &state,
                  const std::vector<std::vector<float>> &values,
                  const std::map<std::string, std::string> &metadata);

} // namespace tweedie::train

#endif
