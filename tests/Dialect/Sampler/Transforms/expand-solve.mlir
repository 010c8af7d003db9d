// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve | FileCheck %s

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// DDPM: one loop over the sampling steps; the network is conditioned on the
// timestep; fresh noise each step (step = loop index); float64 tables.
// CHECK-LABEL: func @ddpm
// CHECK-SAME: (%[[NOISE:.*]]: tensor<?x2xf32>, %[[SEED:.*]]: i64, %[[FIRST:.*]]: index)
// CHECK: %[[R:.*]] = sampler.loop %[[I:.*]] steps 4 iter_args(%[[X:.*]] = %[[NOISE]]) -> (tensor<?x2xf32>) {
// CHECK-NEXT: %[[T:.*]] = sampler.timestep %[[I]] for %[[X]] values [999.0, 666.0, 333.0, 0.0]
// CHECK-NEXT: %[[EPS:.*]] = func.call @net(%[[X]], %[[T]])
// CHECK-NEXT: %[[Z:.*]] = sampler.randn %[[X]], seed %[[SEED]], sample %[[FIRST]], step %[[I]] :
// CHECK-NEXT: %[[N:.*]] = sampler.ancestral_step %[[X]], %[[EPS]], %[[Z]] at %[[I]]
// abar at t = 999 of Ho et al.'s schedule, then abar_prev ending at the data (1.0).
// CHECK-SAME: alpha_bar = array<f64: 4.0358297653756{{[0-9]*}}E-5,
// CHECK-SAME: alpha_bar_prev = array<f64: 0.0109842{{[0-9]*}}, 0.318624{{[0-9]*}}, 9.999000e-01, 1.000000e+00>}
// CHECK-NEXT: sampler.yield %[[N]]
// CHECK: return %[[R]]
// CHECK-NOT: sampler.solve
func.func @ddpm(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ddpm<> prediction eps steps 4 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// Deterministic DDIM draws no noise; trailing spacing picks 999, 749, 499, 249.
// CHECK-LABEL: func @ddim
// CHECK: sampler.timestep %{{.*}} values [999.0, 749.0, 499.0, 249.0]
// CHECK-NOT: sampler.randn
// CHECK: sampler.ddim_step %{{.*}}, %{{.*}} at %{{.*}} {{{.*}}eta = 0.000000e+00 : f64} : tensor<?x2xf32>
func.func @ddim(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ddim<> prediction eps steps 4 spacing trailing : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// Stable Diffusion's DDIM: leading spacing with steps_offset 1 visits 751 ... 1,
// and set_alpha_to_one = False (final_sigma min) ends the last step at
// abar_0 = 1 - beta_0 = 0.9999 instead of 1.
// CHECK-LABEL: func @ddim_sd
// CHECK: sampler.timestep %{{.*}} values [751.0, 501.0, 251.0, 1.0]
// CHECK: sampler.ddim_step {{.*}}alpha_bar_prev = array<f64: 0.07701{{[0-9]+}}, 0.51876{{[0-9]+}}, 0.99978{{[0-9]+}}, 9.999000e-01>
func.func @ddim_sd(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<> method #sampler.ddim<> prediction eps steps 4 spacing leading final_sigma min steps_offset 1 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// Stochastic DDIM draws noise; a v-predicting network is converted to eps first
// with alpha = sqrt(abar), sigma = sqrt(1 - abar) of a cosine schedule.
// CHECK-LABEL: func @ddim_v
// CHECK: %[[OUT:.*]] = func.call @net
// CHECK-NEXT: %[[EPS:.*]] = sampler.reparameterize %[[OUT]] at %{{.*}} from v to eps given %{{.*}} {alpha = array<f64: {{.*}}>, sigma = array<f64: {{.*}}>}
// CHECK-NEXT: %[[Z:.*]] = sampler.randn
// CHECK-NEXT: sampler.ddim_step %{{.*}}, %[[EPS]], %[[Z]] at {{.*}}eta = 5.000000e-01 : f64}
func.func @ddim_v(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_cosine<> method #sampler.ddim<eta = 0.5> prediction v steps 10 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// The beta variance choice reaches the step op.
// CHECK-LABEL: func @ddpm_beta
// CHECK: sampler.ancestral_step {{.*}}variance = 1 : i32}
func.func @ddpm_beta(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.ddpm_linear<timesteps = 50> method #sampler.ddpm<variance = beta> prediction x0 steps 50 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
