// RUN: not tweedie-opt %s 2>&1 | FileCheck %s -DFILE=%s

func.func @f(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // CHECK: [[FILE]]:[[@LINE+1]]:8: error: custom op 'score.swirl' is unknown
  %0 = score.swirl %x : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
