// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// add/mul with NumPy broadcasting: a row vector, and an outer product.

// CHECK: result #0 [2, 3]
// CHECK-NEXT: [11, 22, 33]
// CHECK-NEXT: [14, 25, 36]
// CHECK: result #1 [2, 3]
// CHECK-NEXT: [1, 2, 3]
// CHECK-NEXT: [2, 4, 6]
func.func @main() -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %x = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %r = arith.constant dense<[10.0, 20.0, 30.0]> : tensor<3xf32>
  %sum = score.add %x, %r : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %col = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %row = arith.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %outer = score.mul %col, %row : (tensor<2x1xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %sum, %outer : tensor<2x3xf32>, tensor<2x3xf32>
}
