// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve --verify-diagnostics

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{cannot be expanded yet: method 'rk45' on schedule #sampler.vp<> with prediction score (expanded so far: ddpm and ddim on ddpm_linear/ddpm_cosine; euler_maruyama, langevin, annealed_langevin and ode euler/heun/rk4/dpm_solver_2/dpm_solver_3/dpm_solver_pp_2m on vp, subvp, ve, karras, ncsn and sigmas)}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<> method #sampler.rk45<> prediction score steps 10 : tensor<?x2xf32>
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
