// RUN: tweedie-opt %s --tweedie-interpret=entry=main -o /dev/null | FileCheck %s
// func.call: the interpreter evaluates callees with the caller's values.

// CHECK: @main result #0 [2]
// CHECK-NEXT: [2, 6]
func.func @double(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = score.add %x, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
func.func @main() -> tensor<2xf32> {
  %x = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %y = func.call @double(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
