// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// layer_norm over the last axis with biased variance and epsilon 1e-5.

// CHECK: @main result #0 [1, 3]
// CHECK-NEXT: [-1.06904, -0.534521, 5.00891]
func.func @main() -> tensor<1x3xf32> {
  %x = arith.constant dense<[[1.0, 2.0, 4.0]]> : tensor<1x3xf32>
  %g = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = arith.constant dense<[0.0, 0.0, 1.0]> : tensor<3xf32>
  %y = score.layer_norm %x, %g, %b : (tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
