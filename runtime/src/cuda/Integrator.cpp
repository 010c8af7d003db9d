//===- Integrator.cpp -------------------------------------------------------===//
#include "cuda/Integrator.h"
#include "tweedie/DormandPrinceTableau.h"
#include "tweedie/Error.h"
#include "tweedie/module/DeviceKernels.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace tweedie::cuda {

namespace {

using Kind = module::LayerKernel::Kind;

std::string nameOf(Kind kind) { return module::LayerKernel{kind}.name(); }

using dormandprince::kA;
using dormandprince::kB;
using dormandprince::kC;

/// The per-sample records, float64 each, in the order they lie on the device.
enum Row { T, H, H0, D1, TNext, LastStep, Active, RejectedLast, AcceptedNow, Steps, Status,
           kRowRecords };

std::string failure(double status) {
  if (status == 3)
    return "the velocity is not finite (diverging network or weights?)";
  if (status == 1)
    return "no end after the module's steps (raise steps=, or loosen rtol/atol)";
  return "the step size underflowed (the ODE is too stiff for rtol/atol)";
}

} // namespace

bool integrateOnDevice(ProgramResources &resources, const module::ModuleDesc &desc,
                       const DeviceFrame &frame,
                       const std::function<bool(double fraction)> &progress) {
  const module::IntegratorDesc &spec = *desc.integrator;
  Context &gpu = resources.context;
  Launcher &l = resources.launcher();
  int64_t rows = frame.rows, width = desc.sampleNumel(), count = rows * width;
  double rtol = spec.rtol, atol = spec.atol, tEnd = spec.tEnd;
  double span = spec.tEnd - spec.tStart, direction = span > 0 ? 1.0 : -1.0;
  double maxSteps = static_cast<double>(desc.steps);
  // y, the fifth-order solution, the seven stages, then the row records.
  DeviceBuffer memory(gpu, static_cast<size_t>(9 * count + kRowRecords * rows) * 8);
  CUdeviceptr y = memory.pointer, yNew = y + count * 8, stages = yNew + count * 8;
  const CUdeviceptr records = stages + 7 * count * 8;
  CUdeviceptr row[kRowRecords];
  for (int k = 0; k < kRowRecords; ++k)
    row[k] = records + static_cast<CUdeviceptr>(k * rows * 8);
  std::vector<double> host(static_cast<size_t>(kRowRecords * rows), 0.0);
  std::fill_n(host.begin() + T * rows, rows, spec.tStart);
  std::fill_n(host.begin() + Active * rows, rows, 1.0);
  gpu.upload(records, host.data(), host.size() * sizeof(double));

  CUdeviceptr state = frame.pointer(desc.state), time = frame.pointer(spec.time);
  CUdeviceptr velocity = frame.pointer(desc.nextState);
  auto widen = [&](CUdeviceptr out, CUdeviceptr x) {
    int64_t n = count;
    l.launch(nameOf(Kind::RK45Widen), n, {&out, &x, &n});
  };
  auto stage = [&](int64_t terms, const double *c, CUdeviceptr h) {
    int64_t n = count, w = width, stride = count, m = terms;
    double coefficient[6] = {};
    std::copy(c, c + terms, coefficient);
    std::vector<void *> params = {&state, &yNew, &y, &stages, &h, &n, &w, &stride, &m};
    for (double &v : coefficient)
      params.push_back(&v);
    l.launch(nameOf(Kind::RK45Stage), n, params);
  };
  auto stageTime = [&](CUdeviceptr base, CUdeviceptr h, double c) {
    int64_t n = rows;
    l.launch(nameOf(Kind::RK45Time), n, {&time, &base, &h, &n, &c});
  };
  // One velocity evaluation into stage `slot` (noise keyed by step 0, as the
  // CPU's integrator keys it).
  auto evaluate = [&](int slot) {
    resources.queueBody(frame);
    widen(stages + static_cast<CUdeviceptr>(slot * count * 8), velocity);
  };

  // The initial step size, from the start's velocity and one Euler probe.
  widen(y, state);
  stageTime(row[T], row[H0], 0.0);
  evaluate(0);
  int64_t n = rows;
  l.launch(nameOf(Kind::RK45Initial), n,
           {&row[H0], &row[D1], &y, &stages, &row[Active], &n, &width, &rtol, &atol, &span});
  stage(1, &direction, row[H0]);
  stageTime(row[T], row[H0], direction);
  evaluate(1);
  l.launch(nameOf(Kind::RK45InitialStep), n,
           {&row[H], &y, &stages, &row[H0], &row[D1], &row[Active], &n, &width, &count, &rtol,
            &atol, &span, &direction});

  // kAttemptsPerReplay attempted steps, captured once.
  gpu.beginCapture(resources.stream);
  CapturedGraph graph{gpu};
  try {
    for (int attempt = 0; attempt < kAttemptsPerReplay; ++attempt) {
      l.launch(nameOf(Kind::RK45Begin), n,
               {&row[H], &row[LastStep], &row[TNext], &row[T], &row[Active], &n, &tEnd,
                &direction});
      for (int s = 1; s < 6; ++s) {
        stage(s, kA[s], row[H]);
        stageTime(row[T], row[H], kC[s]);
        evaluate(s);
      }
      stage(6, kB, row[H]); // yNew, the first stage of the next step
      stageTime(row[TNext], row[H], 0.0);
      evaluate(6);
      l.launch(nameOf(Kind::RK45Control), n,
               {&row[T], &row[H], &row[Active], &row[RejectedLast], &row[AcceptedNow],
                &row[Steps], &row[Status], &y, &yNew, &stages, &row[TNext], &row[LastStep], &n,
                &width, &count, &rtol, &atol, &span, &maxSteps});
      int64_t elements = count;
      l.launch(nameOf(Kind::RK45Accept), elements,
               {&y, &stages, &yNew, &stages, &row[AcceptedNow], &elements, &width, &count});
    }
  } catch (...) {
    graph.graph = gpu.endCapture(resources.stream); // leave the stream usable
    throw;
  }
  graph.graph = gpu.endCapture(resources.stream);
  graph.exec = gpu.instantiate(graph.graph);

  // Replays until no row is active; each row stops by maxSteps at the latest.
  for (int64_t replay = 0;; ++replay) {
    gpu.launchGraph(graph.exec, resources.stream);
    gpu.synchronize(resources.stream);
    gpu.download(host.data(), records, host.size() * sizeof(double));
    bool active = false;
    double slowest = 1.0;
    for (int64_t r = 0; r < rows; ++r) {
      if (const double status = host[static_cast<size_t>(Status * rows + r)]; status != 0) {
        char at[32];
        std::snprintf(at, sizeof at, "%.9g", host[static_cast<size_t>(T * rows + r)]);
        throw Error(ErrorKind::Numeric, "rk45: " + failure(status) + " in sample " +
                                            std::to_string(frame.firstSample + r) +
                                            " at t = " + at);
      }
      if (host[static_cast<size_t>(Active * rows + r)] != 0) {
        active = true;
        slowest = std::min(slowest, (host[static_cast<size_t>(T * rows + r)] - spec.tStart) / span);
      }
    }
    if (progress && !progress(active ? slowest : 1.0))
      return false;
    if (!active)
      break;
    if ((replay + 1) * kAttemptsPerReplay > desc.steps + kAttemptsPerReplay)
      throw Error(ErrorKind::Internal, "rk45 on the GPU: rows still active past maxSteps");
  }

  // The solution in float32, then the optional finishing step x <- a x + b v
  // at tEnd.
  auto finish = [&](int64_t final, float a, float b) {
    int64_t elements = count;
    l.launch(nameOf(Kind::RK45Finish), elements, {&state, &y, &velocity, &elements, &final, &a,
                                                  &b});
  };
  finish(0, 1.0f, 0.0f);
  if (spec.finishV != 0.0) {
    stageTime(row[T], row[H], 0.0); // every row's t is tEnd now
    resources.queueBody(frame);
    finish(1, static_cast<float>(spec.finishX), static_cast<float>(spec.finishV));
  }
  gpu.synchronize(resources.stream);
  return true;
}

} // namespace tweedie::cuda
