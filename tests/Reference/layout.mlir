// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// reshape keeps row-major order; transpose permutes axes.

// CHECK: result #0 [3, 2]
// CHECK-NEXT: [1, 2]
// CHECK-NEXT: [3, 4]
// CHECK-NEXT: [5, 6]
// CHECK: result #1 [3, 2]
// CHECK-NEXT: [1, 4]
// CHECK-NEXT: [2, 5]
// CHECK-NEXT: [3, 6]
// CHECK: result #2 [2, 1, 3]
// CHECK-NEXT: [1, 2, 3]
// CHECK-NEXT: [4, 5, 6]
func.func @main() -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<2x1x3xf32>) {
  %x = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %r = score.reshape %x : tensor<2x3xf32> -> tensor<3x2xf32>
  %t = score.transpose %x [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %e = score.reshape %x : tensor<2x3xf32> -> tensor<1x2x3xf32>
  %p = score.transpose %e [1, 0, 2] : (tensor<1x2x3xf32>) -> tensor<2x1x3xf32>
  return %r, %t, %p : tensor<3x2xf32>, tensor<3x2xf32>, tensor<2x1x3xf32>
}
