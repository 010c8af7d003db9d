// RUN: not tweedie-opt %s 2>&1 | FileCheck %s -DFILE=%s
// Well-formed but ill-typed: the verifier names the operands and their shapes.

func.func @f(%x: tensor<?x2xf32>, %w: tensor<3x8xf32>) -> tensor<?x8xf32> {
  // CHECK: [[FILE]]:[[@LINE+1]]:8: error: 'score.dense' op operand 'weight' shape [3, 8] must be [K, N] with K equal to the last dim of 'input' shape [?, 2]
  %0 = score.dense %x, %w : (tensor<?x2xf32>, tensor<3x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
