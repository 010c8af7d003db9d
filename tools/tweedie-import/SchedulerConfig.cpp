//===- SchedulerConfig.cpp ----------------------------------------------------===//
#include "SchedulerConfig.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <stdexcept>

namespace tweedie::tools {

namespace {

/// The shortest decimal text of a number from the config.
std::string number(const nlohmann::json &value) { return fmt::format("{}", value.get<double>()); }

} // namespace

SchedulerConfig readSchedulerConfig(const std::filesystem::path &path) {
  std::ifstream in(path);
  if (!in)
    throw std::invalid_argument(path.string() + ": cannot open");
  nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object())
    throw std::invalid_argument(path.string() + ": not a JSON object (a diffusers "
                                                "scheduler_config.json)");
  auto bad = [&](const std::string &key, const std::string &why) {
    return std::invalid_argument(
        fmt::format("{}: {} = {}: {}", path.string(), key, config[key].dump(), why));
  };
  auto get = [&](const std::string &key, const nlohmann::json &otherwise) {
    return config.contains(key) && !config[key].is_null() ? config[key] : otherwise;
  };

  SchedulerConfig out;
  const int64_t timesteps = get("num_train_timesteps", 1000).get<int64_t>();
  const std::string betas = get("beta_schedule", "linear").get<std::string>();
  const std::string range =
      fmt::format("timesteps={}, beta_start={}, beta_end={}", timesteps,
                  number(get("beta_start", 0.0001)), number(get("beta_end", 0.02)));
  if (betas == "linear")
    out.schedule = "ddpm_linear(" + range + ")";
  else if (betas == "scaled_linear")
    out.schedule = "ddpm_scaled_linear(" + range + ")";
  else if (betas == "squaredcos_cap_v2")
    out.schedule = fmt::format("ddpm_cosine(timesteps={})", timesteps);
  else
    throw bad("beta_schedule", "Tweedie has linear, scaled_linear and squaredcos_cap_v2");
  if (!get("trained_betas", nullptr).is_null())
    throw bad("trained_betas", "explicit betas are not supported");
  if (get("rescale_betas_zero_snr", false).get<bool>())
    throw bad("rescale_betas_zero_snr", "zero terminal SNR rescaling is not supported yet");

  static const std::map<std::string, std::string> kPredictions = {
      {"epsilon", "eps"}, {"v_prediction", "v"}, {"sample", "x0"}};
  const std::string prediction = get("prediction_type", "epsilon").get<std::string>();
  auto p = kPredictions.find(prediction);
  if (p == kPredictions.end())
    throw bad("prediction_type", "Tweedie reads epsilon, v_prediction and sample");
  out.prediction = p->second;

  // The sampler: the class's counterpart with its spacing.
  const std::string className = get("_class_name", "DDPMScheduler").get<std::string>();
  const std::string spacing = get("timestep_spacing", "leading").get<std::string>();
  const bool karras = get("use_karras_sigmas", false).get<bool>();
  static const std::map<std::string, std::string> kSamplers = {
      {"DDPMScheduler", "ddpm"},
      {"DDIMScheduler", "ddim"},
      {"EulerDiscreteScheduler", "euler"},
      {"HeunDiscreteScheduler", "heun"},
      {"DPMSolverMultistepScheduler", "dpm_solver_pp_2m"},
      {"KDPM2DiscreteScheduler", "dpm_solver_2"}};
  auto s = kSamplers.find(className);
  const std::string method = s == kSamplers.end() ? "ddim" : s->second;
  std::vector<std::string> options;
  if ((method == "ddpm" || method == "ddim") && (spacing == "leading" || spacing == "trailing"))
    options.push_back("spacing=" + spacing);
  if (karras)
    options.push_back("schedule=karras");
  const bool clip = get("clip_sample", false).get<bool>();
  if (clip && (method == "ddpm" || method == "ddim"))
    options.push_back("clip_x0=" + number(get("clip_sample_range", 1.0)));
  out.sampler = method;
  if (!options.empty())
    out.sampler += fmt::format("({})", fmt::join(options, ", "));
  if (s == kSamplers.end())
    out.notReproduced.push_back("_class_name " + className + " (no counterpart; ddim suggested)");
  if (get("steps_offset", 0).get<int64_t>() != 0)
    out.notReproduced.push_back("steps_offset " + config["steps_offset"].dump());
  if (clip && method != "ddpm" && method != "ddim")
    out.notReproduced.push_back("clip_sample true (Tweedie clips x0 in ddpm and ddim)");
  if (get("thresholding", false).get<bool>())
    out.notReproduced.push_back("thresholding true");
  return out;
}

} // namespace tweedie::tools
