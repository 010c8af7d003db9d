// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// concat along the last and the first axis.

// CHECK: result #0 [2, 3]
// CHECK-NEXT: [1, 2, 5]
// CHECK-NEXT: [3, 4, 6]
// CHECK: result #1 [3, 2]
// CHECK-NEXT: [1, 2]
// CHECK-NEXT: [3, 4]
// CHECK-NEXT: [7, 8]
func.func @main() -> (tensor<2x3xf32>, tensor<3x2xf32>) {
  %a = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[[5.0], [6.0]]> : tensor<2x1xf32>
  %c = arith.constant dense<[[7.0, 8.0]]> : tensor<1x2xf32>
  %0 = score.concat %a, %b axis(1) : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %1 = score.concat %a, %c axis(0) : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<3x2xf32>
}
