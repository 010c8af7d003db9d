//===- SchedulerConfig.h - a diffusers scheduler_config.json as Tweedie's terms -===//
#ifndef TWEEDIE_TOOLS_SCHEDULERCONFIG_H
#define TWEEDIE_TOOLS_SCHEDULERCONFIG_H

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tweedie::tools {

/// What a diffusers scheduler config says of the network and its sampler.
struct SchedulerConfig {
  /// The training schedule as a spec, e.g. "ddpm_scaled_linear(timesteps=1000, ...)".
  std::string schedule;
  /// eps, v or x0.
  std::string prediction;
  /// The --sampler spec nearest to the config's scheduler class and spacing.
  std::string sampler;
  /// Settings read but not reproduced (steps_offset, clipping, ...).
  std::vector<std::string> notReproduced;
};

/// Reads beta_schedule (linear, scaled_linear, squaredcos_cap_v2),
/// num_train_timesteps, beta_start/end, prediction_type, timestep_spacing,
/// steps_offset and the scheduler's class. An unreadable file, or a setting
/// that would change the network's meaning and has no Tweedie counterpart
/// (trained_betas, rescale_betas_zero_snr, another beta_schedule), throws
/// std::invalid_argument naming the key and its value.
/// With `steps`, the suggested sampler says steps=N, and diffusers' grids
/// that depend on N beyond Tweedie's spacings (DPMSolverMultistepScheduler's
/// linspace and leading) are spelled out as timesteps=[...].
SchedulerConfig readSchedulerConfig(const std::filesystem::path &path,
                                    std::optional<int64_t> steps = std::nullopt);

} // namespace tweedie::tools

#endif
