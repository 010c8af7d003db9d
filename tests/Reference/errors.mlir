// RUN: not tweedie-opt %s --split-input-file --tweedie-interpret=entry=main -o /dev/null 2>&1 | FileCheck %s
// Interpreter errors name the op and exit non-zero.

// CHECK: error: --tweedie-interpret: no func.func @main
func.func @other() {
  return
}

// -----

// CHECK: error: reference interpreter does not support 'arith.addf'
func.func @main() -> tensor<2xf32> {
  %x = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %y = arith.addf %x, %x : tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// CHECK: error: cannot interpret external function @main
func.func private @main() -> tensor<2xf32>

// -----

// CHECK: error: reference interpreter supports only dense float tensor and integer scalar constants
func.func @main() -> tensor<2xi32> {
  %x = arith.constant dense<[1, 3]> : tensor<2xi32>
  return %x : tensor<2xi32>
}

// -----

// CHECK: error: weight 'w' is used with shapes [2] and [3]
func.func @main() -> tensor<3xf32> {
  %a = score.param "w" : tensor<2xf32>
  %b = score.param "w" : tensor<3xf32>
  return %b : tensor<3xf32>
}
