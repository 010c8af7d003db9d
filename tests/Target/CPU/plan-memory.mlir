// RUN: tweedie-opt %s --tweedie-plan-memory=report 2>&1 | FileCheck %s

// Per-sample offsets, 64-byte aligned: x (16 B -> 64) at 0; h1 (64 B) and h2
// cannot share with their own operands, but h3 reuses h1's space once h1 is
// dead; the reshape aliases h3.
// CHECK: remark: arena: 256 bytes per sample (6 tensors, 384 bytes without reuse)
// CHECK: %[[H1:.*]] = score.dense %arg4, {{.*}} {sampler.slots = array<i64: 64>}
// CHECK: %[[H2:.*]] = score.dense %[[H1]], {{.*}} {sampler.slots = array<i64: 128>}
// CHECK: %[[H3:.*]] = score.dense %[[H2]], {{.*}} {sampler.slots = array<i64: 64>}
// CHECK: score.reshape %[[H3]] {sampler.slots = array<i64: 64>}
// CHECK: sampler.randn {{.*}} {sampler.slots = array<i64: 128>}
// CHECK: sampler.affine_step {{.*}} sampler.slots = array<i64: 192>
// CHECK: } {sampler.iter_slots = array<i64: 0>}
// CHECK: attributes {sampler.arena_bytes_per_sample = 256 : i64, sampler.unplanned_bytes_per_sample = 384 : i64}
func.func @sample(%noise: tensor<?x4xf32>, %seed: i64, %first: index) -> tensor<?x4xf32> {
  %r = sampler.loop %i steps 1 iter_args(%x = %noise) -> (tensor<?x4xf32>) {
    %w = score.param "w" : tensor<4x16xf32>
    %h1 = score.dense %x, %w : (tensor<?x4xf32>, tensor<4x16xf32>) -> tensor<?x16xf32>
    %w2 = score.param "w2" : tensor<16x16xf32>
    %h2 = score.dense %h1, %w2 : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
    %w3 = score.param "w3" : tensor<16x4xf32>
    %h3 = score.dense %h2, %w3 : (tensor<?x16xf32>, tensor<16x4xf32>) -> tensor<?x4xf32>
    %h4 = score.reshape %h3 : tensor<?x4xf32> -> tensor<?x2x2xf32>
    %h5 = score.reshape %h4 : tensor<?x2x2xf32> -> tensor<?x4xf32>
    %z = sampler.randn %x, seed %seed, sample %first, step %i : tensor<?x4xf32>
    %n = sampler.affine_step %x, %h5, %z at %i {a = array<f64: 1.0>, b = array<f64: 0.5>, c = array<f64: 0.1>} : tensor<?x4xf32>
    sampler.yield %n : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}
