// RUN: not tweedie-opt %s 2>&1 | FileCheck %s -DFILE=%s

func.func @f() {
  // CHECK: [[FILE]]:[[@LINE+1]]:3: error: Dialect `torch' not found for custom op 'torch.relu'
  torch.relu
  return
}
