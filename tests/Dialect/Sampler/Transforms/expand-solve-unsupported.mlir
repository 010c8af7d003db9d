// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve --verify-diagnostics

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?xf32> {
  return %t : tensor<?xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{cannot be expanded: mala does not take denoise_final yet}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ncsn<> method #sampler.mala<> prediction energy steps 10 denoise_final : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{cannot be expanded: churn applies to the euler and heun solvers on sigma schedules (karras, sigmas, ncsn)}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<> method #sampler.ode<solver = heun, churn = 1.0> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{cannot be expanded: denoise_final: the grid already ends at sigma = 0}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.karras<> method #sampler.ode<solver = heun> prediction eps steps 10 denoise_final : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{cannot be expanded: the adaptive probability-flow ODE (rk45, likelihood) needs a continuous process (vp, subvp, ve) or a sigma schedule; on DDPM schedules use ddim or the fixed-step ODE solvers (e.g. dpm_solver_3)}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.rk45<> prediction eps steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
