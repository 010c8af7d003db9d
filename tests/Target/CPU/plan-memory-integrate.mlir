// RUN: tweedie-opt %s --tweedie-plan-memory | FileCheck %s

// An integrator's velocity region is planned like a loop body: the state and
// the time (4 bytes per sample, 64 aligned) live through the whole region,
// and the iteration slots list them in argument order.
// CHECK: attributes {sampler.arena_bytes_per_sample = 256 : i64
// CHECK: sampler.ode_integrate %arg0 {{{.*}}sampler.iter_slots = array<i64: 0, 64>
// CHECK: score.reshape %arg4 {sampler.slots = array<i64: 64>}
// CHECK: score.mul %{{.*}} {sampler.slots = array<i64: 128>}
// CHECK: score.mul %arg3, %{{.*}} {sampler.slots = array<i64: 192>}
func.func @sample(%noise: tensor<?x4xf32>, %seed: i64, %first: index) -> tensor<?x4xf32> {
  %c = arith.constant dense<-0.5> : tensor<1xf32>
  %r = sampler.ode_integrate %noise {t_start = 1.0 : f64, t_end = 1.0e-3 : f64, rtol = 1.0e-5 : f64, atol = 1.0e-5 : f64, max_steps = 100 : i64} : tensor<?x4xf32> {
  ^bb0(%y: tensor<?x4xf32>, %t: tensor<?xf32>):
    %tc = score.reshape %t : tensor<?xf32> -> tensor<?x1xf32>
    %a = score.mul %tc, %c : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
    %v = score.mul %y, %a : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
    sampler.yield %v : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}
