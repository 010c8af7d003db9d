// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// The pointwise math kinds of score.act (closed-form networks): exp, log, sqrt,
// square, reciprocal, evaluated in float64.

// CHECK: result #0 [4]
// CHECK-NEXT: [0.367879, 1, 2.71828, 7.38906]
// CHECK: result #1 [4]
// CHECK-NEXT: [-1.38629, 0, 1.60944, 4.60517]
// CHECK: result #2 [4]
// CHECK-NEXT: [0.5, 1, 2.23607, 10]
// CHECK: result #3 [4]
// CHECK-NEXT: [1, 0, 1, 4]
// CHECK: result #4 [4]
// CHECK-NEXT: [4, 1, 0.2, 0.01]
func.func @main() -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %x = arith.constant dense<[-1.0, 0.0, 1.0, 2.0]> : tensor<4xf32>
  %p = arith.constant dense<[0.25, 1.0, 5.0, 100.0]> : tensor<4xf32>
  %0 = score.act exp %x : tensor<4xf32>
  %1 = score.act log %p : tensor<4xf32>
  %2 = score.act sqrt %p : tensor<4xf32>
  %3 = score.act square %x : tensor<4xf32>
  %4 = score.act reciprocal %p : tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
