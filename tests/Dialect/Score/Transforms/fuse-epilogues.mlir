// RUN: tweedie-opt %s --split-input-file --tweedie-fuse-epilogues | FileCheck %s

// dense + act + residual add: one op.
// CHECK-LABEL: func @dense_block
// CHECK-NEXT: %[[Y:.*]] = score.dense %arg0, %arg1, %arg2 act silu residual %arg3 :
// CHECK-NEXT: return %[[Y]]
func.func @dense_block(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %r: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = score.dense %x, %w, %b : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = score.act silu %0 : tensor<?x8xf32>
  %2 = score.add %r, %1 : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// -----

// conv2d + residual (the ResNet skip), group_norm + act.
// CHECK-LABEL: func @conv_block
// CHECK: %[[N:.*]] = score.group_norm %arg0, %arg3, %arg3 groups(2) act gelu :
// CHECK: score.conv2d %[[N]], %arg1, %arg2 residual %arg0 {padding = array<i64: 1, 1>}
// CHECK-NOT: score.add
// CHECK-NOT: score.act
func.func @conv_block(%x: tensor<?x4x5x5xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<?x4x5x5xf32> {
  %n = score.group_norm %x, %g, %g groups(2) : (tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x5x5xf32>
  %a = score.act gelu %n : tensor<?x4x5x5xf32>
  %c = score.conv2d %a, %w, %b {padding = array<i64: 1, 1>} : (tensor<?x4x5x5xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<?x4x5x5xf32>
  %y = score.add %c, %x : (tensor<?x4x5x5xf32>, tensor<?x4x5x5xf32>) -> tensor<?x4x5x5xf32>
  return %y : tensor<?x4x5x5xf32>
}

// -----

// Nothing folds when the intermediate has another user, when the add broadcasts
// (the per-channel time bias of a U-Net block), or when an activation would
// have to follow an already fused residual.
// CHECK-LABEL: func @no_fold
// CHECK: %[[D:.*]] = score.dense %arg0, %arg1 :
// CHECK: score.act silu %[[D]]
// CHECK: %[[C:.*]] = score.conv2d
// CHECK: score.add %[[C]], %arg4
// CHECK: %[[R:.*]] = score.dense %arg0, %arg1 residual
// CHECK: score.act tanh %[[R]]
func.func @no_fold(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %img: tensor<?x4x5x5xf32>, %cw: tensor<4x4x3x3xf32>, %tb: tensor<?x4x1x1xf32>, %r: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x4x5x5xf32>, tensor<?x8xf32>) {
  %d = score.dense %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = score.act silu %d : tensor<?x8xf32>
  %c = score.conv2d %img, %cw {padding = array<i64: 1, 1>} : (tensor<?x4x5x5xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x5x5xf32>
  %t = score.add %c, %tb : (tensor<?x4x5x5xf32>, tensor<?x4x1x1xf32>) -> tensor<?x4x5x5xf32>
  %d2 = score.dense %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s = score.add %d2, %r : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %u = score.act tanh %s : tensor<?x8xf32>
  return %a, %d, %t, %u : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x4x5x5xf32>, tensor<?x8xf32>
}
