//===- EmulatedCudnn.cpp - cuDNN's convolution on the host, for tests -----===//
#include "EmulatedCudnn.h"
#include "EmulatedCudaDriver.h"

#include <array>

namespace tweedie::testing {

namespace {

using namespace tweedie::cuda;

constexpr DnnStatus kSuccess = 0, kBadParam = 2000, kNotSupported = 3000;

struct Tensor4 {
  std::array<int, 4> dims{}; // n c h w, or k c r s for a filter
  int format = -1, type = -1;
};
struct Conv {
  int padH = 0, padW = 0, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int mode = -1, groups = 1, math = 0;
};
struct Handle {
  CUstream stream = nullptr;
};

template <typename T, typename D> DnnStatus make(D *out) {
  *out = reinterpret_cast<D>(new T);
  return kSuccess;
}
template <typename T, typename D> DnnStatus drop(D d) {
  delete reinterpret_cast<T *>(d);
  return kSuccess;
}

DnnStatus setTensor(Tensor4 &t, int format, int type, int a, int b, int c, int d) {
  if (a <= 0 || b <= 0 || c <= 0 || d <= 0)
    return kBadParam;
  t = {{a, b, c, d}, format, type};
  return kSuccess;
}

DnnStatus forward(DnnHandle handle, const void *alpha, TensorDesc xd, const void *x,
                  FilterDesc wd, const void *w, ConvDesc cd, int, void *, size_t,
                  const void *beta, TensorDesc yd, void *y) {
  const Tensor4 xt = *reinterpret_cast<Tensor4 *>(xd), yt = *reinterpret_cast<Tensor4 *>(yd);
  const Tensor4 wt = *reinterpret_cast<Tensor4 *>(wd);
  const Conv c = *reinterpret_cast<Conv *>(cd);
  for (const Tensor4 *t : {&xt, &yt, &wt})
    if (t->format != kDnnNchw || t->type != kDnnFloat)
      return kNotSupported;
  if (c.mode != kDnnCrossCorrelation || c.dilationH != 1 || c.dilationW != 1)
    return kNotSupported;
  const auto [n, ch, h, wi] = xt.dims;
  const auto [k, cg, r, s] = wt.dims;
  const int p = yt.dims[2], q = yt.dims[3];
  if (yt.dims[0] != n || yt.dims[1] != k || ch != cg * c.groups || k % c.groups ||
      p != (h + 2 * c.padH - r) / c.strideH + 1 || q != (wi + 2 * c.padW - s) / c.strideW + 1)
    return kBadParam;
  const float a = *static_cast<const float *>(alpha), b = *static_cast<const float *>(beta);
  auto *px = static_cast<const float *>(x), *pw = static_cast<const float *>(w);
  auto *py = static_cast<float *>(y);
  const int perGroup = k / c.groups;
  emulatedEnqueue(reinterpret_cast<Handle *>(handle)->stream, [=] {
    for (int in = 0; in < n; ++in)
      for (int ko = 0; ko < k; ++ko) {
        const int g = ko / perGroup;
        for (int po = 0; po < p; ++po)
          for (int qo = 0; qo < q; ++qo) {
            float sum = 0.0f;
            for (int ci = 0; ci < cg; ++ci)
              for (int ri = 0; ri < r; ++ri)
                for (int si = 0; si < s; ++si) {
                  const int hy = po * c.strideH - c.padH + ri, wx = qo * c.strideW - c.padW + si;
                  if (hy < 0 || hy >= h || wx < 0 || wx >= wi)
                    continue;
                  sum += px[((in * ch + g * cg + ci) * h + hy) * wi + wx] *
                         pw[((ko * cg + ci) * r + ri) * s + si];
                }
            float &out = py[((in * k + ko) * p + po) * q + qo];
            out = a * sum + (b != 0.0f ? b * out : 0.0f);
          }
      }
  });
  return kSuccess;
}

} // namespace

const DnnAvailability &emulatedCudnn() {
  static const DnnApi api = [] {
    DnnApi a;
    a.create = [](DnnHandle *h) { return make<Handle>(h); };
    a.destroy = [](DnnHandle h) { return drop<Handle>(h); };
    a.setStream = [](DnnHandle h, CUstream s) {
      reinterpret_cast<Handle *>(h)->stream = s;
      return kSuccess;
    };
    a.errorString = [](DnnStatus s) {
      return s == kSuccess ? "CUDNN_STATUS_SUCCESS"
             : s == kBadParam ? "CUDNN_STATUS_BAD_PARAM"
                              : "CUDNN_STATUS_NOT_SUPPORTED";
    };
    a.createTensor = [](TensorDesc *t) { return make<Tensor4>(t); };
    a.setTensor4d = [](TensorDesc t, int format, int type, int n, int c, int h, int w) {
      return setTensor(*reinterpret_cast<Tensor4 *>(t), format, type, n, c, h, w);
    };
    a.destroyTensor = [](TensorDesc t) { return drop<Tensor4>(t); };
    a.createFilter = [](FilterDesc *f) { return make<Tensor4>(f); };
    a.setFilter4d = [](FilterDesc f, int type, int format, int k, int c, int h, int w) {
      return setTensor(*reinterpret_cast<Tensor4 *>(f), format, type, k, c, h, w);
    };
    a.destroyFilter = [](FilterDesc f) { return drop<Tensor4>(f); };
    a.createConv = [](ConvDesc *c) { return make<Conv>(c); };
    a.setConv2d = [](ConvDesc d, int padH, int padW, int strideH, int strideW, int dilationH,
                     int dilationW, int mode, int) {
      auto &c = *reinterpret_cast<Conv *>(d);
      c.padH = padH, c.padW = padW, c.strideH = strideH, c.strideW = strideW;
      c.dilationH = dilationH, c.dilationW = dilationW, c.mode = mode;
      return kSuccess;
    };
    a.setConvGroups = [](ConvDesc d, int groups) {
      reinterpret_cast<Conv *>(d)->groups = groups;
      return kSuccess;
    };
    a.setConvMath = [](ConvDesc d, int math) {
      reinterpret_cast<Conv *>(d)->math = math;
      return kSuccess;
    };
    a.destroyConv = [](ConvDesc c) { return drop<Conv>(c); };
    a.forwardAlgorithms = [](DnnHandle, TensorDesc, FilterDesc, ConvDesc, TensorDesc, int,
                             int *returned, ConvAlgoPerf *perf) {
      perf[0] = ConvAlgoPerf{};
      *returned = 1;
      return kSuccess;
    };
    a.forwardWorkspace = [](DnnHandle, TensorDesc, FilterDesc, ConvDesc, TensorDesc, int,
                            size_t *bytes) {
      *bytes = 0;
      return kSuccess;
    };
    a.forward = forward;
    return a;
  }();
  static const DnnAvailability availability{&api, ""};
  return availability;
}

} // namespace tweedie::testing
