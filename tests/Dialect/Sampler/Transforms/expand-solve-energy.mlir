// RUN: tweedie-opt %s --split-input-file --tweedie-expand-solve | FileCheck %s

// Energy networks sample through their score: the expansion asks the autodiff
// for @energy_grad (E, grad_x E) once, wraps it as @energy_score = -grad_x E
// and expands the solve on that score network like any other.
func.func @energy(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?xf32> {
  %w = arith.constant dense<[[0.5], [0.5]]> : tensor<2x1xf32>
  %sq = score.act square %x : tensor<?x2xf32>
  %e = score.dense %sq, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %r = score.reshape %e : tensor<?x1xf32> -> tensor<?xf32>
  return %r : tensor<?xf32>
}
// CHECK-LABEL: func.func @energy_grad
// CHECK-SAME: -> (tensor<?xf32>, tensor<?x2xf32>)
// CHECK-SAME: score.gradient_args = array<i64: 0>
// Only the input's cotangent is computed: no weight gradient survives.
// CHECK-NOT: score.outer_sum
// CHECK: score.act_grad square
// CHECK: return
// CHECK-LABEL: func.func private @energy_score
// CHECK-SAME: sampler.energy_score = @energy
// CHECK: %[[G:.*]]:2 = call @energy_grad
// CHECK: %[[S:.*]] = score.mul %[[G]]#1, %{{.*}} : (tensor<?x2xf32>, tensor<1xf32>)
// CHECK: return %[[S]]
// CHECK-LABEL: func.func @langevin
// CHECK: sampler.loop
// CHECK: func.call @energy_score(
// CHECK-NOT: sampler.solve
func.func @langevin(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @energy(%noise, %seed, %first) schedule #sampler.ncsn<> method #sampler.langevin<> prediction energy steps 3 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
// Two solves of one energy share its gradient and score functions.
// CHECK-LABEL: func.func @heun
// CHECK: func.call @energy_score(
// CHECK-NOT: func.func @energy_grad_grad
// CHECK-NOT: func.func private @energy_score
func.func @heun(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @energy(%noise, %seed, %first) schedule #sampler.karras<> method #sampler.ode<solver = heun> prediction energy steps 3 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// MALA: per step, E and grad_x E at x, a Langevin proposal y (noise draw 0),
// E and grad_x E at y, one uniform per sample (draw 1), and the
// Metropolis-Hastings choice; all at the smallest level (sigma 0.01).
func.func @energy(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?xf32> {
  %w = arith.constant dense<[[0.5], [0.5]]> : tensor<2x1xf32>
  %sq = score.act square %x : tensor<?x2xf32>
  %e = score.dense %sq, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %r = score.reshape %e : tensor<?x1xf32> -> tensor<?xf32>
  return %r : tensor<?xf32>
}
// CHECK-LABEL: func.func @mala
// CHECK-SAME: (%[[NOISE:.*]]: tensor<?x2xf32>, %[[SEED:.*]]: i64, %[[FIRST:.*]]: index)
// CHECK: sampler.loop %[[I:.*]] steps 2 iter_args(%[[X:.*]] = %[[NOISE]])
// CHECK-NEXT: %[[T:.*]] = sampler.timestep %[[I]] for %[[X]] values [0.01, 0.01]
// CHECK-NEXT: %[[GX:.*]]:2 = func.call @energy_grad(%[[X]], %[[T]])
// CHECK-NEXT: %[[SX:.*]] = score.mul %[[GX]]#1
// CHECK-NEXT: %[[Z:.*]] = sampler.randn %[[X]], seed %[[SEED]], sample %[[FIRST]], step %[[I]] :
// CHECK-NEXT: %[[Y:.*]] = sampler.langevin_step %[[X]], %[[SX]], %[[Z]] at %[[I]] {step_size = array<f64: 2.000000e-01, 2.000000e-01>}
// CHECK-NEXT: %[[GY:.*]]:2 = func.call @energy_grad(%[[Y]], %[[T]])
// CHECK-NEXT: %[[SY:.*]] = score.mul %[[GY]]#1
// CHECK-NEXT: %[[U:.*]] = sampler.rand_uniform %[[X]], seed %[[SEED]], sample %[[FIRST]], step %[[I]] draw 1
// CHECK-NEXT: %[[N:.*]] = sampler.mala_step %[[X]] -> %[[Y]] energies(%[[GX]]#0, %[[GY]]#0) scores(%[[SX]], %[[SY]]) uniform %[[U]] at %[[I]] {step_size = array<f64: 2.000000e-01, 2.000000e-01>}
// CHECK-NEXT: sampler.yield %[[N]]
func.func @mala(%noise: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  %0 = sampler.solve @energy(%noise, %seed, %first) schedule #sampler.ncsn<> method #sampler.mala<step_size = 0.2> prediction energy steps 2 : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
