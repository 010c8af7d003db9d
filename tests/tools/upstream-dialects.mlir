// RUN: tweedie-opt %s | FileCheck %s
// tweedie-opt knows the upstream dialects the lowering pipeline goes through.

// CHECK-LABEL: func @lowered
func.func @lowered(%a: memref<4xf32>, %v: vector<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  // CHECK: scf.for
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %a[%i] : memref<4xf32>
    // CHECK: math.exp
    %e = math.exp %x : f32
    memref.store %e, %a[%i] : memref<4xf32>
  }
  // CHECK: vector.reduction <add>
  %s = vector.reduction <add>, %v : vector<4xf32> into f32
  // CHECK: llvm.mlir.constant
  %k = llvm.mlir.constant(1.0 : f32) : f32
  return %s : f32
}
