//===- SamplerCatalog.cpp - names, options and defaults of the samplers --===//
#include "tweedie/Driver/SamplerCatalog.h"
#include "tweedie/Dialect/Common/ShortestFloat.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace tweedie::catalog {
namespace {

Option real(std::string key, std::string value, std::string help) {
  return {std::move(key), ValueKind::Real, std::move(value), std::move(help), {}};
}
Option integer(std::string key, std::string value, std::string help) {
  return {std::move(key), ValueKind::Integer, std::move(value), std::move(help), {}};
}
Option choice(std::string key, std::string value, std::string help,
              std::vector<std::string> choices) {
  return {std::move(key), ValueKind::Choice, std::move(value), std::move(help),
          std::move(choices)};
}

/// EDM's stochastic churn (Karras et al. 2022, alg. 2).
Option churn() {
  return real("churn", "0.0",
              "EDM S_churn: each step first adds noise raising sigma by gamma = "
              "min(S_churn/steps, sqrt(2)-1); sigma schedules only");
}

Sampler ode(std::string name, std::string summary, int64_t steps, int evaluations,
            std::vector<Option> options = {}) {
  return {name,
          std::move(summary),
          "ode",
          {{"solver", name}},
          steps,
          evaluations == 1 ? "steps, one network evaluation each"
                           : "steps, " + std::to_string(evaluations) +
                                 " network evaluations each",
          std::move(options)};
}

/// A fixed-step ODE solver's options: EDM's churn where it applies, the
/// lower-order last step of a multistep one.
std::vector<Option> odeOptions(bool takesChurn, bool multistep) {
  std::vector<Option> options;
  if (takesChurn)
    options.push_back(churn());
  if (multistep)
    options.push_back(
        integer("lower_order_final", "1", "first order on the last step (1) or not (0)"));
  return options;
}

std::string trim(const std::string &text) {
  size_t begin = text.find_first_not_of(" \t\n");
  if (begin == std::string::npos)
    return "";
  size_t end = text.find_last_not_of(" \t\n");
  return text.substr(begin, end - begin + 1);
}

bool isIdentifier(const std::string &text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_'))
    return false;
  for (char c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

std::string kindName(const Option &option) {
  switch (option.kind) {
  case ValueKind::Real:
    return "a number";
  case ValueKind::Integer:
    return "an integer";
  case ValueKind::IntegerList:
    return "a list of integers, [a, b, ...]";
  case ValueKind::Flag:
    return "true or false";
  case ValueKind::Schedule:
    return "a schedule";
  case ValueKind::Choice: {
    std::string text = "one of";
    for (const std::string &c : option.choices)
      text += " " + c;
    return text;
  }
  }
  return "a value";
}

} // namespace

const std::vector<Sampler> &samplers() {
  static const std::vector<Sampler> all = [] {
    std::vector<Sampler> list = {
      {"ddpm", "DDPM ancestral sampling (Ho et al. 2020, alg. 2); discrete schedules",
       "ddpm", {}, 1000, "steps, one network evaluation each",
       {choice("variance", "posterior", "reverse-step variance: posterior (beta~_t) or beta_t",
               {"posterior", "beta"})}},
      {"ddim", "DDIM (Song et al. 2021); eta = 0 deterministic, 1 ancestral; discrete schedules",
       "ddim", {}, 50, "steps, one network evaluation each", {real("eta", "0.0", "stochasticity eta")}},
      {"euler_maruyama", "reverse-time SDE, Euler-Maruyama; vp, subvp, ve, karras, ncsn",
       "euler_maruyama", {}, 1000, "steps, one network evaluation each", {}},
      {"pc",
       "predictor-corrector (Song et al. 2021, alg. 1): per step, Langevin corrector "
       "steps with the SNR rule eps = 2 alpha (snr |z|/|s|)^2, then the predictor; "
       "vp, subvp, ve, karras, ncsn",
       "pc", {}, 1000, "predictor steps, 1 + corrector_steps network evaluations each",
       {choice("predictor", "euler_maruyama", "the predictor",
               {"euler_maruyama", "reverse_diffusion", "ancestral"}),
        integer("corrector_steps", "1", "Langevin corrector steps per step (0: predictor only)"),
        real("snr", "0.16", "signal-to-noise ratio r of the corrector's step rule")}},
    };
    // The fixed-step ODE solvers, from their one list.
#define TWEEDIE_ODE_SOLVER(Enum, name, stages, carried, order, steps, coarse, churn, summary) \
  list.push_back(ode(#name, summary, steps, stages, odeOptions(churn, carried > 0)));
#include "tweedie/Numerics/OdeSolvers.def"
    list.insert(list.end(), {
      {"rk45",
       "probability-flow ODE, adaptive Dormand-Prince RK45 with its own step size per "
       "sample (error control as scipy's solve_ivp); vp, subvp, ve, karras, ncsn",
       "rk45", {}, 1000, "steps at most per sample, 6 network evaluations each",
       {real("rtol", "1.0e-5", "relative tolerance"),
        real("atol", "1.0e-5", "absolute tolerance")}},
      {"langevin", "unadjusted Langevin x <- x + eta s(x) + sqrt(2 eta) z at the smallest noise",
       "langevin", {}, 1000, "iterations, one network evaluation each",
       {real("step_size", "1.0e-3", "step eta")}},
      {"likelihood",
       "not a sampler: log p(x) through the probability-flow ODE (adaptive RK45; rows [x, l]; "
       "tweedie-run --data X.npy)",
       "likelihood", {}, 1000, "steps at most per point, 6 velocity evaluations each",
       {real("rtol", "1.0e-5", "relative tolerance"),
        real("atol", "1.0e-5", "absolute tolerance"),
        integer("probes", "0",
                "0: the exact divergence (a reverse pass per dimension); K: Hutchinson's "
                "estimate with K probes per point"),
        choice("probe", "rademacher", "the Hutchinson probes' law", {"rademacher", "gaussian"})}},
      {"mala",
       "Metropolis-adjusted Langevin at the smallest noise (energy networks): exact for "
       "any step",
       "mala", {}, 1000, "iterations, two energy-gradient evaluations each",
       {real("step_size", "1.0e-3", "step eta")}},
      {"annealed_langevin",
       "NCSN annealed Langevin (Song & Ermon 2019): K steps per level, eta = delta "
       "sigma^2 / sigma_min^2",
       "annealed_langevin", {}, 10, "noise levels visited (of the schedule's)",
       {integer("steps_per_level", "100", "Langevin steps per level K"),
        real("delta", "2.0e-5", "base step delta")}},
    });
    return list;
  }();
  return all;
}

const std::vector<Schedule> &schedules() {
  static const std::vector<Schedule> all = {
      {"ddpm_linear", "DDPM, beta linear in t (Ho et al. 2020); conditions on the step index",
       {integer("timesteps", "1000", "training timesteps T"),
        real("beta_start", "1.0e-4", "beta_1"), real("beta_end", "0.02", "beta_T")}},
      {"ddpm_scaled_linear",
       "DDPM, sqrt(beta) linear in t (Stable Diffusion; diffusers' scaled_linear)",
       {integer("timesteps", "1000", "training timesteps T"),
        real("beta_start", "8.5e-4", "beta_1"), real("beta_end", "0.012", "beta_T")}},
      {"ddpm_cosine", "DDPM, abar_t = cos^2 (Nichol & Dhariwal 2021)",
       {integer("timesteps", "1000", "training timesteps T"), real("s", "0.008", "offset s"),
        real("max_beta", "0.999", "clip of beta_t")}},
      {"vp", "variance-preserving SDE (Song et al. 2021); conditions on t in [t_min, 1]",
       {real("beta_min", "0.1", "beta(0)"), real("beta_max", "20.0", "beta(1)"),
        real("t_min", "1.0e-3", "last time sampled")}},
      {"subvp", "sub-variance-preserving SDE (Song et al. 2021); conditions on t",
       {real("beta_min", "0.1", "beta(0)"), real("beta_max", "20.0", "beta(1)"),
        real("t_min", "1.0e-3", "last time sampled")}},
      {"ve", "variance-exploding SDE, sigma(t) = sigma_min (sigma_max/sigma_min)^t",
       {real("sigma_min", "0.01", "sigma(0)"), real("sigma_max", "50.0", "sigma(1)"),
        real("t_min", "1.0e-5", "last time sampled")}},
      {"ncsn", "NCSN geometric noise levels (Song & Ermon 2019); conditions on sigma",
       {real("sigma_min", "0.01", "smallest sigma"), real("sigma_max", "1.0", "largest sigma"),
        integer("levels", "10", "number of levels L")}},
      {"karras", "EDM sigma spacing (Karras et al. 2022, eq. 5), ending at sigma = 0",
       {real("sigma_min", "0.002", "smallest sigma"), real("sigma_max", "80.0", "largest sigma"),
        real("rho", "7.0", "exponent rho")}},
  };
  return all;
}

const std::vector<Option> &commonOptions() {
  static const std::vector<Option> all = {
      integer("steps", "", "see each sampler"),
      {"schedule", ValueKind::Schedule, "",
       "NAME or NAME(key=value, ...) from the schedules below; default: the model's "
       "(its network's sampler.schedule attribute or its sampler.solve)",
       {}},
      choice("prediction", "",
             "what the network returns; default: the model's (sampler.prediction)",
             {"eps", "x0", "v", "score"}),
      choice("spacing", "linspace",
             "time steps: linspace (uniform in t or in the schedule's levels), leading or "
             "trailing (training steps of a DDPM schedule, as diffusers picks them), logsnr "
             "(uniform in log(alpha/sigma): vp, subvp, ve, and DDPM schedules with the ODE "
             "solvers)",
             {"linspace", "leading", "trailing", "logsnr"}),
      {"timesteps", ValueKind::IntegerList, "",
       "the training steps to visit, [a, b, ...] decreasing, one per step (diffusers' custom "
       "timesteps, Align Your Steps); replaces spacing; DDPM schedules",
       {}},
      integer("steps_offset", "0",
              "add k to every step of spacing=leading (diffusers' steps_offset)"),
      choice("final_sigma", "",
             "where the last step ends: zero (the x0 estimate; ddim's and karras' default) "
             "or min (training step 0 or sigma_min; the ODE solvers' default on DDPM "
             "schedules; diffusers' set_alpha_to_one=false / final_sigmas_type)",
             {"zero", "min"}),
      {"denoise_final", ValueKind::Flag, "false",
       "end with Tweedie's denoising step x + sigma^2 s(x) at the last noise level", {}},
      real("clip_x0", "0.0",
           "clip each step's x0 estimate to [-r, r] (diffusers' clip_sample; 0: off; ddpm "
           "and ddim)"),
  };
  return all;
}

const Sampler *findSampler(const std::string &name) {
  for (const Sampler &s : samplers())
    if (s.name == name)
      return &s;
  return nullptr;
}

const Schedule *findSchedule(const std::string &name) {
  for (const Schedule &s : schedules())
    if (s.name == name)
      return &s;
  return nullptr;
}

std::optional<Spec> parseSpec(const std::string &input, std::string &error) {
  const std::string text = trim(input);
  Spec spec;
  const size_t open = text.find('(');
  spec.name = trim(text.substr(0, open));
  if (!isIdentifier(spec.name)) {
    error = "expected NAME or NAME(key=value, ...), got '" + text + "'";
    return std::nullopt;
  }
  if (open == std::string::npos)
    return spec;
  if (text.back() != ')') {
    error = "'" + text + "' lacks its closing ')'";
    return std::nullopt;
  }
  // Split the arguments at the commas outside nested parentheses.
  const std::string body = text.substr(open + 1, text.size() - open - 2);
  std::vector<std::string> parts;
  int depth = 0;
  std::string current;
  for (char c : body) {
    if (c == '(' || c == '[')
      ++depth;
    if ((c == ')' || c == ']') && --depth < 0) {
      error = "unbalanced ')' or ']' in '" + text + "'";
      return std::nullopt;
    }
    if (c == ',' && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (depth != 0) {
    error = "unbalanced '(' or '[' in '" + text + "'";
    return std::nullopt;
  }
  if (!trim(current).empty() || !parts.empty())
    parts.push_back(current);
  for (const std::string &part : parts) {
    const size_t equals = part.find('=');
    const std::string key = trim(part.substr(0, equals));
    if (equals == std::string::npos || !isIdentifier(key) ||
        trim(part.substr(equals + 1)).empty()) {
      error = "expected key=value, got '" + trim(part) + "' in '" + text + "'";
      return std::nullopt;
    }
    for (const auto &[seen, value] : spec.arguments)
      if (seen == key) {
        error = "'" + key + "' given twice in '" + text + "'";
        return std::nullopt;
      }
    spec.arguments.emplace_back(key, trim(part.substr(equals + 1)));
  }
  return spec;
}

std::optional<std::string> toAttributeValue(const Option &option, const std::string &value,
                                            std::string &error) {
  auto bad = [&]() -> std::optional<std::string> {
    error = option.key + " must be " + kindName(option) + ", got '" + value + "'";
    return std::nullopt;
  };
  switch (option.kind) {
  case ValueKind::Real: {
    char *end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(v))
      return bad();
    return formatF64(v);
  }
  case ValueKind::Integer: {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size())
      return bad();
    return std::to_string(v);
  }
  case ValueKind::IntegerList: {
    // [a, b, ...] as the MLIR array attribute prints it.
    const std::string body = trim(value);
    if (body.size() < 2 || body.front() != '[' || body.back() != ']')
      return bad();
    std::string out;
    std::stringstream items(body.substr(1, body.size() - 2));
    for (std::string item; std::getline(items, item, ',');) {
      item = trim(item);
      int64_t v = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (item.empty() || ec != std::errc() || end != item.data() + item.size())
        return bad();
      out += (out.empty() ? "" : ", ") + std::to_string(v);
    }
    if (out.empty())
      return bad();
    return "[" + out + "]";
  }
  case ValueKind::Flag:
    if (value == "true" || value == "1")
      return std::string("true");
    if (value == "false" || value == "0")
      return std::string("false");
    return bad();
  case ValueKind::Choice:
    for (const std::string &c : option.choices)
      if (c == value)
        return value;
    return bad();
  case ValueKind::Schedule:
    return value;
  }
  return bad();
}

const Option *findOption(const std::vector<Option> &options, const std::string &key) {
  for (const Option &o : options)
    if (o.key == key)
      return &o;
  return nullptr;
}

std::string keysOf(const std::vector<Option> &options) {
  std::string text;
  for (const Option &o : options)
    text += (text.empty() ? "" : ", ") + o.key;
  return text.empty() ? "none" : text;
}

std::optional<std::string> attributeText(const std::string &mnemonic,
                                         const std::vector<Option> &options,
                                         const Arguments &fixed, const Arguments &arguments,
                                         std::string &error) {
  std::string params;
  for (const auto &[key, value] : fixed)
    params += (params.empty() ? "" : ", ") + key + " = " + value;
  for (const auto &[key, value] : arguments) {
    const Option *option = findOption(options, key);
    std::optional<std::string> text = toAttributeValue(*option, value, error);
    if (!text)
      return std::nullopt;
    params += (params.empty() ? "" : ", ") + key + " = " + *text;
  }
  // Methods without parameters (euler_maruyama) print no brackets at all.
  if (options.empty() && fixed.empty())
    return "#sampler." + mnemonic;
  return "#sampler." + mnemonic + "<" + params + ">";
}

std::optional<std::string> scheduleAttributeText(const std::string &text,
                                                 const Arguments &defaults, std::string &error) {
  std::optional<Spec> spec = parseSpec(text, error);
  if (!spec) {
    error = "schedule: " + error;
    return std::nullopt;
  }
  const Schedule *schedule = findSchedule(spec->name);
  if (!schedule) {
    error = "unknown schedule '" + spec->name + "' (tweedie-compile --list-samplers lists them)";
    return std::nullopt;
  }
  for (const auto &[key, v] : spec->arguments)
    if (!findOption(schedule->options, key)) {
      error = "schedule '" + schedule->name + "' has no option '" + key +
              "' (its options: " + keysOf(schedule->options) + ")";
      return std::nullopt;
    }
  for (const auto &[key, v] : defaults) {
    bool given = false;
    for (const auto &argument : spec->arguments)
      given |= argument.first == key;
    if (!given && findOption(schedule->options, key))
      spec->arguments.emplace_back(key, v);
  }
  return attributeText(spec->name, schedule->options, {}, spec->arguments, error);
}

std::string describe() {
  std::ostringstream out;
  auto option = [&](const Option &o, const std::string &defaultValue) {
    std::string lhs = o.key + "=" + (defaultValue.empty() ? "..." : defaultValue);
    out << "      " << lhs << std::string(lhs.size() < 26 ? 26 - lhs.size() : 1, ' ')
        << o.help;
    if (o.kind == ValueKind::Choice && !o.choices.empty()) {
      out << " (";
      for (size_t i = 0; i < o.choices.size(); ++i)
        out << (i ? " | " : "") << o.choices[i];
      out << ")";
    }
    out << "\n";
  };
  out << "Samplers: tweedie-compile MODEL.mlir --sampler \"NAME(key=value, ...)\"\n\n";
  for (const Sampler &s : samplers()) {
    out << "  " << s.name << "\n      " << s.summary << "\n";
    option(integer("steps", "", s.stepsMeaning), std::to_string(s.defaultSteps));
    for (const Option &o : s.options)
      option(o, o.defaultValue);
  }
  out << "\nEvery sampler also takes:\n";
  for (const Option &o : commonOptions())
    if (o.key != "steps")
      option(o, o.defaultValue);
  out << "\nSchedules (schedule=NAME or NAME(key=value, ...)):\n\n";
  for (const Schedule &s : schedules()) {
    out << "  " << s.name << "\n      " << s.summary << "\n";
    for (const Option &o : s.options)
      option(o, o.defaultValue);
  }
  return out.str();
}

} // namespace tweedie::catalog
