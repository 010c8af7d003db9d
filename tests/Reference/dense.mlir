// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// dense: y = x W + b over the last axis, checked against hand arithmetic.

// CHECK: @main result #0 [2, 2]
// CHECK-NEXT: [14, 25]
// CHECK-NEXT: [12, 21]
func.func @main() -> tensor<2x2xf32> {
  %x = arith.constant dense<[[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]]> : tensor<2x3xf32>
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<[10.0, 20.0]> : tensor<2xf32>
  %y = score.dense %x, %w, %b : (tensor<2x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
