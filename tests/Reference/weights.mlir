// RUN: python3 %S/../scripts/write-safetensors.py %t.safetensors '{"w": [[2, 2], [1, 2, 3, 4]], "b": [[2], [10, 20]]}'
// RUN: tweedie-opt %s --tweedie-interpret="entry=main weights=%t.safetensors" -o /dev/null | FileCheck %s
// RUN: python3 %S/../scripts/write-safetensors.py %t.f64.safetensors '{"w": [[2, 2], [1, 2, 3, 4]], "b": [[2], [10, 20]]}' --dtype F64
// RUN: tweedie-opt %s --tweedie-interpret="entry=main weights=%t.f64.safetensors" -o /dev/null | FileCheck %s
// RUN: python3 %S/../scripts/write-safetensors.py %t.missing.safetensors '{"w": [[2, 2], [1, 2, 3, 4]]}'
// RUN: not tweedie-opt %s --tweedie-interpret="entry=main weights=%t.missing.safetensors" -o /dev/null 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: python3 %S/../scripts/write-safetensors.py %t.shape.safetensors '{"w": [[4], [1, 2, 3, 4]], "b": [[2], [10, 20]]}'
// RUN: not tweedie-opt %s --tweedie-interpret="entry=main weights=%t.shape.safetensors" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: printf 'garbage!' > %t.bad.safetensors
// RUN: not tweedie-opt %s --tweedie-interpret="entry=main weights=%t.bad.safetensors" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CORRUPT
// RUN: not tweedie-opt %s --tweedie-interpret="entry=main weights=%t.nonexistent" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOFILE

// Weights come from the checkpoint: [1, 1] W + b = [1+3+10, 2+4+20].
// CHECK: @main result #0 [1, 2]
// CHECK-NEXT: [14, 26]
// MISSING: error: no value for weight 'b'
// SHAPE: error: weight 'w' has shape [4] but the IR declares [2, 2]
// CORRUPT: error: --tweedie-interpret: {{.*}}bad.safetensors: not a valid .safetensors file: header length {{[0-9]+}} exceeds the 0 bytes after it
// NOFILE: error: --tweedie-interpret: cannot open '{{.*}}nonexistent': No such file or directory
func.func @main() -> tensor<1x2xf32> {
  %x = arith.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %w = score.param "w" : tensor<2x2xf32>
  %b = score.param "b" : tensor<2xf32>
  %y = score.dense %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
