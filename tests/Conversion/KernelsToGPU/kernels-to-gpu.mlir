// RUN: tweedie-opt %s --split-input-file --verify-diagnostics --tweedie-kernels-to-gpu | FileCheck %s

// A generated kernel becomes a gpu.func of the same name: global pointers for
// its buffers, the element count, its scalars; thread i computes element i
// with the generic's own body, guarded by i < n. The CPU function stays.
// CHECK: module attributes {gpu.container_module}
// CHECK: func.func @tweedie_affine_xy(
// CHECK: gpu.module @tweedie_cuda
// CHECK: gpu.func @tweedie_affine_xy(%[[X:.*]]: !llvm.ptr<1>, %[[Y:.*]]: !llvm.ptr<1>, %[[O:.*]]: !llvm.ptr<1>, %[[N:.*]]: i64, %[[A:.*]]: f32, %[[B:.*]]: f32) kernel
// CHECK:   %[[BID:.*]] = gpu.block_id x
// CHECK:   %[[BDIM:.*]] = gpu.block_dim x
// CHECK:   %[[TID:.*]] = gpu.thread_id x
// CHECK:   %[[I:.*]] = arith.index_cast
// CHECK:   %[[IN:.*]] = arith.cmpi slt, %[[I]], %[[N]] : i64
// CHECK:   scf.if %[[IN]] {
// CHECK:     %[[PX:.*]] = llvm.getelementptr %[[X]][%[[I]]]
// CHECK:     %[[XV:.*]] = llvm.load %[[PX]] : !llvm.ptr<1> -> f32
// CHECK:     %[[PY:.*]] = llvm.getelementptr %[[Y]][%[[I]]]
// CHECK:     %[[YV:.*]] = llvm.load %[[PY]] : !llvm.ptr<1> -> f32
// CHECK:     %[[AX:.*]] = arith.mulf %[[A]], %[[XV]] : f32
// CHECK:     %[[BY:.*]] = arith.mulf %[[B]], %[[YV]] : f32
// CHECK:     %[[S:.*]] = arith.addf %[[AX]], %[[BY]] : f32
// CHECK:     %[[PO:.*]] = llvm.getelementptr %[[O]][%[[I]]]
// CHECK:     llvm.store %[[S]], %[[PO]] : f32, !llvm.ptr<1>
// CHECK:   gpu.return
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

// Only 1-D elementwise kernels map onto threads.
#map2 = affine_map<(d0, d1) -> (d0, d1)>
// expected-error @+1 {{only 1-D elementwise kernels map onto GPU threads}}
func.func @two_d(%x: memref<?x?xf32>, %out: memref<?x?xf32>) attributes {sampler.generated_kernel} {
  linalg.generic {indexing_maps = [#map2, #map2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<?x?xf32>) outs(%out : memref<?x?xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  return
}
