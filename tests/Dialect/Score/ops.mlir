// RUN: tweedie-opt %s | tweedie-opt | FileCheck %s
// RUN: tweedie-opt %s --mlir-print-op-generic | tweedie-opt | FileCheck %s

// CHECK-LABEL: func @dense
func.func @dense(%x: tensor<?x3xf32>, %w: tensor<3x5xf32>, %b: tensor<5xf32>) -> tensor<?x5xf32> {
  // CHECK: score.dense %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<3x5xf32>, tensor<5xf32>) -> tensor<?x5xf32>
  %0 = score.dense %x, %w, %b : (tensor<?x3xf32>, tensor<3x5xf32>, tensor<5xf32>) -> tensor<?x5xf32>
  // CHECK: score.dense %{{.*}}, %{{.*}} : (tensor<?x5xf32>, tensor<5x5xf32>) -> tensor<?x5xf32>
  %w2 = score.param "w2" : tensor<5x5xf32>
  %1 = score.dense %0, %w2 : (tensor<?x5xf32>, tensor<5x5xf32>) -> tensor<?x5xf32>
  return %1 : tensor<?x5xf32>
}

// CHECK-LABEL: func @dense_rank3
func.func @dense_rank3(%x: tensor<2x7x4xbf16>, %w: tensor<4x8xbf16>) -> tensor<2x7x8xbf16> {
  // CHECK: score.dense {{.*}} -> tensor<2x7x8xbf16>
  %0 = score.dense %x, %w : (tensor<2x7x4xbf16>, tensor<4x8xbf16>) -> tensor<2x7x8xbf16>
  return %0 : tensor<2x7x8xbf16>
}

// CHECK-LABEL: func @conv
func.func @conv(%x: tensor<?x4x28x28xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<8xf32>) -> tensor<?x8x14x14xf32> {
  // CHECK: score.conv2d %{{.*}}, %{{.*}}, %{{.*}} {groups = 2 : i64, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>}
  // CHECK-SAME: -> tensor<?x8x14x14xf32>
  %0 = score.conv2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, groups = 2 : i64} : (tensor<?x4x28x28xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<?x8x14x14xf32>
  return %0 : tensor<?x8x14x14xf32>
}

// CHECK-LABEL: func @norms
func.func @norms(%x: tensor<?x32x7x7xf32>, %g: tensor<32xf32>, %s: tensor<?x49x16xf32>, %g16: tensor<16xf32>) -> (tensor<?x32x7x7xf32>, tensor<?x49x16xf32>) {
  // CHECK: score.group_norm %{{.*}}, %{{.*}}, %{{.*}} groups(8) {epsilon = 1.000000e-03 : f64}
  %0 = score.group_norm %x, %g, %g groups(8) {epsilon = 1.0e-3 : f64} : (tensor<?x32x7x7xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x32x7x7xf32>
  // CHECK: score.layer_norm %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x49x16xf32>
  %1 = score.layer_norm %s, %g16, %g16 : (tensor<?x49x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x49x16xf32>
  return %0, %1 : tensor<?x32x7x7xf32>, tensor<?x49x16xf32>
}

// CHECK-LABEL: func @activations
func.func @activations(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // CHECK: score.act silu
  %0 = score.act silu %x : tensor<?x8xf32>
  // CHECK: score.act gelu
  %1 = score.act gelu %0 : tensor<?x8xf32>
  // CHECK: score.act relu
  %2 = score.act relu %1 : tensor<?x8xf32>
  // CHECK: score.act tanh
  %3 = score.act tanh %2 : tensor<?x8xf32>
  // CHECK: score.act softplus
  %4 = score.act softplus %3 : tensor<?x8xf32>
  // CHECK: score.act sigmoid
  %5 = score.act sigmoid %4 : tensor<?x8xf32>
  return %5 : tensor<?x8xf32>
}

// CHECK-LABEL: func @scale
func.func @scale(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  // CHECK: score.scale %{{.*}} by 5.000000e-01 shift 1.000000e+00 : tensor<?x8xf32>
  %0 = score.scale %x by 0.5 shift 1.0 : tensor<?x8xf32>
  // The shift defaults to 0 and is not printed.
  // CHECK: score.scale %{{.*}} by -2.000000e+00 : tensor<?x8xf32>
  %1 = score.scale %x by -2.0 : tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func @broadcast
func.func @broadcast(%x: tensor<?x64x14x14xf32>, %b: tensor<?x64x1x1xf32>, %c: tensor<14xf32>) -> tensor<?x64x14x14xf32> {
  // CHECK: score.add {{.*}} -> tensor<?x64x14x14xf32>
  %0 = score.add %x, %b : (tensor<?x64x14x14xf32>, tensor<?x64x1x1xf32>) -> tensor<?x64x14x14xf32>
  // CHECK: score.mul {{.*}} -> tensor<?x64x14x14xf32>
  %1 = score.mul %0, %c : (tensor<?x64x14x14xf32>, tensor<14xf32>) -> tensor<?x64x14x14xf32>
  return %1 : tensor<?x64x14x14xf32>
}

// CHECK-LABEL: func @layout
func.func @layout(%x: tensor<?x32x7x7xf32>, %y: tensor<?x16x7x7xf32>) -> tensor<?x49x48xf32> {
  // CHECK: score.concat %{{.*}}, %{{.*}} axis(1) : {{.*}} -> tensor<?x48x7x7xf32>
  %0 = score.concat %x, %y axis(1) : (tensor<?x32x7x7xf32>, tensor<?x16x7x7xf32>) -> tensor<?x48x7x7xf32>
  // CHECK: score.upsample %{{.*}} scale(2) : {{.*}} -> tensor<?x48x14x14xf32>
  %1 = score.upsample %0 scale(2) : (tensor<?x48x7x7xf32>) -> tensor<?x48x14x14xf32>
  // CHECK: score.avg_pool %{{.*}} {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>}
  %2 = score.avg_pool %1 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>} : (tensor<?x48x14x14xf32>) -> tensor<?x48x7x7xf32>
  // CHECK: score.reshape %{{.*}} : tensor<?x48x7x7xf32> -> tensor<?x48x49xf32>
  %3 = score.reshape %2 : tensor<?x48x7x7xf32> -> tensor<?x48x49xf32>
  // CHECK: score.transpose %{{.*}} [0, 2, 1] : (tensor<?x48x49xf32>) -> tensor<?x49x48xf32>
  %4 = score.transpose %3 [0, 2, 1] : (tensor<?x48x49xf32>) -> tensor<?x49x48xf32>
  return %4 : tensor<?x49x48xf32>
}

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<?x49x64xf32>, %k: tensor<?x10x64xf32>, %v: tensor<?x10x32xf32>) -> tensor<?x49x32xf32> {
  // CHECK: score.attention %{{.*}}, %{{.*}}, %{{.*}} heads(4) : {{.*}} -> tensor<?x49x32xf32>
  %0 = score.attention %q, %k, %v heads(4) : (tensor<?x49x64xf32>, tensor<?x10x64xf32>, tensor<?x10x32xf32>) -> tensor<?x49x32xf32>
  return %0 : tensor<?x49x32xf32>
}

// CHECK-LABEL: func @time_embedding
func.func @time_embedding(%t: tensor<?xf32>, %w: tensor<16xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>) {
  // CHECK: score.time_embedding sinusoidal %{{.*}} dim(64) {max_period = 1.000000e+03 : f64}
  %0 = score.time_embedding sinusoidal %t dim(64) {max_period = 1000.0 : f64} : (tensor<?xf32>) -> tensor<?x64xf32>
  // CHECK: score.time_embedding fourier %{{.*}}, %{{.*}} dim(32)
  %1 = score.time_embedding fourier %t, %w dim(32) : (tensor<?xf32>, tensor<16xf32>) -> tensor<?x32xf32>
  return %0, %1 : tensor<?x64xf32>, tensor<?x32xf32>
}

// CHECK-LABEL: func @param
func.func @param() -> tensor<3x3xf16> {
  // CHECK: score.param "block.0.weight" : tensor<3x3xf16>
  %0 = score.param "block.0.weight" : tensor<3x3xf16>
  return %0 : tensor<3x3xf16>
}

// The fused-epilogue forms the compiler produces round-trip too.
// CHECK-LABEL: func @epilogues
func.func @epilogues(%x: tensor<?x4x5x5xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>, %v: tensor<?x8xf32>, %m: tensor<8x8xf32>) -> (tensor<?x4x5x5xf32>, tensor<?x8xf32>, tensor<?x4x5x5xf32>) {
  // CHECK: score.conv2d %{{.*}}, %{{.*}}, %{{.*}} act relu residual %{{.*}} {padding = array<i64: 1, 1>} : (tensor<?x4x5x5xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<?x4x5x5xf32>) -> tensor<?x4x5x5xf32>
  %0 = score.conv2d %x, %w, %b act relu residual %x {padding = array<i64: 1, 1>} : (tensor<?x4x5x5xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<?x4x5x5xf32>) -> tensor<?x4x5x5xf32>
  // CHECK: score.dense %{{.*}}, %{{.*}} residual %{{.*}} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %1 = score.dense %v, %m residual %v : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: score.group_norm %{{.*}} groups(2) act silu
  %2 = score.group_norm %x, %b, %b groups(2) act silu : (tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x5x5xf32>
  return %0, %1, %2 : tensor<?x4x5x5xf32>, tensor<?x8xf32>, tensor<?x4x5x5xf32>
}

// The ops reverse-mode rules emit.
// CHECK-LABEL: func @gradients
func.func @gradients(%x: tensor<?x3xf32>, %dy: tensor<?x3xf32>, %c: tensor<3xf32>) -> (tensor<1x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<3x3xf32>) {
  // CHECK: score.reduce_sum %{{.*}} axes [0] : (tensor<?x3xf32>) -> tensor<1x3xf32>
  %0 = score.reduce_sum %x axes [0] : (tensor<?x3xf32>) -> tensor<1x3xf32>
  // CHECK: score.broadcast %{{.*}} like %{{.*}} : (tensor<3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %1 = score.broadcast %c like %x : (tensor<3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  // CHECK: score.act_grad gelu order(2) %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %2 = score.act_grad gelu order(2) %x, %dy : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  // CHECK: score.outer_sum %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<3x3xf32>
  %3 = score.outer_sum %x, %dy : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<3x3xf32>
  return %0, %1, %2, %3 : tensor<1x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<3x3xf32>
}

// Group norm's fused backward: (d input, d gamma, d beta).
// CHECK-LABEL: func @group_norm_grad
func.func @group_norm_grad(%x: tensor<?x4x5x5xf32>, %g: tensor<4xf32>) -> (tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK: score.group_norm_grad %{{.*}}, %{{.*}}, %{{.*}} groups(2) {epsilon = 1.000000e-03 : f64} : (tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<?x4x5x5xf32>) -> (tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>)
  %0:3 = score.group_norm_grad %x, %g, %x groups(2) {epsilon = 1.0e-3 : f64} : (tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<?x4x5x5xf32>) -> (tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>)
  return %0#0, %0#1, %0#2 : tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>
}
