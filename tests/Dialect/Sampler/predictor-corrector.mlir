// RUN: tweedie-opt %s | tweedie-opt | FileCheck %s
// The expanded form of a predictor-corrector sampler: one loop whose body runs
// the predictor and then the corrector, each with its own noise draw.

func.func @net(%x: tensor<?x2xf32>, %t: tensor<?xf32>) -> tensor<?x2xf32> {
  return %x : tensor<?x2xf32>
}
// CHECK-LABEL: func @pc
func.func @pc(%init: tensor<?x2xf32>, %seed: i64, %first: index) -> tensor<?x2xf32> {
  // CHECK: sampler.loop %[[I:.*]] steps 2 iter_args
  %r = sampler.loop %i steps 2 iter_args(%x = %init) -> (tensor<?x2xf32>) {
    %t = sampler.timestep %i for %x values [1.0, 0.5] : tensor<?x2xf32> -> tensor<?xf32>
    %s = func.call @net(%x, %t) : (tensor<?x2xf32>, tensor<?xf32>) -> tensor<?x2xf32>
    // CHECK: sampler.randn %{{.*}}, step %[[I]] :
    %z0 = sampler.randn %x, seed %seed, sample %first, step %i : tensor<?x2xf32>
    // CHECK: %[[P:.*]] = sampler.euler_maruyama_step
    %p = sampler.euler_maruyama_step %x, %s, %z0 at %i {drift = array<f64: -5.0, -2.5>, diffusion_sq = array<f64: 10.0, 5.0>, dt = array<f64: 0.5, 0.5>} : tensor<?x2xf32>
    %s1 = func.call @net(%p, %t) : (tensor<?x2xf32>, tensor<?xf32>) -> tensor<?x2xf32>
    // CHECK: sampler.randn %{{.*}}, step %[[I]] draw 1
    %z1 = sampler.randn %p, seed %seed, sample %first, step %i draw 1 : tensor<?x2xf32>
    // CHECK: sampler.langevin_corrector %[[P]]
    %c = sampler.langevin_corrector %p, %s1, %z1 at %i {alpha = array<f64: 0.9, 0.95>, snr = 0.16 : f64} : tensor<?x2xf32>
    sampler.yield %c : tensor<?x2xf32>
  }
  return %r : tensor<?x2xf32>
}
