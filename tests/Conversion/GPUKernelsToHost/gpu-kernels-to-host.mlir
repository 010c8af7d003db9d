// RUN: tweedie-opt %s --split-input-file --verify-diagnostics --tweedie-kernels-to-gpu --tweedie-gpu-kernels-to-host | FileCheck %s

// Each GPU kernel becomes a host function over threads [begin, end):
// parameter k is read as cuLaunchKernel passes it, *(T *)params[k]; the
// thread id is the loop index (block id 0, block size 1); the body is the
// GPU's, bounds guard included. The GPU module is gone.
// CHECK-NOT: gpu.container_module
// CHECK-NOT: gpu.module
// CHECK: func.func @tweedie_host_tweedie_affine_xy(%[[P:.*]]: !llvm.ptr, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK:   %[[S0:.*]] = llvm.getelementptr %[[P]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:   %[[A0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK:   %[[X:.*]] = llvm.load %[[A0]] : !llvm.ptr -> !llvm.ptr<1>
// CHECK:   %[[S3:.*]] = llvm.getelementptr %[[P]][3]
// CHECK:   %[[A3:.*]] = llvm.load %[[S3]]
// CHECK:   %[[N:.*]] = llvm.load %[[A3]] : !llvm.ptr -> i64
// CHECK:   %[[S4:.*]] = llvm.getelementptr %[[P]][4]
// CHECK:   %[[A4:.*]] = llvm.load %[[S4]]
// CHECK:   %[[A:.*]] = llvm.load %[[A4]] : !llvm.ptr -> f32
// CHECK:   scf.for %[[T:.*]] = %[[BEGIN]] to %[[END]]
// CHECK:     %[[I:.*]] = arith.addi %{{.*}}, %[[T]] : index
// CHECK:     %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK:     arith.cmpi slt, %[[I64]], %[[N]] : i64
// CHECK:     llvm.getelementptr %[[X]][%[[I64]]]
// CHECK:     arith.mulf %[[A]]
// CHECK:     llvm.store
// CHECK:   return
#map = affine_map<(d0) -> (d0)>
func.func @tweedie_affine_xy(%x: memref<?xf32>, %y: memref<?xf32>, %out: memref<?xf32>, %a: f32, %b: f32) attributes {sampler.generated_kernel} {
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]} ins(%x, %y : memref<?xf32>, memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%in: f32, %in_0: f32, %o: f32):
    %0 = arith.mulf %a, %in : f32
    %1 = arith.mulf %b, %in_0 : f32
    %2 = arith.addf %0, %1 : f32
    linalg.yield %2 : f32
  }
  return
}

// -----

// The NVVM intrinsics become their LLVM equivalents, which round alike:
// sqrt.rn is llvm.sqrt.
// CHECK-LABEL: func.func @tweedie_host_tweedie_root(
// CHECK-NOT: llvm.nvvm
// CHECK: llvm.intr.sqrt
#map1 = affine_map<(d0) -> (d0)>
func.func @tweedie_root(%x: memref<?xf32>, %out: memref<?xf32>) attributes {sampler.generated_kernel} {
  linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel"]} ins(%x : memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %r = math.sqrt %in : f32
    linalg.yield %r : f32
  }
  return
}
