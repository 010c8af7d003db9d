// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// act: every activation at -1, 0, 1, 2 (gelu is the exact erf form).

// CHECK: result #0 [4]
// CHECK-NEXT: [-0.268941, 0, 0.731059, 1.76159]
// CHECK: result #1 [4]
// CHECK-NEXT: [-0.158655, 0, 0.841345, 1.9545]
// CHECK: result #2 [4]
// CHECK-NEXT: [0, 0, 1, 2]
// CHECK: result #3 [4]
// CHECK-NEXT: [-0.761594, 0, 0.761594, 0.964028]
// CHECK: result #4 [4]
// CHECK-NEXT: [0.313262, 0.693147, 1.31326, 2.12693]
// softplus neither overflows nor loses the small tail.
// CHECK: result #5 [2]
// CHECK-NEXT: [9.35762e-14, 30]
// CHECK: result #6 [4]
// CHECK-NEXT: [0.268941, 0.5, 0.731059, 0.880797]
func.func @main() -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2xf32>, tensor<4xf32>) {
  %x = arith.constant dense<[-1.0, 0.0, 1.0, 2.0]> : tensor<4xf32>
  %0 = score.act silu %x : tensor<4xf32>
  %1 = score.act gelu %x : tensor<4xf32>
  %2 = score.act relu %x : tensor<4xf32>
  %3 = score.act tanh %x : tensor<4xf32>
  %4 = score.act softplus %x : tensor<4xf32>
  %big = arith.constant dense<[-30.0, 30.0]> : tensor<2xf32>
  %5 = score.act softplus %big : tensor<2xf32>
  %6 = score.act sigmoid %x : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2xf32>, tensor<4xf32>
}

// A fused activation and residual compute act(x W) + r.
// RUN: tweedie-opt %s --tweedie-interpret=entry=fused -o /dev/null | FileCheck %s --check-prefix=FUSED
// FUSED: @fused result #0 [1, 2]
// FUSED-NEXT: [99.7311, 103.762]
func.func @fused() -> tensor<1x2xf32> {
  %x = arith.constant dense<[[-1.0, 2.0]]> : tensor<1x2xf32>
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %r = arith.constant dense<[[100.0, 102.0]]> : tensor<1x2xf32>
  %z = score.dense %x, %w act silu residual %r : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  return %z : tensor<1x2xf32>
}

// score.scale: factor x + shift.
// RUN: tweedie-opt %s --tweedie-interpret=entry=scale -o /dev/null | FileCheck %s --check-prefix=SCALE
// SCALE: result #0 [4]
// SCALE-NEXT: [-0.25, 0.25, 0.75, 1.25]
func.func @scale() -> tensor<4xf32> {
  %x = arith.constant dense<[-1.0, 0.0, 1.0, 2.0]> : tensor<4xf32>
  %0 = score.scale %x by 0.5 shift 0.25 : tensor<4xf32>
  return %0 : tensor<4xf32>
}
