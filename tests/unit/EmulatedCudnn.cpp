//===- EmulatedCudnn.cpp - cuDNN's convolutions on the host, for tests ----===//
#include "EmulatedCudnn.h"
#include "EmulatedCudaDriver.h"

#include <array>
#include <vector>

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

/// A convolution's geometry from its descriptors, checked as cuDNN would.
struct Geometry {
  int n, ch, h, wi, k, cg, r, s, p, q;
  Conv c;
};

DnnStatus geometryOf(TensorDesc xd, FilterDesc wd, ConvDesc cd, TensorDesc yd, Geometry &g) {
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
  g = {n, ch, h, wi, k, cg, r, s, p, q, c};
  return kSuccess;
}

/// Calls f(x index, w index, y index) for every product of the convolution,
/// in the order of y's elements, then of each one's terms.
template <typename F> void forEachProduct(const Geometry &g, F f) {
  const int perGroup = g.k / g.c.groups;
  for (int in = 0; in < g.n; ++in)
    for (int ko = 0; ko < g.k; ++ko) {
      const int group = ko / perGroup;
      for (int po = 0; po < g.p; ++po)
        for (int qo = 0; qo < g.q; ++qo) {
          const int y = ((in * g.k + ko) * g.p + po) * g.q + qo;
          for (int ci = 0; ci < g.cg; ++ci)
            for (int ri = 0; ri < g.r; ++ri)
              for (int si = 0; si < g.s; ++si) {
                const int hy = po * g.c.strideH - g.c.padH + ri;
                const int wx = qo * g.c.strideW - g.c.padW + si;
                if (hy < 0 || hy >= g.h || wx < 0 || wx >= g.wi)
                  continue;
                f(((in * g.ch + group * g.cg + ci) * g.h + hy) * g.wi + wx,
                  ((ko * g.cg + ci) * g.r + ri) * g.s + si, y);
              }
        }
    }
}

/// Queues out = alpha sum + beta out, the sum accumulated by `accumulate`
/// (acc, the geometry) in float32 in forEachProduct's order.
template <typename F>
DnnStatus queuePass(DnnHandle handle, const Geometry &g, size_t outCount, const void *alpha,
                    const void *beta, float *out, F accumulate) {
  const float a = *static_cast<const float *>(alpha), b = *static_cast<const float *>(beta);
  emulatedEnqueue(reinterpret_cast<Handle *>(handle)->stream, [=] {
    std::vector<float> acc(outCount, 0.0f);
    accumulate(acc.data());
    for (size_t i = 0; i < outCount; ++i)
      out[i] = a * acc[i] + (b != 0.0f ? b * out[i] : 0.0f);
  });
  return kSuccess;
}

DnnStatus forward(DnnHandle handle, const void *alpha, TensorDesc xd, const void *x,
                  FilterDesc wd, const void *w, ConvDesc cd, int, void *, size_t,
                  const void *beta, TensorDesc yd, void *y) {
  Geometry g;
  if (DnnStatus status = geometryOf(xd, wd, cd, yd, g))
    return status;
  auto *px = static_cast<const float *>(x), *pw = static_cast<const float *>(w);
  return queuePass(handle, g, size_t(g.n) * g.k * g.p * g.q, alpha, beta,
                   static_cast<float *>(y), [=](float *acc) {
                     forEachProduct(g, [&](int xi, int wi, int yi) { acc[yi] += px[xi] * pw[wi]; });
                   });
}

DnnStatus backwardData(DnnHandle handle, const void *alpha, FilterDesc wd, const void *w,
                       TensorDesc dyd, const void *dy, ConvDesc cd, int, void *, size_t,
                       const void *beta, TensorDesc dxd, void *dx) {
  Geometry g;
  if (DnnStatus status = geometryOf(dxd, wd, cd, dyd, g))
    return status;
  auto *pw = static_cast<const float *>(w), *pdy = static_cast<const float *>(dy);
  return queuePass(handle, g, size_t(g.n) * g.ch * g.h * g.wi, alpha, beta,
                   static_cast<float *>(dx), [=](float *acc) {
                     forEachProduct(g, [&](int xi, int wi, int yi) {
                       acc[xi] += pdy[yi] * pw[wi];
                     });
                   });
}

DnnStatus backwardFilter(DnnHandle handle, const void *alpha, TensorDesc xd, const void *x,
                         TensorDesc dyd, const void *dy, ConvDesc cd, int, void *, size_t,
                         const void *beta, FilterDesc dwd, void *dw) {
  Geometry g;
  if (DnnStatus status = geometryOf(xd, dwd, cd, dyd, g))
    return status;
  auto *px = static_cast<const float *>(x), *pdy = static_cast<const float *>(dy);
  return queuePass(handle, g, size_t(g.k) * g.cg * g.r * g.s, alpha, beta,
                   static_cast<float *>(dw), [=](float *acc) {
                     forEachProduct(g, [&](int xi, int wi, int yi) {
                       acc[wi] += px[xi] * pdy[yi];
                     });
                   });
}

/// One algorithm, no workspace: what the emulator's loops need.
DnnStatus oneAlgorithm(int *returned, ConvAlgoPerf *perf) {
  perf[0] = ConvAlgoPerf{};
  *returned = 1;
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
      return oneAlgorithm(returned, perf);
    };
    a.backwardDataAlgorithms = [](DnnHandle, FilterDesc, TensorDesc, ConvDesc, TensorDesc, int,
                                  int *returned, ConvAlgoPerf *perf) {
      return oneAlgorithm(returned, perf);
    };
    a.backwardFilterAlgorithms = [](DnnHandle, TensorDesc, TensorDesc, ConvDesc, FilterDesc,
                                    int, int *returned, ConvAlgoPerf *perf) {
      return oneAlgorithm(returned, perf);
    };
    a.forwardWorkspace = [](DnnHandle, TensorDesc, FilterDesc, ConvDesc, TensorDesc, int,
                            size_t *bytes) {
      *bytes = 0;
      return kSuccess;
    };
    a.backwardDataWorkspace = [](DnnHandle, FilterDesc, TensorDesc, ConvDesc, TensorDesc, int,
                                 size_t *bytes) {
      *bytes = 0;
      return kSuccess;
    };
    a.backwardFilterWorkspace = [](DnnHandle, TensorDesc, TensorDesc, ConvDesc, FilterDesc, int,
                                   size_t *bytes) {
      *bytes = 0;
      return kSuccess;
    };
    a.forward = forward;
    a.backwardData = backwardData;
    a.backwardFilter = backwardFilter;
    return a;
  }();
  static const DnnAvailability availability{&api, ""};
  return availability;
}

} // namespace tweedie::testing
