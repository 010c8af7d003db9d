// RUN: tweedie-opt %s --split-input-file --tweedie-fuse-steps | FileCheck %s

// Langevin: x + eta s + sqrt(2 eta) z.
// CHECK-LABEL: func @langevin
// CHECK: sampler.affine_step %arg0, %arg1, %arg2 at %arg3 {a = array<f64: 1.000000e+00, 1.000000e+00>, b = array<f64: 2.000000e-02, 5.000000e-01>, c = array<f64: 2.000000e-01, 1.000000e+00>}
// CHECK-NOT: langevin_step
func.func @langevin(%x: tensor<?x2xf32>, %s: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  %0 = sampler.langevin_step %x, %s, %z at %i {step_size = array<f64: 0.02, 0.5>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// Reverse Euler-Maruyama: a = 1 - f dt = 1.05, b = g^2 dt = 0.1, c = sqrt(g^2 dt).
// CHECK-LABEL: func @euler_maruyama
// CHECK: sampler.affine_step {{.*}} {a = array<f64: 1.050000e+00>, b = array<f64: 1.000000e-01>, c = array<f64: 0.3162277660168379{{[0-9]*}}>}
func.func @euler_maruyama(%x: tensor<?x2xf32>, %s: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  %0 = sampler.euler_maruyama_step %x, %s, %z at %i {drift = array<f64: -5.0>, diffusion_sq = array<f64: 10.0>, dt = array<f64: 0.01>} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// Deterministic DDIM keeps no noise operand and c = 0; the final DDPM step
// (abar_prev = 1) adds no noise either.
// CHECK-LABEL: func @ddim_and_ddpm
// CHECK: %[[D:.*]] = sampler.affine_step %arg0, %arg1 at %arg3 {{{.*}}c = array<f64: 0.000000e+00>}
// CHECK: sampler.affine_step %[[D]], %arg1, %arg2 at %arg3 {{{.*}}c = array<f64: 0.000000e+00>}
func.func @ddim_and_ddpm(%x: tensor<?x2xf32>, %e: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  %0 = sampler.ddim_step %x, %e at %i {alpha_bar = array<f64: 0.5>, alpha_bar_prev = array<f64: 1.0>, eta = 0.0 : f64} : tensor<?x2xf32>
  %1 = sampler.ancestral_step %0, %e, %z at %i {alpha_bar = array<f64: 0.9>, alpha_bar_prev = array<f64: 1.0>} : tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}

// -----

// A conversion feeding a step folds into it: the step reads the network output.
// eps = -sigma * score with sigma = 2, DDIM(eta=0) from abar 0.2 to 1:
// x' = (x - sqrt(0.8) eps) / sqrt(0.2) = x / sqrt(0.2) + sqrt(0.8) * 2 / sqrt(0.2) score.
// CHECK-LABEL: func @fold_reparameterize
// CHECK-NOT: sampler.reparameterize
// CHECK: sampler.affine_step %arg0, %arg1 at %arg2 {a = array<f64: 2.23606797749978{{[0-9]*}}>, b = array<f64: 4.000000e+00>, c = array<f64: 0.000000e+00>}
func.func @fold_reparameterize(%x: tensor<?x2xf32>, %score: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  %eps = sampler.reparameterize %score at %i from score to eps given %x {alpha = array<f64: 1.0>, sigma = array<f64: 2.0>} : tensor<?x2xf32>
  %0 = sampler.ddim_step %x, %eps at %i {alpha_bar = array<f64: 0.2>, alpha_bar_prev = array<f64: 1.0>, eta = 0.0 : f64} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// The Langevin corrector (per-sample norms) is not linear and stays as it is.
// CHECK-LABEL: func @corrector
// CHECK: sampler.langevin_corrector
func.func @corrector(%x: tensor<?x2xf32>, %s: tensor<?x2xf32>, %z: tensor<?x2xf32>, %i: index) -> tensor<?x2xf32> {
  %0 = sampler.langevin_corrector %x, %s, %z at %i {alpha = array<f64: 1.0>, snr = 0.16 : f64} : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
