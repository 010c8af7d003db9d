// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// group_norm: one group over both channels, then one group per channel.

// CHECK: @main result #0 [1, 2, 1, 2]
// CHECK-NEXT: [-1.34164, -0.447213]
// CHECK-NEXT: [1.89443, 3.68328]
// CHECK: @main result #1 [1, 2, 1, 2]
// CHECK-NEXT: [-0.999995, 0.999995]
// CHECK-NEXT: [-0.99999, 2.99999]
func.func @main() -> (tensor<1x2x1x2xf32>, tensor<1x2x1x2xf32>) {
  %x = arith.constant dense<[[[[1.0, 3.0]], [[5.0, 7.0]]]]> : tensor<1x2x1x2xf32>
  %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = arith.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %one = score.group_norm %x, %g, %b groups(1) : (tensor<1x2x1x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x1x2xf32>
  %two = score.group_norm %x, %g, %b groups(2) : (tensor<1x2x1x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x1x2xf32>
  return %one, %two : tensor<1x2x1x2xf32>, tensor<1x2x1x2xf32>
}
