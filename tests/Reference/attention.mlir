// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// attention: softmax(q k^T / sqrt(d_head)) v, one head and two heads.

// CHECK: result #0 [1, 1, 2]
// CHECK-NEXT: [1.66048, 2.66048]
// CHECK: result #1 [1, 2, 2]
// CHECK-NEXT: [3, 4.67485]
// CHECK-NEXT: [3.40667, 4]
func.func @main() -> (tensor<1x1x2xf32>, tensor<1x2x2xf32>) {
  %q = arith.constant dense<[[[1.0, 0.0]]]> : tensor<1x1x2xf32>
  %k = arith.constant dense<[[[1.0, 0.0], [0.0, 1.0]]]> : tensor<1x2x2xf32>
  %v = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]]]> : tensor<1x2x2xf32>
  %one = score.attention %q, %k, %v heads(1) : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1x2x2xf32>) -> tensor<1x1x2xf32>
  %q2 = arith.constant dense<[[[1.0, 0.0, 0.0, 2.0], [0.0, 1.0, 1.0, 0.0]]]> : tensor<1x2x4xf32>
  %k2 = arith.constant dense<[[[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]]]> : tensor<1x3x4xf32>
  %v2 = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]> : tensor<1x3x2xf32>
  %two = score.attention %q2, %k2, %v2 heads(2) : (tensor<1x2x4xf32>, tensor<1x3x4xf32>, tensor<1x3x2xf32>) -> tensor<1x2x2xf32>
  return %one, %two : tensor<1x1x2xf32>, tensor<1x2x2xf32>
}
