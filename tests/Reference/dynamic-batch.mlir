// RUN: tweedie-opt %s --tweedie-interpret="entry=main batch=3" -o /dev/null | FileCheck %s
// Dynamic (batch) dims of the inputs take the `batch` option; rank-1 inputs are
// uniform in (0, 1) (times), so relu leaves them unchanged.

// CHECK: @main result #0 [3, 4]
// CHECK: @main result #1 [3]
// CHECK-NEXT: {{^  \[0\.[0-9]+, 0\.[0-9]+, 0\.[0-9]+\]$}}
func.func @main(%x: tensor<?x2x2xf32>, %t: tensor<?xf32>) -> (tensor<?x4xf32>, tensor<?xf32>) {
  %r = score.reshape %x : tensor<?x2x2xf32> -> tensor<?x4xf32>
  %p = score.act relu %t : tensor<?xf32>
  return %r, %p : tensor<?x4xf32>, tensor<?xf32>
}
