// RUN: tweedie-opt %s --tweedie-hoist-time-invariant | FileCheck %s

// The time chain (timestep -> embedding -> dense) moves into a precompute at
// batch 1; the row added to the state's dense becomes that dense's per-step
// bias (bias + row), and the add disappears.

// CHECK-LABEL: func.func @sample
// CHECK:       %[[TAB:.*]] = sampler.precompute %{{.*}} steps 2 -> (tensor<2x4xf32>) {
// CHECK:         sampler.time_value %{{.*}} values [9.0, 4.0] : tensor<1xf32>
// CHECK:         score.time_embedding sinusoidal %{{.*}} dim(8) : (tensor<1xf32>) -> tensor<1x8xf32>
// CHECK:         score.dense {{.*}} -> tensor<1x4xf32>
// CHECK:         %[[ROW:.*]] = score.reshape %{{.*}} : tensor<1x4xf32> -> tensor<4xf32>
// CHECK:         %[[B:.*]] = score.param "l.bias" : tensor<4xf32>
// CHECK:         %[[SUM:.*]] = score.add %[[B]], %[[ROW]]
// CHECK:         sampler.yield %[[SUM]] : tensor<4xf32>
// CHECK:       sampler.loop
// CHECK-NOT:     score.time_embedding
// CHECK:         %[[BIAS:.*]] = sampler.table_row %[[TAB]][%{{.*}}] : tensor<2x4xf32> -> tensor<4xf32>
// CHECK:         score.dense %{{.*}}, %{{.*}}, %[[BIAS]] :
// CHECK-NEXT:    score.act silu
// CHECK-NOT:     score.add
// CHECK:         sampler.yield
func.func @sample(%noise: tensor<?x4xf32>, %seed: i64, %first: index) -> tensor<?x4xf32> {
  %r = sampler.loop %i steps 2 iter_args(%x = %noise) -> (tensor<?x4xf32>) {
    %t = sampler.timestep %i for %x values [9.0, 4.0] : tensor<?x4xf32> -> tensor<?xf32>
    %e = score.time_embedding sinusoidal %t dim(8) : (tensor<?xf32>) -> tensor<?x8xf32>
    %tw = score.param "t.weight" : tensor<8x4xf32>
    %te = score.dense %e, %tw : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
    %w = score.param "l.weight" : tensor<4x4xf32>
    %b = score.param "l.bias" : tensor<4xf32>
    %h = score.dense %x, %w, %b : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %s = score.add %h, %te : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    %a = score.act silu %s : tensor<?x4xf32>
    sampler.yield %a : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}

// A time value with a consumer that cannot broadcast (concat) stays in the loop.
// CHECK-LABEL: func.func @concat_stays
// CHECK-NOT:   sampler.precompute
// CHECK:       sampler.loop
// CHECK:         score.time_embedding
func.func @concat_stays(%noise: tensor<?x4xf32>, %seed: i64, %first: index) -> tensor<?x12xf32> {
  %r = sampler.loop %i steps 2 iter_args(%x = %noise) -> (tensor<?x4xf32>) {
    %t = sampler.timestep %i for %x values [9.0, 4.0] : tensor<?x4xf32> -> tensor<?xf32>
    %e = score.time_embedding sinusoidal %t dim(8) : (tensor<?xf32>) -> tensor<?x8xf32>
    %c = score.concat %x, %e axis(1) : (tensor<?x4xf32>, tensor<?x8xf32>) -> tensor<?x12xf32>
    %w = score.param "w" : tensor<12x4xf32>
    %h = score.dense %c, %w : (tensor<?x12xf32>, tensor<12x4xf32>) -> tensor<?x4xf32>
    sampler.yield %h : tensor<?x4xf32>
  }
  %w2 = score.param "w2" : tensor<4x12xf32>
  %o = score.dense %r, %w2 : (tensor<?x4xf32>, tensor<4x12xf32>) -> tensor<?x12xf32>
  return %o : tensor<?x12xf32>
}
