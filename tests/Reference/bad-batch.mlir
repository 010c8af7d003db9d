// RUN: not tweedie-opt %s --tweedie-interpret="entry=main batch=0" -o /dev/null 2>&1 | FileCheck %s

// CHECK: error: --tweedie-interpret: batch must be positive, got 0
func.func @main() { return }
