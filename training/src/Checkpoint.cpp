//===- Checkpoint.cpp -------------------------------------------------------===//
#include "tweedie/train/Checkpoint.h"
#include "tweedie/io/FormatError.h"
#include "tweedie/io/SafeTensors.h"

#include <cstring>
#include <stdexcept>

namespace tweedie::train {

namespace {

constexpr const char *kStepKey = "tweedie.step";
constexpr const char *kParametersKey = "tweedie.parameters";
const char *const kPrefixes[] = {"ema/", "adam.m/", "adam.v/"};

std::vector<float> floatsOf(const io::NamedTensor &t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  std::memcpy(out.data(), t.data.data(), out.size() * sizeof(float));
  return out;
}

} // namespace

void writeCheckpoint(const std::filesystem::path &path, const Checkpoint &checkpoint) {
  io::SafeTensorsFile file;
  file.metadata = checkpoint.settings;
  file.metadata[kStepKey] = std::to_string(checkpoint.step);
  std::string names;
  for (size_t k = 0; k < checkpoint.state.size(); ++k) {
    const ParameterState &s = checkpoint.state[k];
    names += (k ? "," : "") + s.name;
    const std::vector<float> *parts[] = {&checkpoint.weights[k], &s.ema, &s.m, &s.v};
    const std::string prefixes[] = {"", kPrefixes[0], kPrefixes[1], kPrefixes[2]};
    for (int p = 0; p < 4; ++p)
      file.tensors[prefixes[p] + s.name] =
          io::NamedTensor::fromFloat32(prefixes[p] + s.name, s.shape, *parts[p]);
  }
  file.metadata[kParametersKey] = names;
  file.write(path);
}

Checkpoint readCheckpoint(const std::filesystem::path &path) {
  io::SafeTensorsFile file = io::SafeTensorsFile::read(path);
  auto fail = [&](const std::string &what) -> void {
    throw io::FormatError(path.string() + ": not a Tweedie training checkpoint: " + what);
  };
  Checkpoint c;
  auto step = file.metadata.find(kStepKey);
  auto names = file.metadata.find(kParametersKey);
  if (step == file.metadata.end() || names == file.metadata.end())
    fail(std::string("no ") + kStepKey + " / " + kParametersKey + " metadata");
  char *end = nullptr;
  c.step = std::strtoll(step->second.c_str(), &end, 10);
  if (end == step->second.c_str() || *end || c.step < 0)
    fail("step '" + step->second + "' is not a non-negative integer");
  c.settings = file.metadata;
  c.settings.erase(kStepKey);
  c.settings.erase(kParametersKey);
  std::string list = names->second;
  size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
    auto get = [&](const std::string &key) -> const io::NamedTensor & {
      auto it = file.tensors.find(key);
      if (it == file.tensors.end())
        fail("tensor '" + key + "' is missing");
      if (it->second.dtype != io::DType::F32)
        fail("tensor '" + key + "' is not F32");
      return it->second;
    };
    const io::NamedTensor &w = get(name);
    ParameterState s{name, w.shape, {}, {}, {}};
    const io::NamedTensor &ema = get(kPrefixes[0] + name), &m = get(kPrefixes[1] + name),
                          &v = get(kPrefixes[2] + name);
    if (ema.shape != w.shape || m.shape != w.shape || v.shape != w.shape)
      fail("the optimiser state of '" + name + "' has another shape than the weight");
    s.ema = floatsOf(ema);
    s.m = floatsOf(m);
    s.v = floatsOf(v);
    c.weights.push_back(floatsOf(w));
    c.state.push_back(std::move(s));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return c;
}

void writeWeights(const std::filesystem::path &path, const std::vector<ParameterState> &state,
                  const std::vector<std::vector<float>> &values,
                  const std::map<std::string, std::string> &metadata) {
  io::SafeTensorsFile file;
  file.metadata = metadata;
  for (size_t k = 0; k < state.size(); ++k)
    file.tensors[state[k].name] =
        io::NamedTensor::fromFloat32(state[k].name, state[k].shape, values[k]);
  file.write(path);
}

} // namespace tweedie::train
