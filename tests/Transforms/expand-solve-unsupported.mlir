// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve --verify-diagnostics

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{cannot be expanded yet: method 'rk45' on schedule #sampler.vp<> with prediction score (expanded so far: ddpm and ddim on ddpm_linear/ddpm_cosine; euler_maruyama, langevin, annealed_langevin and ode euler/heun/rk4/dpm_solver_2/dpm_solver_3 without churn on vp, subvp, ve, karras, ncsn and sigmas; no denoise_final)}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<> method #sampler.rk45<> prediction score steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
func.func @f(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // expected-error @+1 {{cannot be expanded yet: method 'ddpm' on schedule #sampler.ddpm_linear<> with prediction eps and denoise_final}}
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 10 denoise_final : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
