// RUN: not tweedie-opt %s 2>&1 | FileCheck %s -DFILE=%s
// Malformed IR: a clear file:line:col error and a non-zero exit, never a signal.

func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // CHECK: [[FILE]]:[[@LINE+1]]:25: error: expected ':'
  %0 = score.act silu %x tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
