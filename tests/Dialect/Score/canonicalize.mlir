// RUN: tweedie-opt %s --canonicalize --split-input-file | FileCheck %s

// The score dialect's folds: layout and affine identities that need no kernel.

// CHECK-LABEL: func @identity_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identity_transpose(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = score.transpose %x [0, 1] : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A transpose and its inverse cancel.
// CHECK-LABEL: func @inverse_transposes
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @inverse_transposes(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = score.transpose %x [1, 2, 0] : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = score.transpose %0 [2, 0, 1] : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// Two transposes compose into one: result dim k is x's dim q[p[k]].
// CHECK-LABEL: func @composed_transposes
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = score.transpose %[[X]] [2, 1, 0] : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[T]]
func.func @composed_transposes(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = score.transpose %x [1, 2, 0] : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = score.transpose %0 [1, 0, 2] : (tensor<3x4x2xf32>) -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// -----

// A transposed constant is a constant: out[i, j] = in[j, i].
// CHECK-LABEL: func @transposed_constant
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @transposed_constant() -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = score.transpose %w [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A 3-D constant through a rotation of its axes: out[a, b, c] = in[b, c, a].
// CHECK-LABEL: func @rotated_constant
// CHECK-NEXT: arith.constant dense<{{\[}}{{\[}}[0.000000e+00, 2.000000e+00, 4.000000e+00], [6.000000e+00, 8.000000e+00, 1.000000e+01]], {{\[}}[1.000000e+00, 3.000000e+00, 5.000000e+00], [7.000000e+00, 9.000000e+00, 1.100000e+01]]]> : tensor<2x2x3xf32>
func.func @rotated_constant() -> tensor<2x2x3xf32> {
  %w = arith.constant dense<[[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], [[6.0, 7.0], [8.0, 9.0], [10.0, 11.0]]]> : tensor<2x3x2xf32>
  %0 = score.transpose %w [2, 0, 1] : (tensor<2x3x2xf32>) -> tensor<2x2x3xf32>
  return %0 : tensor<2x2x3xf32>
}

// -----

// A splat stays a splat.
// CHECK-LABEL: func @transposed_splat
// CHECK-NEXT: arith.constant dense<2.500000e-01> : tensor<3x2xf32>
func.func @transposed_splat() -> tensor<3x2xf32> {
  %w = arith.constant dense<0.25> : tensor<2x3xf32>
  %0 = score.transpose %w [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func @reshapes
// CHECK-SAME: (%[[X:.*]]: tensor<?x12xf32>)
// CHECK-NEXT: %[[R:.*]] = score.reshape %[[X]] : tensor<?x12xf32> -> tensor<?x2x6xf32>
// CHECK-NEXT: return %[[X]], %[[R]]
func.func @reshapes(%x: tensor<?x12xf32>) -> (tensor<?x12xf32>, tensor<?x2x6xf32>) {
  // There and back again: x itself.
  %0 = score.reshape %x : tensor<?x12xf32> -> tensor<?x3x4xf32>
  %1 = score.reshape %0 : tensor<?x3x4xf32> -> tensor<?x12xf32>
  // A chain: one reshape.
  %2 = score.reshape %0 : tensor<?x3x4xf32> -> tensor<?x2x6xf32>
  return %1, %2 : tensor<?x12xf32>, tensor<?x2x6xf32>
}

// -----

// CHECK-LABEL: func @reshaped_constant
// CHECK-NEXT: arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
func.func @reshaped_constant() -> tensor<2x2xf32> {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = score.reshape %c : tensor<4xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// 1 x + 0 is x; any other factor or shift is kept.
// CHECK-LABEL: func @unit_scale
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK-NEXT: %[[S:.*]] = score.scale %[[X]] by 1.000000e+00 shift 5.000000e-01
// CHECK-NEXT: %[[T:.*]] = score.scale %[[X]] by 2.000000e+00 :
// CHECK-NEXT: return %[[X]], %[[S]], %[[T]]
func.func @unit_scale(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %0 = score.scale %x by 1.0 : tensor<?x2xf32>
  %1 = score.scale %x by 1.0 shift 0.5 : tensor<?x2xf32>
  %2 = score.scale %x by 2.0 : tensor<?x2xf32>
  return %0, %1, %2 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}
