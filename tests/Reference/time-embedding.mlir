// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// time embeddings: sinusoidal [sin | cos] with f_k = 10000^(-k/2), Fourier with 2 pi t w.

// CHECK: result #0 [2, 4]
// CHECK-NEXT: [0, 0, 1, 1]
// CHECK-NEXT: [0.841471, 0.00999983, 0.540302, 0.99995]
// CHECK: result #1 [1, 4]
// CHECK-NEXT: [0.707107, 0.707107, 0.707107, -0.707107]
func.func @main() -> (tensor<2x4xf32>, tensor<1x4xf32>) {
  %t = arith.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %s = score.time_embedding sinusoidal %t dim(4) : (tensor<2xf32>) -> tensor<2x4xf32>
  %t2 = arith.constant dense<[0.25]> : tensor<1xf32>
  %w = arith.constant dense<[0.5, 1.5]> : tensor<2xf32>
  %f = score.time_embedding fourier %t2, %w dim(4) : (tensor<1xf32>, tensor<2xf32>) -> tensor<1x4xf32>
  return %s, %f : tensor<2x4xf32>, tensor<1x4xf32>
}
