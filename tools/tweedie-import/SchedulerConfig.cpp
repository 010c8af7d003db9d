//===- SchedulerConfig.cpp ----------------------------------------------------===//
#include "SchedulerConfig.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>

namespace tweedie::tools {

namespace {

/// The shortest decimal text of a number from the config.
std::string number(const nlohmann::json &value) { return fmt::format("{}", value.get<double>()); }

/// Python's json writes float('-inf') as -Infinity (diffusers' save_config
/// does, for lambda_min_clipped), which JSON lacks: outside strings, Infinity,
/// -Infinity and NaN become null, as an absent setting.
std::string withoutNonFiniteNumbers(const std::string &text) {
  std::string out;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < text.size())
        out += text[++i];
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    bool replaced = false;
    for (const char *token : {"-Infinity", "Infinity", "NaN"}) {
      const size_t n = std::char_traits<char>::length(token);
      if (text.compare(i, n, token) == 0) {
        out += "null";
        i += n - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced)
      out += c;
  }
  return out;
}

/// A setting of the config, or `otherwise` where it is absent or null.
nlohmann::json setting(const nlohmann::json &config, const std::string &key,
                       const nlohmann::json &otherwise) {
  return config.contains(key) && !config[key].is_null() ? config[key] : otherwise;
}

/// DPMSolverMultistepScheduler's linspace and leading grids: N + 1 steps
/// picked as for N + 1, the last (step 0 or the offset) left out, so the last
/// step goes from the N-th to the data.
std::vector<int64_t> dpmSolverTimesteps(const std::string &spacing, int64_t T, int64_t steps,
                                        int64_t offset) {
  std::vector<int64_t> out;
  for (int64_t i = steps; i >= 1; --i) {
    if (spacing == "linspace") // np.linspace(0, T - 1, N + 1).round(): halves to even
      out.push_back(static_cast<int64_t>(
          std::nearbyint(static_cast<double>(T - 1) * static_cast<double>(i) /
                         static_cast<double>(steps))));
    else
      out.push_back(i * (T / (steps + 1)) + offset);
  }
  return out;
}

/// The --sampler spec that reproduces the config's scheduler class, or the
/// nearest one with what differs in `notReproduced`.
std::string suggestSampler(const nlohmann::json &config, std::optional<int64_t> steps,
                           int64_t T, std::vector<std::string> &notReproduced) {
  auto get = [&](const std::string &key, const nlohmann::json &otherwise) {
    return setting(config, key, otherwise);
  };
  const std::string className = get("_class_name", "DDPMScheduler").get<std::string>();
  // Each class's own default where the config predates timestep_spacing.
  const bool sigmaClass = className == "EulerDiscreteScheduler" ||
                          className == "HeunDiscreteScheduler" ||
                          className == "DPMSolverMultistepScheduler";
  const std::string spacing =
      get("timestep_spacing", sigmaClass ? "linspace" : "leading").get<std::string>();
  const int64_t offset = get("steps_offset", 0).get<int64_t>();
  const bool karras = get("use_karras_sigmas", false).get<bool>();
  const bool clip = get("clip_sample", false).get<bool>();
  std::vector<std::string> options;
  if (steps)
    options.push_back(fmt::format("steps={}", *steps));
  // diffusers' leading and trailing pick training steps as Tweedie's do;
  // steps_offset moves leading's only.
  auto pickSteps = [&]() {
    if (spacing == "leading" || spacing == "trailing")
      options.push_back("spacing=" + spacing);
    if (spacing == "leading" && offset != 0)
      options.push_back(fmt::format("steps_offset={}", offset));
  };
  auto clipX0 = [&]() {
    if (clip)
      options.push_back("clip_x0=" + number(get("clip_sample_range", 1.0)));
  };
  std::string method;
  if (className == "DDPMScheduler") {
    method = "ddpm";
    pickSteps();
    if (get("variance_type", "fixed_small").get<std::string>() == "fixed_large")
      options.push_back("variance=beta");
    clipX0();
  } else if (className == "DDIMScheduler") {
    method = "ddim";
    pickSteps();
    if (!get("set_alpha_to_one", true).get<bool>())
      options.push_back("final_sigma=min"); // the last step ends at abar_0
    clipX0();
  } else if (className == "EulerDiscreteScheduler" && !karras) {
    // Euler in sigma on x / alpha, from randn * sqrt(sigma_max^2 + 1), is
    // DDIM on x exactly; linspace's fractional steps are rounded.
    method = "ddim";
    pickSteps();
    if (spacing == "linspace" && steps && *steps > 1 && (T - 1) % (*steps - 1) != 0)
      notReproduced.push_back(fmt::format(
          "EulerDiscreteScheduler's fractional linspace steps (T - 1 = {} is not a multiple "
          "of steps - 1; ddim rounds them)",
          T - 1));
  } else if (className == "DPMSolverMultistepScheduler" &&
             get("algorithm_type", "dpmsolver++").get<std::string>() == "dpmsolver++" &&
             get("solver_order", 2).get<int64_t>() == 2) {
    method = "dpm_solver_pp_2m";
    if (karras) {
      options.push_back("schedule=karras");
    } else if (spacing == "trailing") {
      options.push_back("spacing=trailing");
    } else if (steps) {
      options.push_back(fmt::format("timesteps=[{}]", fmt::join(dpmSolverTimesteps(
                                                          spacing, T, *steps, offset),
                                                      ", ")));
    } else {
      notReproduced.push_back("DPMSolverMultistepScheduler's " + spacing +
                              " grid (N + 1 steps, the last left out): tweedie-import "
                              "--steps N prints it as timesteps=[...]");
    }
    if (get("lambda_min_clipped", nullptr).is_number())
      notReproduced.push_back("lambda_min_clipped " + config["lambda_min_clipped"].dump());
    const std::string final = get("final_sigmas_type", "zero").get<std::string>();
    if (final == "zero" && !karras)
      options.push_back("final_sigma=zero");
    else if (final != "zero")
      notReproduced.push_back("final_sigmas_type " + final);
  } else {
    static const std::map<std::string, std::string> kNearest = {
        {"EulerDiscreteScheduler", "euler"},
        {"HeunDiscreteScheduler", "heun"},
        {"DPMSolverMultistepScheduler", "dpm_solver_pp_2m"},
        {"KDPM2DiscreteScheduler", "dpm_solver_2"}};
    auto nearest = kNearest.find(className);
    method = nearest == kNearest.end() ? "ddim" : nearest->second;
    if (karras)
      options.push_back("schedule=karras");
    else if (nearest != kNearest.end())
      notReproduced.push_back(className + " in sigma on the DDPM steps (Tweedie's " + method +
                              " there integrates the VP ODE in t; use_karras_sigmas maps)");
    if (nearest == kNearest.end())
      notReproduced.push_back("_class_name " + className + " (no counterpart; ddim suggested)");
    else if (className == "DPMSolverMultistepScheduler")
      notReproduced.push_back("algorithm_type/solver_order other than dpmsolver++ 2");
  }
  if (clip && method != "ddpm" && method != "ddim")
    notReproduced.push_back("clip_sample true (Tweedie clips x0 in ddpm and ddim)");
  if (get("thresholding", false).get<bool>())
    notReproduced.push_back("thresholding true");
  return options.empty() ? method : fmt::format("{}({})", method, fmt::join(options, ", "));
}

} // namespace

SchedulerConfig readSchedulerConfig(const std::filesystem::path &path,
                                    std::optional<int64_t> steps) {
  std::ifstream in(path);
  if (!in)
    throw std::invalid_argument(path.string() + ": cannot open");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  nlohmann::json config =
      nlohmann::json::parse(withoutNonFiniteNumbers(text), nullptr, /*allow_exceptions=*/false);
  if (!config.is_object())
    throw std::invalid_argument(path.string() + ": not a JSON object (a diffusers "
                                                "scheduler_config.json)");
  auto bad = [&](const std::string &key, const std::string &why) {
    return std::invalid_argument(
        fmt::format("{}: {} = {}: {}", path.string(), key, config[key].dump(), why));
  };
  auto get = [&](const std::string &key, const nlohmann::json &otherwise) {
    return setting(config, key, otherwise);
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

  out.sampler = suggestSampler(config, steps, timesteps, out.notReproduced);
  return out;
}

} // namespace tweedie::tools
