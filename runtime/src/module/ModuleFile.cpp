//===- ModuleFile.cpp - header + FlatBuffer encoding of a ModuleDesc ------===//
#include "tweedie/io/FormatError.h"
#include "tweedie/module/ModuleDesc.h"

#include "module_generated.h"

#include <zlib.h>

#include <bit>
#include <cstring>
#include <type_traits>

namespace tweedie::module {

namespace {

// The file's enums are the op table's and the activation list's, value for
// value: a kind or activation added to one and not the other does not compile.
#define TWEEDIE_FILE_OP(Kind, name, operands, optional)                                       \
  static_assert(static_cast<int>(OpKind::Kind) == static_cast<int>(fb::OpKind::Kind),        \
                "module.fbs's OpKind::" #Kind " differs from Ops.def's");
#include "tweedie/module/Ops.def"
static_assert(static_cast<int>(fb::OpKind::MAX) + 1 == kNumOpKinds,
              "module.fbs's OpKind and Ops.def's file ops differ in number");
#define TWEEDIE_ACTIVATION(Enum, name)                                                        \
  static_assert(static_cast<int>(Activation::Enum) == static_cast<int>(fb::Activation::Enum), \
                "module.fbs's Activation::" #Enum " differs from Activations.def's");
#include "tweedie/Activations.def"
static_assert(static_cast<int>(fb::Activation::MAX) + 1 == kNumActivations,
              "module.fbs's Activation and Activations.def differ in number");

constexpr char kMagic[8] = {'T', 'W', 'E', 'E', 'D', 'I', 'E', '\0'};
constexpr size_t kHeaderSize = 32;

/// The fixed header in front of the FlatBuffer, little-endian.
struct Header {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  uint64_t payloadSize;
  uint32_t payloadCrc;
  uint32_t headerCrc; // over the 28 bytes before it
};
static_assert(sizeof(Header) == kHeaderSize);

uint32_t crc32Of(const void *data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto *bytes = static_cast<const Bytef *>(data);
  // zlib takes uInt lengths: feed large payloads in pieces.
  while (size > 0) {
    uInt piece = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, bytes, piece);
    bytes += piece;
    size -= piece;
  }
  return static_cast<uint32_t>(crc);
}

[[noreturn]] void fail(const std::string &origin, const std::string &what) {
  throw io::FormatError(origin + ": not a valid Tweedie module: " + what);
}

/// The elements of a scalar vector. FlatBuffers' verifier checks a vector's
/// length field for 4-byte alignment only, so the int64/double elements of a
/// crafted buffer may sit misaligned: copied bytewise, never loaded as T.
template <typename T> std::vector<T> copyOf(const flatbuffers::Vector<T> *v) {
  // FlatBuffers stores little-endian scalars: the bytes are the host's values.
  static_assert(std::is_arithmetic_v<T> && std::endian::native == std::endian::little);
  std::vector<T> out(v ? v->size() : 0);
  if (!out.empty())
    std::memcpy(out.data(), v->Data(), out.size() * sizeof(T));
  return out;
}

std::string stringOf(const flatbuffers::String *s) { return s ? s->str() : std::string(); }

} // namespace

std::vector<std::byte> serializeModule(const ModuleDesc &desc) {
  if (desc.training)
    throw io::FormatError("module being written: it holds a training step, which the "
                          "compiler hands to the trainer in memory; module files hold samplers");
  verifyModule(desc, "module being written");
  flatbuffers::FlatBufferBuilder b(1 << 20);
  std::vector<flatbuffers::Offset<fb::Value>> values;
  for (const ValueDesc &v : desc.values)
    values.push_back(fb::CreateValue(b, static_cast<fb::ValueKind>(v.kind),
                                     b.CreateVector(v.shape), v.offset, v.channelsLast));
  std::vector<flatbuffers::Offset<fb::Op>> ops;
  for (const OpDesc &op : desc.body)
    ops.push_back(fb::CreateOp(b, static_cast<fb::OpKind>(op.kind), b.CreateVector(op.operands),
                               op.result, b.CreateVector(op.ints), b.CreateVector(op.floats),
                               static_cast<fb::Activation>(op.act),
                               op.kernel.empty() ? 0 : b.CreateString(op.kernel)));
  std::vector<uint8_t> weights;
  std::vector<flatbuffers::Offset<fb::Constant>> constants;
  for (const ConstantDesc &c : desc.constants) {
    uint64_t offset = weights.size();
    const auto *bytes = reinterpret_cast<const uint8_t *>(c.data.data());
    weights.insert(weights.end(), bytes, bytes + c.data.size() * sizeof(float));
    constants.push_back(fb::CreateConstant(b, b.CreateString(c.name),
                                           b.CreateVector(c.shape), offset));
  }
  auto info = fb::CreateSamplerInfo(b, b.CreateString(desc.network),
                                    b.CreateString(desc.method),
                                    b.CreateString(desc.schedule),
                                    b.CreateString(desc.prediction));
  auto kernels = b.CreateVector(reinterpret_cast<const uint8_t *>(desc.kernels.data()),
                                desc.kernels.size());
  std::vector<flatbuffers::Offset<fb::CudaKernels>> cuda;
  for (const CudaKernelsDesc &k : desc.cudaKernels)
    cuda.push_back(fb::CreateCudaKernels(b, b.CreateString(k.arch), b.CreateString(k.ptx)));
  flatbuffers::Offset<fb::Integrator> integrator;
  if (const std::optional<IntegratorDesc> &i = desc.integrator)
    integrator = fb::CreateIntegrator(b, i->time, i->tStart, i->tEnd, i->rtol, i->atol,
                                      i->finishX, i->finishV);
  auto root = fb::CreateModule(
      b, kFormatVersion, b.CreateString(desc.producer), b.CreateString(desc.entry), info,
      b.CreateVector(desc.sampleShape), desc.steps, desc.arenaBytesPerSample,
      b.CreateVector(values), b.CreateVector(ops), desc.state, desc.nextState,
      b.CreateVector(constants), b.CreateVector(weights), kernels, desc.priorScale,
      b.CreateVector(desc.extraStates), b.CreateVector(desc.nextExtraStates), integrator,
      desc.likelihoodPriorStd, cuda.empty() ? 0 : b.CreateVector(cuda));
  fb::FinishModuleBuffer(b, root);

  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.version = kFormatVersion;
  header.payloadSize = b.GetSize();
  header.payloadCrc = crc32Of(b.GetBufferPointer(), b.GetSize());
  header.headerCrc = crc32Of(&header, offsetof(Header, headerCrc));
  std::vector<std::byte> image(kHeaderSize + b.GetSize());
  std::memcpy(image.data(), &header, kHeaderSize);
  std::memcpy(image.data() + kHeaderSize, b.GetBufferPointer(), b.GetSize());
  return image;
}

ModuleDesc parseModule(std::span<const std::byte> image, const std::string &origin) {
  if (image.size() < kHeaderSize)
    fail(origin, "the file has " + std::to_string(image.size()) +
                     " bytes, fewer than the 32-byte header");
  Header header;
  std::memcpy(&header, image.data(), kHeaderSize);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0)
    fail(origin, "bad magic (expected \"TWEEDIE\\0\" at offset 0)");
  if (header.headerCrc != crc32Of(&header, offsetof(Header, headerCrc)))
    fail(origin, "the header is corrupt (its checksum does not match)");
  if (header.version < kOldestReadableVersion || header.version > kFormatVersion)
    fail(origin, "format version " + std::to_string(header.version) +
                     ", this runtime reads versions " + std::to_string(kOldestReadableVersion) +
                     " to " + std::to_string(kFormatVersion) +
                     (header.version > kFormatVersion
                          ? " (the module is newer: update the runtime or recompile the model "
                            "with a matching tweedie-compile)"
                          : " (the module is older: recompile the model)"));
  if (header.payloadSize != image.size() - kHeaderSize)
    fail(origin, "the header announces " + std::to_string(header.payloadSize) +
                     " payload bytes but the file has " +
                     std::to_string(image.size() - kHeaderSize) +
                     (header.payloadSize > image.size() - kHeaderSize ? " (truncated?)" : ""));
  const auto *payload = reinterpret_cast<const uint8_t *>(image.data() + kHeaderSize);
  if (crc32Of(payload, header.payloadSize) != header.payloadCrc)
    fail(origin, "the payload checksum does not match (the file is corrupt)");

  // The checksum only proves the bytes are what some writer wrote; the
  // structure is still verified before any field is read.
  std::vector<uint8_t> aligned(payload, payload + header.payloadSize);
  flatbuffers::Verifier verifier(aligned.data(), aligned.size());
  if (!fb::VerifyModuleBuffer(verifier))
    fail(origin, "the payload is not a well-formed module FlatBuffer");
  const fb::Module *m = fb::GetModule(aligned.data());
  if (m->version() != header.version)
    fail(origin, "payload version " + std::to_string(m->version()) +
                     " disagrees with the header");

  ModuleDesc desc;
  desc.producer = stringOf(m->producer());
  desc.entry = stringOf(m->entry());
  if (const fb::SamplerInfo *info = m->info()) {
    desc.network = stringOf(info->network());
    desc.method = stringOf(info->method());
    desc.schedule = stringOf(info->schedule());
    desc.prediction = stringOf(info->prediction());
  }
  desc.sampleShape = copyOf(m->sample_shape());
  desc.steps = m->steps();
  desc.arenaBytesPerSample = m->arena_bytes_per_sample();
  desc.priorScale = m->prior_scale();
  desc.likelihoodPriorStd = m->likelihood_prior_std();
  if (m->values())
    for (const fb::Value *v : *m->values())
      desc.values.push_back({static_cast<ValueKind>(v->kind()), copyOf(v->shape()),
                             v->offset(), v->channels_last()});
  if (m->body())
    for (const fb::Op *op : *m->body()) {
      if (static_cast<uint16_t>(op->kind()) >= kNumOpKinds)
        fail(origin, "op #" + std::to_string(desc.body.size()) + " has unknown kind " +
                         std::to_string(static_cast<int>(op->kind())));
      desc.body.push_back({static_cast<OpKind>(op->kind()), copyOf(op->operands()),
                           op->result(), copyOf(op->ints()), copyOf(op->floats()),
                           static_cast<Activation>(op->act()), stringOf(op->kernel())});
    }
  desc.state = m->state();
  desc.nextState = m->next_state();
  desc.extraStates = copyOf(m->extra_states());
  desc.nextExtraStates = copyOf(m->next_extra_states());
  if (const fb::Integrator *i = m->integrator())
    desc.integrator = IntegratorDesc{i->time(),  i->t_start(),  i->t_end(), i->rtol(),
                                     i->atol(), i->finish_x(), i->finish_v()};
  const flatbuffers::Vector<uint8_t> *weights = m->weights();
  const size_t weightBytes = weights ? weights->size() : 0;
  if (m->constants())
    for (const fb::Constant *c : *m->constants()) {
      ConstantDesc constant{stringOf(c->name()), copyOf(c->shape()), {}};
      int64_t numel = 1;
      for (int64_t d : constant.shape) {
        if (d <= 0 || d > (int64_t{1} << 32) || numel > (int64_t{1} << 40) / d)
          fail(origin, "constant '" + constant.name + "' has a bad shape");
        numel *= d;
      }
      uint64_t bytes = static_cast<uint64_t>(numel) * sizeof(float);
      if (c->byte_offset() > weightBytes || bytes > weightBytes - c->byte_offset())
        fail(origin, "constant '" + constant.name + "' (" + std::to_string(bytes) +
                         " bytes at " + std::to_string(c->byte_offset()) +
                         ") lies outside the " + std::to_string(weightBytes) +
                         "-byte weight block");
      constant.data.resize(numel);
      std::memcpy(constant.data.data(), weights->data() + c->byte_offset(), bytes);
      desc.constants.push_back(std::move(constant));
    }
  if (const flatbuffers::Vector<uint8_t> *kernels = m->kernels())
    desc.kernels.assign(reinterpret_cast<const std::byte *>(kernels->data()),
                        reinterpret_cast<const std::byte *>(kernels->data()) +
                            kernels->size());
  if (m->cuda_kernels())
    for (const fb::CudaKernels *k : *m->cuda_kernels())
      desc.cudaKernels.push_back({stringOf(k->arch()), stringOf(k->ptx())});
  verifyModule(desc, origin);
  return desc;
}

} // namespace tweedie::module
