// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// conv2d with groups = channels (depthwise): each channel has its own filter.

// CHECK: @main result #0 [1, 2, 1, 2]
// CHECK-NEXT: [3, 6]
// CHECK-NEXT: [-4, 8]
func.func @main() -> tensor<1x2x1x2xf32> {
  %x = arith.constant dense<[[[[1.0, 2.0]], [[-1.0, 2.0]]]]> : tensor<1x2x1x2xf32>
  %w = arith.constant dense<[[[[3.0]]], [[[4.0]]]]> : tensor<2x1x1x1xf32>
  %y = score.conv2d %x, %w {groups = 2 : i64} : (tensor<1x2x1x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x1x2xf32>
  return %y : tensor<1x2x1x2xf32>
}
