// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve | FileCheck %s
// rk45 solves become sampler.ode_integrate: the region is the probability-flow
// velocity dy/dt = A(t) y + B(t) p, with the process's coefficients computed
// from the per-sample time by score ops (the runtime picks the times).

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// VP with a score network: A = f = -beta/2 and B = -g^2/2 = -beta/2, with
// beta(t) = 0.1 + 19.9 t; t from 1 to t_min, the steps are the step budget.
// CHECK-LABEL: func.func @vp_score
// CHECK-DAG: %[[SLOPE:.*]] = arith.constant dense<1.990000e+01> : tensor<1xf32>
// CHECK-DAG: %[[BMIN:.*]] = arith.constant dense<1.000000e-01> : tensor<1xf32>
// CHECK: sampler.ode_integrate %arg0 {atol = 1.000000e-04 : f64, max_steps = 500 : i64, rtol = 1.000000e-03 : f64, t_end = 1.000000e-03 : f64, t_start = 1.000000e+00 : f64} : tensor<?x2xf32> {
// CHECK: ^bb0(%[[Y:.*]]: tensor<?x2xf32>, %[[T:.*]]: tensor<?xf32>):
// CHECK: %[[P:.*]] = func.call @net(%[[Y]], %[[T]])
// CHECK: %[[TC:.*]] = score.reshape %[[T]] : tensor<?xf32> -> tensor<?x1xf32>
// CHECK: %[[S:.*]] = score.mul %[[TC]], %[[SLOPE]]
// CHECK: %[[BETA:.*]] = score.add %[[S]], %[[BMIN]]
// CHECK: %[[PB:.*]] = score.mul %[[P]], %{{.*}} : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<?x2xf32>
// CHECK: %[[YA:.*]] = score.mul %[[Y]], %{{.*}} : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<?x2xf32>
// CHECK: %[[V:.*]] = score.add %[[PB]], %[[YA]]
// CHECK: sampler.yield %[[V]]
func.func @vp_score(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.vp<> method #sampler.rk45<rtol = 1.0e-3, atol = 1.0e-4> prediction score steps 500 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func @net(%x: tensor<?x1x4x4xf32>, %t: tensor<?xf32>) -> tensor<?x1x4x4xf32> {
  return %x : tensor<?x1x4x4xf32>
}
// Karras with an eps network on images: the prior is N(0, sigma_max^2), t is
// sigma itself (from sigma_max to sigma_min), f = 0 so there is no y term,
// and B = g^2 / (2 sigma) = 1; the coefficients broadcast as [B, 1, 1, 1].
// CHECK-LABEL: func.func @karras_eps
// CHECK: %[[P0:.*]] = score.mul %arg0, %{{.*}} : (tensor<?x1x4x4xf32>, tensor<1xf32>)
// CHECK: sampler.ode_integrate %[[P0]] {{{.*}}t_end = 2.000000e-03 : f64, t_start = 8.000000e+01 : f64}
// CHECK: %[[P:.*]] = func.call @net
// CHECK: score.reshape %{{.*}} : tensor<?xf32> -> tensor<?x1x1x1xf32>
// CHECK: score.act reciprocal
// CHECK: %[[V:.*]] = score.mul %[[P]], %{{.*}} : (tensor<?x1x4x4xf32>, tensor<?x1x1x1xf32>) -> tensor<?x1x4x4xf32>
// CHECK-NEXT: sampler.yield %[[V]]
func.func @karras_eps(%noise: tensor<?x1x4x4xf32>, %seed: i64, %first: index) -> tensor<?x1x4x4xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.karras<> method #sampler.rk45<> prediction eps steps 1000 : tensor<?x1x4x4xf32>
  return %0 : tensor<?x1x4x4xf32>
}

// -----

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// denoise_final: Tweedie's x0 = (x + sigma^2 s) / alpha after the integration,
// written through one more velocity v = f x - g^2/2 s at t_end: x0 = a x + b v.
// On a sigma schedule (alpha = 1, f = 0, g^2 = 2 sigma) that is x - sigma v:
// at sigma_min = 0.5, a = 1 and b = -0.5.
// CHECK-LABEL: func.func @karras_denoised
// CHECK: sampler.ode_integrate
// CHECK-SAME: finish = array<f64: 1.000000e+00, -5.000000e-01>
func.func @karras_denoised(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @net(%noise, %seed, %first) schedule #sampler.karras<sigma_min = 0.5> method #sampler.rk45<> prediction score steps 100 denoise_final : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
