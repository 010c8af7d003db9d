// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// conv2d: a 3x3 box filter over 1..9 with zero padding sums each neighbourhood.

// CHECK: @main result #0 [1, 1, 3, 3]
// CHECK-NEXT: [12.5, 21.5, 16.5]
// CHECK-NEXT: [27.5, 45.5, 33.5]
// CHECK-NEXT: [24.5, 39.5, 28.5]
// Stride 2 keeps the corners.
// CHECK: @main result #1 [1, 1, 2, 2]
// CHECK-NEXT: [12, 16]
// CHECK-NEXT: [24, 28]
func.func @main() -> (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) {
  %x = arith.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]> : tensor<1x1x3x3xf32>
  %w = arith.constant dense<1.0> : tensor<1x1x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<1xf32>
  %y = score.conv2d %x, %w, %b {padding = array<i64: 1, 1>} : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>, tensor<1xf32>) -> tensor<1x1x3x3xf32>
  %s = score.conv2d %x, %w {padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>
  return %y, %s : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>
}
