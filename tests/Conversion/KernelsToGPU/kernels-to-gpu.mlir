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

// -----

// A layer kernel's shape: outputs only, further buffers read at computed
// indices (memref.load, in loops too), two results stored at i, math ops as
// exact instructions (fma.rn, sqrt.rn; |x| clears the sign bit) rather than
// libdevice calls.
// CHECK-LABEL: gpu.func @tweedie_two_outputs(
// CHECK-SAME: %[[M:[^:]*]]: !llvm.ptr<1>, %[[R:[^:]*]]: !llvm.ptr<1>, %[[X:[^:]*]]: !llvm.ptr<1>, %[[N:[^:]*]]: i64, %[[W:[^:]*]]: i64) kernel
// CHECK:   %[[IDX:.*]] = arith.addi
// CHECK:   %[[I:.*]] = arith.index_cast %[[IDX]] : index to i64
// CHECK:   scf.if
// CHECK:     %[[SUM:.*]] = scf.for %[[J:.*]] = {{.*}} iter_args
// CHECK:       %[[AT:.*]] = arith.addi
// CHECK:       %[[ATI:.*]] = arith.index_cast %[[AT]] : index to i64
// CHECK:       %[[PX:.*]] = llvm.getelementptr %[[X]][%[[ATI]]]
// CHECK:       llvm.load %[[PX]] : !llvm.ptr<1> -> f32
// CHECK:       llvm.intr.fma
// CHECK:     arith.andi %{{.*}}, %{{.*}} : i32
// CHECK:     llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// CHECK:     %[[PM:.*]] = llvm.getelementptr %[[M]][%[[I]]]
// CHECK:     llvm.store %{{.*}}, %[[PM]]
// CHECK:     %[[PR:.*]] = llvm.getelementptr %[[R]][%[[I]]]
// CHECK:     llvm.store %{{.*}}, %[[PR]]
// CHECK-NOT: math.
// CHECK-NOT: memref.load
#map3 = affine_map<(d0) -> (d0)>
func.func @tweedie_two_outputs(%m: memref<?xf32>, %r: memref<?xf32>, %x: memref<?xf32>, %width: i64) attributes {sampler.generated_kernel} {
  linalg.generic {indexing_maps = [#map3, #map3], iterator_types = ["parallel"]} outs(%m, %r : memref<?xf32>, memref<?xf32>) {
  ^bb0(%o0: f32, %o1: f32):
    %i = linalg.index 0 : index
    %w = arith.index_cast %width : i64 to index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %zero = arith.constant 0.0 : f32
    %base = arith.muli %i, %w : index
    %sum = scf.for %j = %c0 to %w step %c1 iter_args(%acc = %zero) -> (f32) {
      %at = arith.addi %base, %j : index
      %v = memref.load %x[%at] : memref<?xf32>
      %s = math.fma %v, %v, %acc : f32
      scf.yield %s : f32
    }
    %a = math.absf %sum : f32
    %q = math.sqrt %a : f32
    linalg.yield %sum, %q : f32, f32
  }
  return
}

// -----

// A transcendental function has no exact instruction: the kernel must hold
// its approximation (LayerKernels.cpp), not a libdevice call.
// expected-error @+2 {{'math.exp' has no exact GPU instruction; approximate it first}}
#map4 = affine_map<(d0) -> (d0)>
func.func @tweedie_exp(%x: memref<?xf32>, %out: memref<?xf32>) attributes {sampler.generated_kernel} {
  linalg.generic {indexing_maps = [#map4, #map4], iterator_types = ["parallel"]} ins(%x : memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}
