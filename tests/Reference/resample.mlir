// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// upsample (nearest) then avg_pool with the same factor is the identity; pooling 1..16.

// CHECK: result #0 [1, 1, 4, 4]
// CHECK-NEXT: [1, 1, 2, 2]
// CHECK-NEXT: [1, 1, 2, 2]
// CHECK-NEXT: [3, 3, 4, 4]
// CHECK-NEXT: [3, 3, 4, 4]
// CHECK: result #1 [1, 1, 2, 2]
// CHECK-NEXT: [1, 2]
// CHECK-NEXT: [3, 4]
// CHECK: result #2 [1, 1, 2, 2]
// CHECK-NEXT: [3.5, 5.5]
// CHECK-NEXT: [11.5, 13.5]
func.func @main() -> (tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
  %x = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %up = score.upsample %x scale(2) : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  %back = score.avg_pool %up {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  %y = arith.constant dense<[[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]]]> : tensor<1x1x4x4xf32>
  %pool = score.avg_pool %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  return %up, %back, %pool : tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
}
